"""Host register map constants (stand-alone: no ``hdl`` imports).

Generated from hdl/spec/regmap.py by ``make docs`` (scripts/gen_regs.py): do not edit.
``docs/registers.md`` describes the registers.
"""

ADDR_BITS = 20
ID_VALUE = 0x5252414D
VERSION_MAJOR = 1
VERSION_MINOR = 0

# Registers: byte offsets; per field its LSB, width and (shifted) mask.

#: ID (RO): constant 0x5252414D, ASCII "RRAM"
ID = 0x000

#: VERSION (RO): register-map version
VERSION = 0x004
VERSION_MINOR_LSB = 0
VERSION_MINOR_WIDTH = 16
VERSION_MINOR_MASK = 0x0000FFFF
VERSION_MAJOR_LSB = 16
VERSION_MAJOR_WIDTH = 16
VERSION_MAJOR_MASK = 0xFFFF0000

#: CFG_DIGEST (RO): first 32 bits of the SHA-256 of the ChipConfig JSON the RTL was generated from
CFG_DIGEST = 0x008

#: CFG_MESH (RO): mesh
CFG_MESH = 0x00C
CFG_MESH_WIDTH_LSB = 0
CFG_MESH_WIDTH_WIDTH = 4
CFG_MESH_WIDTH_MASK = 0x0000000F
CFG_MESH_HEIGHT_LSB = 4
CFG_MESH_HEIGHT_WIDTH = 4
CFG_MESH_HEIGHT_MASK = 0x000000F0
CFG_MESH_HOST_LSB = 8
CFG_MESH_HOST_WIDTH = 6
CFG_MESH_HOST_MASK = 0x00003F00

#: CFG_ARRAY (RO): crossbar array of every tile
CFG_ARRAY = 0x010
CFG_ARRAY_ROWS_LSB = 0
CFG_ARRAY_ROWS_WIDTH = 16
CFG_ARRAY_ROWS_MASK = 0x0000FFFF
CFG_ARRAY_COLS_LSB = 16
CFG_ARRAY_COLS_WIDTH = 16
CFG_ARRAY_COLS_MASK = 0xFFFF0000

#: CFG_DATAPATH (RO): tile datapath
CFG_DATAPATH = 0x014
CFG_DATAPATH_G_BITS_LSB = 0
CFG_DATAPATH_G_BITS_WIDTH = 8
CFG_DATAPATH_G_BITS_MASK = 0x000000FF
CFG_DATAPATH_INPUT_BITS_LSB = 8
CFG_DATAPATH_INPUT_BITS_WIDTH = 4
CFG_DATAPATH_INPUT_BITS_MASK = 0x00000F00
CFG_DATAPATH_ADC_BITS_LSB = 12
CFG_DATAPATH_ADC_BITS_WIDTH = 4
CFG_DATAPATH_ADC_BITS_MASK = 0x0000F000
CFG_DATAPATH_ADC_COUNT_LSB = 16
CFG_DATAPATH_ADC_COUNT_WIDTH = 8
CFG_DATAPATH_ADC_COUNT_MASK = 0x00FF0000
CFG_DATAPATH_PSUM_BITS_LSB = 24
CFG_DATAPATH_PSUM_BITS_WIDTH = 6
CFG_DATAPATH_PSUM_BITS_MASK = 0x3F000000

#: CFG_NOC (RO): network on chip
CFG_NOC = 0x018
CFG_NOC_FLIT_BITS_LSB = 0
CFG_NOC_FLIT_BITS_WIDTH = 8
CFG_NOC_FLIT_BITS_MASK = 0x000000FF
CFG_NOC_MAX_PACKET_LSB = 8
CFG_NOC_MAX_PACKET_WIDTH = 11
CFG_NOC_MAX_PACKET_MASK = 0x0007FF00
CFG_NOC_FIFO_DEPTH_LSB = 19
CFG_NOC_FIFO_DEPTH_WIDTH = 8
CFG_NOC_FIFO_DEPTH_MASK = 0x07F80000

#: CFG_QUEUES (RO): queue depths
CFG_QUEUES = 0x01C
CFG_QUEUES_CMD_WORDS_LSB = 0
CFG_QUEUES_CMD_WORDS_WIDTH = 16
CFG_QUEUES_CMD_WORDS_MASK = 0x0000FFFF
CFG_QUEUES_RESP_WORDS_LSB = 16
CFG_QUEUES_RESP_WORDS_WIDTH = 16
CFG_QUEUES_RESP_WORDS_MASK = 0xFFFF0000

#: CFG_ASRAM (RO): activation SRAM
CFG_ASRAM = 0x020
CFG_ASRAM_WORDS_LSB = 0
CFG_ASRAM_WORDS_WIDTH = 17
CFG_ASRAM_WORDS_MASK = 0x0001FFFF

#: SCRATCH (RW): free for software (bus tests)
SCRATCH = 0x030

#: CTRL (W1P): actions
CTRL = 0x034
CTRL_CLEAR_COUNTERS_LSB = 0
CTRL_CLEAR_COUNTERS_WIDTH = 1
CTRL_CLEAR_COUNTERS_MASK = 0x00000001
CTRL_CLEAR_ERRLOG_LSB = 1
CTRL_CLEAR_ERRLOG_WIDTH = 1
CTRL_CLEAR_ERRLOG_MASK = 0x00000002

#: STATUS (RO): queue and window state
STATUS = 0x038
STATUS_CMD_EMPTY_LSB = 0
STATUS_CMD_EMPTY_WIDTH = 1
STATUS_CMD_EMPTY_MASK = 0x00000001
STATUS_CMD_FULL_LSB = 1
STATUS_CMD_FULL_WIDTH = 1
STATUS_CMD_FULL_MASK = 0x00000002
STATUS_RESP_EMPTY_LSB = 2
STATUS_RESP_EMPTY_WIDTH = 1
STATUS_RESP_EMPTY_MASK = 0x00000004
STATUS_RESP_FULL_LSB = 3
STATUS_RESP_FULL_WIDTH = 1
STATUS_RESP_FULL_MASK = 0x00000008
STATUS_CMD_PARTIAL_LSB = 4
STATUS_CMD_PARTIAL_WIDTH = 1
STATUS_CMD_PARTIAL_MASK = 0x00000010

#: IRQ_ENABLE (RW): interrupt enables; irq = |(IRQ_STATUS & IRQ_ENABLE)
IRQ_ENABLE = 0x040
IRQ_ENABLE_RESP_LSB = 0
IRQ_ENABLE_RESP_WIDTH = 1
IRQ_ENABLE_RESP_MASK = 0x00000001
IRQ_ENABLE_DONE_LSB = 1
IRQ_ENABLE_DONE_WIDTH = 1
IRQ_ENABLE_DONE_MASK = 0x00000002
IRQ_ENABLE_ERROR_LSB = 2
IRQ_ENABLE_ERROR_WIDTH = 1
IRQ_ENABLE_ERROR_MASK = 0x00000004
IRQ_ENABLE_BUS_ERROR_LSB = 3
IRQ_ENABLE_BUS_ERROR_WIDTH = 1
IRQ_ENABLE_BUS_ERROR_MASK = 0x00000008
IRQ_ENABLE_DATA_LSB = 4
IRQ_ENABLE_DATA_WIDTH = 1
IRQ_ENABLE_DATA_MASK = 0x00000010
IRQ_ENABLE_CMD_EMPTY_LSB = 5
IRQ_ENABLE_CMD_EMPTY_WIDTH = 1
IRQ_ENABLE_CMD_EMPTY_MASK = 0x00000020

#: IRQ_STATUS (W1C): interrupt events (sticky)
IRQ_STATUS = 0x044
IRQ_STATUS_RESP_LSB = 0
IRQ_STATUS_RESP_WIDTH = 1
IRQ_STATUS_RESP_MASK = 0x00000001
IRQ_STATUS_DONE_LSB = 1
IRQ_STATUS_DONE_WIDTH = 1
IRQ_STATUS_DONE_MASK = 0x00000002
IRQ_STATUS_ERROR_LSB = 2
IRQ_STATUS_ERROR_WIDTH = 1
IRQ_STATUS_ERROR_MASK = 0x00000004
IRQ_STATUS_BUS_ERROR_LSB = 3
IRQ_STATUS_BUS_ERROR_WIDTH = 1
IRQ_STATUS_BUS_ERROR_MASK = 0x00000008
IRQ_STATUS_DATA_LSB = 4
IRQ_STATUS_DATA_WIDTH = 1
IRQ_STATUS_DATA_MASK = 0x00000010
IRQ_STATUS_CMD_EMPTY_LSB = 5
IRQ_STATUS_CMD_EMPTY_WIDTH = 1
IRQ_STATUS_CMD_EMPTY_MASK = 0x00000020

#: ERR_COUNT (RO): bus errors and bad received packets (saturating)
ERR_COUNT = 0x050

#: ERR_CAUSE (RO): the last error
ERR_CAUSE = 0x054
ERR_CAUSE_CAUSE_LSB = 0
ERR_CAUSE_CAUSE_WIDTH = 4
ERR_CAUSE_CAUSE_MASK = 0x0000000F
ERR_CAUSE_INFO_LSB = 8
ERR_CAUSE_INFO_WIDTH = 8
ERR_CAUSE_INFO_MASK = 0x0000FF00

#: ERR_ADDR (RO): byte address of the last bus error (ASRAM_RANGE: offset of the first dropped
#: word)
ERR_ADDR = 0x058

#: CMD_DATA (WO): push a word of a packet: the head (NoC head payload, src ignored), then length -
#: 1 body words. A packet is sent once complete. Waits while full.
CMD_DATA = 0x060

#: CMD_FREE (RO): free words in the command queue
CMD_FREE = 0x064

#: RESP_DATA (RC): pop a word of a received packet: the head payload, then its body words. Empty:
#: ERR (RESP_EMPTY), nothing popped.
RESP_DATA = 0x068

#: RESP_LEVEL (RO): words in the response queue
RESP_LEVEL = 0x06C

#: CYCLES (RO): clock cycles since reset or CTRL.CLEAR_COUNTERS (32 bits, wrapping)
CYCLES = 0x080

#: BUS_ACKS (RO): bus accesses that ended with ACK (32 bits, wrapping)
BUS_ACKS = 0x084

#: BUS_ERRS (RO): bus accesses that ended with ERR (32 bits, wrapping)
BUS_ERRS = 0x088

#: PACKETS_OUT (RO): packets sent (command queue and window) (32 bits, wrapping)
PACKETS_OUT = 0x08C

#: FLITS_OUT (RO): flits sent (32 bits, wrapping)
FLITS_OUT = 0x090

#: PACKETS_IN (RO): packets received (32 bits, wrapping)
PACKETS_IN = 0x094

#: FLITS_IN (RO): flits received (32 bits, wrapping)
FLITS_IN = 0x098

#: DATA_WORDS (RO): words written into the SRAM by data packets (32 bits, wrapping)
DATA_WORDS = 0x09C

# Regions.
ASRAM_BASE = 0x40000
ASRAM_SIZE = 0x40000
WINDOW_BASE = 0x80000
WINDOW_SIZE = 0x10000
WINDOW_NODE_STRIDE = 0x400
WINDOW_TAG = 0x100

# Tile CSRs through the window: register numbers (byte offset 4 * register).
TILE_FIELD_IN_BITS = 0x00
TILE_FIELD_IN_SIGNED = 0x01
TILE_FIELD_ADC_SHIFT = 0x02
TILE_FIELD_PSUM_EN = 0x03
TILE_FIELD_OUT_RAW = 0x04
TILE_FIELD_OUT_MULT = 0x05
TILE_FIELD_OUT_SHIFT = 0x06
TILE_FIELD_OUT_BITS = 0x07
TILE_FIELD_OUT_SIGNED = 0x08
TILE_FIELD_ACTIVATION = 0x09
TILE_FIELD_DEST = 0x0A
TILE_FIELD_OFFSET = 0x0B
TILE_FIELD_OUT_COUNT = 0x0C
TILE_COUNTER_BUSY = 0x10
TILE_COUNTER_MVMS = 0x11
TILE_COUNTER_CONVERSIONS = 0x12
TILE_COUNTER_CLIPS = 0x13
TILE_COUNTER_PULSES = 0x14
TILE_COUNTER_FAILS = 0x15
TILE_COUNTER_LAST_ERROR = 0x16
TILE_COUNTER_ERRORS = 0x17
TILE_NODE = 0x20
TILE_NI_REQUESTS = 0x21
TILE_NI_REJECTS = 0x22
TILE_NI_OUT_PACKETS = 0x23
TILE_NI_EXPECT = 0x24
TILE_NI_ARRIVED = 0x25

# Irq: Bits of IRQ_STATUS / IRQ_ENABLE. Each is set by an event and cleared by writing 1.
#: level: a whole packet waits in the response queue (W1C ignored)
IRQ_RESP = 0
#: a DONE packet was put into the response queue
IRQ_DONE = 1
#: an ERROR packet was put into the response queue
IRQ_ERROR = 2
#: a bus access ended with ERR, or a received packet was bad (error log)
IRQ_BUS_ERROR = 3
#: a data packet (ACTIVATIONS / PARTIAL_SUMS) was written into the SRAM
IRQ_DATA = 4
#: the command queue became empty (everything queued has been sent)
IRQ_CMD_EMPTY = 5

# BusCause: Error-log cause codes (``ERR_CAUSE.CAUSE``): why a bus access ended with ERR, or what
# went wrong with a packet the host received.
#: no error logged
CAUSE_NONE = 0
#: no register or memory at this address
CAUSE_UNMAPPED = 1
#: byte select not a byte, aligned half-word or word; or adr[1:0] disagrees
CAUSE_MISALIGNED = 2
#: write to a read-only register
CAUSE_READ_ONLY = 3
#: read of a write-only register (CMD_DATA)
CAUSE_WRITE_ONLY = 4
#: a queue or window access with a byte select other than 0b1111
CAUSE_WORD_ONLY = 5
#: RESP_DATA read with an empty response queue (nothing is popped)
CAUSE_RESP_EMPTY = 6
#: CMD_DATA head word: length 0 or > max_packet_flits, or dest outside
CAUSE_BAD_HEAD = 7
#: window access to the host itself or to a node outside the mesh
CAUSE_BAD_NODE = 8
#: the tile answered the window access with an error (INFO = its code)
CAUSE_WINDOW_ERROR = 9
#: no answer within window_timeout cycles
CAUSE_WINDOW_TIMEOUT = 10
#: a received data packet wrote outside the SRAM (words dropped)
CAUSE_ASRAM_RANGE = 11

# NiError: Response error codes: the tile's own (``hdl.spec.tile.TileError``) and the NI's.
#: success
NI_ERR_NONE = 0
#: the tile refused the command's opcode
NI_ERR_BAD_OP = 1
#: element, field or CSR out of range; a write to a read-only CSR
NI_ERR_BAD_ADDRESS = 2
#: the tile refused the value (field range, activation, conductance)
NI_ERR_BAD_VALUE = 3
#: the write-verify engine answered an error (its code in value[42:40])
NI_ERR_ENGINE = 4
#: the body has the wrong number of words for the message type
NI_ERR_BAD_LENGTH = 5
#: a message type the tile does not take as a request
NI_ERR_BAD_TYPE = 6

# Buffer: BUF_WRITE ``aux``: which tile buffer the words go to (element ``start + i``).
#: activation of row start + i (WRITE_INPUT)
BUF_INPUT = 0
#: bias of pair start + i (WRITE_BIAS)
BUF_BIAS = 1
#: partial sum of pair start + i (WRITE_PSUM)
BUF_PSUM = 2
#: conductance code of cell (start + i) = row << 8 | col (LOAD_CELL back door)
BUF_CELLS = 3
#: write-verify target (register set) of cell start + i = row * cols + col
BUF_TARGETS = 4

# MsgType: Message type carried in the head. Requests get (at most) one response each.
#: request: read a tile CSR (aux = address); answered by CSR_DATA
MSG_CSR_READ = 0
#: request: write a tile CSR (aux = address, one body word)
MSG_CSR_WRITE = 1
#: request: read a tile buffer (aux = address); answered by BUF_DATA
MSG_BUF_READ = 2
#: request: write words into a tile buffer (aux = address)
MSG_BUF_WRITE = 3
#: request: run the layer descriptor's MVM
MSG_START_MVM = 4
#: request: program the weight-target buffer into the array
MSG_START_PROGRAM = 5
#: response/notification: an operation finished
MSG_DONE = 6
#: response/notification: refused command, bad address or length
MSG_ERROR = 7
#: data: activations for a tile's input buffer (aux = offset)
MSG_ACTIVATIONS = 8
#: data: partial sums to accumulate (aux = offset)
MSG_PARTIAL_SUMS = 9
#: response to CSR_READ
MSG_CSR_DATA = 10
#: response to BUF_READ
MSG_BUF_DATA = 11

#: name: (byte offset, access)
REGISTERS = {
    "ID": (0x000, "RO"),
    "VERSION": (0x004, "RO"),
    "CFG_DIGEST": (0x008, "RO"),
    "CFG_MESH": (0x00C, "RO"),
    "CFG_ARRAY": (0x010, "RO"),
    "CFG_DATAPATH": (0x014, "RO"),
    "CFG_NOC": (0x018, "RO"),
    "CFG_QUEUES": (0x01C, "RO"),
    "CFG_ASRAM": (0x020, "RO"),
    "SCRATCH": (0x030, "RW"),
    "CTRL": (0x034, "W1P"),
    "STATUS": (0x038, "RO"),
    "IRQ_ENABLE": (0x040, "RW"),
    "IRQ_STATUS": (0x044, "W1C"),
    "ERR_COUNT": (0x050, "RO"),
    "ERR_CAUSE": (0x054, "RO"),
    "ERR_ADDR": (0x058, "RO"),
    "CMD_DATA": (0x060, "WO"),
    "CMD_FREE": (0x064, "RO"),
    "RESP_DATA": (0x068, "RC"),
    "RESP_LEVEL": (0x06C, "RO"),
    "CYCLES": (0x080, "RO"),
    "BUS_ACKS": (0x084, "RO"),
    "BUS_ERRS": (0x088, "RO"),
    "PACKETS_OUT": (0x08C, "RO"),
    "FLITS_OUT": (0x090, "RO"),
    "PACKETS_IN": (0x094, "RO"),
    "FLITS_IN": (0x098, "RO"),
    "DATA_WORDS": (0x09C, "RO"),
}

#: register: {field: (lsb, width)}
FIELDS = {
    "VERSION": {
        "MINOR": (0, 16),
        "MAJOR": (16, 16),
    },
    "CFG_MESH": {
        "WIDTH": (0, 4),
        "HEIGHT": (4, 4),
        "HOST": (8, 6),
    },
    "CFG_ARRAY": {
        "ROWS": (0, 16),
        "COLS": (16, 16),
    },
    "CFG_DATAPATH": {
        "G_BITS": (0, 8),
        "INPUT_BITS": (8, 4),
        "ADC_BITS": (12, 4),
        "ADC_COUNT": (16, 8),
        "PSUM_BITS": (24, 6),
    },
    "CFG_NOC": {
        "FLIT_BITS": (0, 8),
        "MAX_PACKET": (8, 11),
        "FIFO_DEPTH": (19, 8),
    },
    "CFG_QUEUES": {
        "CMD_WORDS": (0, 16),
        "RESP_WORDS": (16, 16),
    },
    "CFG_ASRAM": {
        "WORDS": (0, 17),
    },
    "CTRL": {
        "CLEAR_COUNTERS": (0, 1),
        "CLEAR_ERRLOG": (1, 1),
    },
    "STATUS": {
        "CMD_EMPTY": (0, 1),
        "CMD_FULL": (1, 1),
        "RESP_EMPTY": (2, 1),
        "RESP_FULL": (3, 1),
        "CMD_PARTIAL": (4, 1),
    },
    "IRQ_ENABLE": {
        "RESP": (0, 1),
        "DONE": (1, 1),
        "ERROR": (2, 1),
        "BUS_ERROR": (3, 1),
        "DATA": (4, 1),
        "CMD_EMPTY": (5, 1),
    },
    "IRQ_STATUS": {
        "RESP": (0, 1),
        "DONE": (1, 1),
        "ERROR": (2, 1),
        "BUS_ERROR": (3, 1),
        "DATA": (4, 1),
        "CMD_EMPTY": (5, 1),
    },
    "ERR_CAUSE": {
        "CAUSE": (0, 4),
        "INFO": (8, 8),
    },
}

#: name: (base, size)
REGIONS = {
    "ASRAM": (0x40000, 0x40000),
    "WINDOW": (0x80000, 0x10000),
}

#: name: (register number, access)
TILE_CSRS = {
    "FIELD_IN_BITS": (0x00, "RW"),
    "FIELD_IN_SIGNED": (0x01, "RW"),
    "FIELD_ADC_SHIFT": (0x02, "RW"),
    "FIELD_PSUM_EN": (0x03, "RW"),
    "FIELD_OUT_RAW": (0x04, "RW"),
    "FIELD_OUT_MULT": (0x05, "RW"),
    "FIELD_OUT_SHIFT": (0x06, "RW"),
    "FIELD_OUT_BITS": (0x07, "RW"),
    "FIELD_OUT_SIGNED": (0x08, "RW"),
    "FIELD_ACTIVATION": (0x09, "RW"),
    "FIELD_DEST": (0x0A, "RW"),
    "FIELD_OFFSET": (0x0B, "RW"),
    "FIELD_OUT_COUNT": (0x0C, "RW"),
    "COUNTER_BUSY": (0x10, "RO"),
    "COUNTER_MVMS": (0x11, "RO"),
    "COUNTER_CONVERSIONS": (0x12, "RO"),
    "COUNTER_CLIPS": (0x13, "RO"),
    "COUNTER_PULSES": (0x14, "RO"),
    "COUNTER_FAILS": (0x15, "RO"),
    "COUNTER_LAST_ERROR": (0x16, "RO"),
    "COUNTER_ERRORS": (0x17, "RO"),
    "NODE": (0x20, "RO"),
    "NI_REQUESTS": (0x21, "RO"),
    "NI_REJECTS": (0x22, "RO"),
    "NI_OUT_PACKETS": (0x23, "RO"),
    "NI_EXPECT": (0x24, "RW"),
    "NI_ARRIVED": (0x25, "RO"),
}
