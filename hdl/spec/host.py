"""Host interface and tile network interface: protocol constants, defined once.

Pure Python (no Amaranth). The gateware (``hdl/host.py``, ``hdl/tile_node.py``), the golden
model (``sim/chip.py``), the driver (``sim/driver.py``) and the register map
(``hdl/spec/regmap.py``) all use these definitions; ``docs/host.md`` explains them.

Tile network interface (NI) protocol, every request answered by exactly one 3-flit
response packet ``[head, value[31:0], info]`` sent back to the request's source, with the
request's ``aux`` echoed in the head (:func:`pack_info` / :func:`unpack_info`):

============= =================== ===================================== ==========================
request       aux                 body                                  tile command
============= =================== ===================================== ==========================
CSR_READ      tag << 8 | register (none)                                READ_CONFIG / READ_COUNTER
CSR_WRITE     tag << 8 | register [value]                               CONFIG
BUF_WRITE     :class:`Buffer`     [start, v0, v1, ...]                  WRITE_* / LOAD_CELL
START_MVM     0                   (none)                                MVM
START_PROGRAM 0                   engine command, :func:`pack_wv`       WV
ACTIVATIONS   0                   [offset, v0, ...], not answered       WRITE_INPUT (v & input mask)
PARTIAL_SUMS  0                   [offset, v0, ...], not answered       WRITE_PSUM
============= =================== ===================================== ==========================
"""

import enum

from hdl.spec.fields import pack, total_width, unpack
from hdl.spec.noc import head_fields
from hdl.spec.rules import any_of
from hdl.spec.tile import TileOp
from hdl.spec.write_verify import command_fields as wv_command_fields

__all__ = [
    "Buffer",
    "NiError",
    "TileCsr",
    "TILE_FIELD_BASE",
    "TILE_COUNTER_BASE",
    "WINDOW_TAG",
    "RESPONSE_WORDS",
    "BusCause",
    "Irq",
    "HOST_ID",
    "VERSION",
    "LEGAL_BYTE_SELECTS",
    "lowest_lane",
    "byte_select_ok",
    "pack_info",
    "unpack_info",
    "unpack_wv",
    "wv_words",
    "pack_wv",
    "check_host_config",
    "config_digest",
    "config_words",
    "BUFFER_OPS",
    "out_burst",
]


class Buffer(enum.IntEnum):
    """BUF_WRITE ``aux``: which tile buffer the words go to (element ``start + i``)."""

    INPUT = 0   # activation of row start + i (WRITE_INPUT)
    BIAS = 1    # bias of pair start + i (WRITE_BIAS)
    PSUM = 2    # partial sum of pair start + i (WRITE_PSUM)
    CELLS = 3   # conductance code of cell (start + i) = row << 8 | col (LOAD_CELL back door)
    TARGETS = 4  # write-verify target (register set) of cell start + i = row * cols + col


#: The tile command a BUF_WRITE word becomes, per buffer. A TARGETS word is forwarded to the
#: write-verify engine as WRITE_TARGET (``addr`` = the element, ``value`` = the word's low 16
#: bits): a whole array's targets in ``rows * cols / (max_packet_flits - 2)`` packets instead
#: of one START_PROGRAM request and answer per cell.
BUFFER_OPS = {Buffer.INPUT: TileOp.WRITE_INPUT, Buffer.BIAS: TileOp.WRITE_BIAS,
              Buffer.PSUM: TileOp.WRITE_PSUM, Buffer.CELLS: TileOp.LOAD_CELL,
              Buffer.TARGETS: TileOp.WV}


class NiError(enum.IntEnum):
    """Response error codes: the tile's own (``hdl.spec.tile.TileError``) and the NI's."""

    NONE = 0            # success
    BAD_OP = 1          # the tile refused the command's opcode
    BAD_ADDRESS = 2     # element, field or CSR out of range; a write to a read-only CSR
    BAD_VALUE = 3       # the tile refused the value (field range, activation, conductance)
    ENGINE = 4          # the write-verify engine answered an error (its code in value[42:40])
    BAD_LENGTH = 5      # the body has the wrong number of words for the message type
    BAD_TYPE = 6        # a message type the tile does not take as a request


#: First tile CSR of the layer descriptor (register ``TILE_FIELD_BASE + TileField``).
TILE_FIELD_BASE = 0x00
#: First tile CSR of the counters (register ``TILE_COUNTER_BASE + TileCounter``).
TILE_COUNTER_BASE = 0x10


class TileCsr(enum.IntEnum):
    """Registers the tile NI itself answers (NI_EXPECT is read-write, the others read-only)."""

    NODE = 0x20             # this tile's node index
    NI_REQUESTS = 0x21      # request packets taken (wrapping, 32 bits)
    NI_REJECTS = 0x22       # requests answered with an NI error, and bad data packets
    NI_OUT_PACKETS = 0x23   # ACTIVATIONS / PARTIAL_SUMS packets sent
    NI_EXPECT = 0x24        # data words that start an MVM by themselves (0: off)
    NI_ARRIVED = 0x25       # data words arrived towards the next such MVM


#: Width of NI_EXPECT and NI_ARRIVED: a CSR_WRITE of NI_EXPECT above it is BAD_VALUE.
EXPECT_BITS = 16

#: Bit 15 of a data packet's offset word, for the host: the packet goes whole into the
#: response queue (the driver reads it like an answer, in order with the sender's DONE)
#: rather than into the activation SRAM. A tile's ``OFFSET`` descriptor field sets it.
QUEUE_OFFSET = 0x8000


#: ``aux`` bit 8: set by the host's remote-CSR window on its requests; the answer echoes it.
WINDOW_TAG = 1 << 8
#: Body words of every NI response: value[31:0], info.
RESPONSE_WORDS = 2


def pack_info(value, error, mtype):
    """The second response word: ``value[47:32] | error << 16 | request mtype << 24``."""
    return ((int(value) >> 32) & 0xFFFF) | (int(error) & 0xFF) << 16 | (int(mtype) & 0xF) << 24


def unpack_info(word0, info):
    """``(value, error, request mtype)`` of a response body."""
    return (int(word0) | (info & 0xFFFF) << 32, (info >> 16) & 0xFF, (info >> 24) & 0xF)


class BusCause(enum.IntEnum):
    """Error-log cause codes (``ERR_CAUSE.CAUSE``): why a bus access ended with ERR, or what
    went wrong with a packet the host received."""

    NONE = 0            # no error logged
    UNMAPPED = 1        # no register or memory at this address
    MISALIGNED = 2      # byte select not a byte, aligned half-word or word; or adr[1:0] disagrees
    READ_ONLY = 3       # write to a read-only register
    WRITE_ONLY = 4      # read of a write-only register (CMD_DATA)
    WORD_ONLY = 5       # a queue or window access with a byte select other than 0b1111
    RESP_EMPTY = 6      # RESP_DATA read with an empty response queue (nothing is popped)
    BAD_HEAD = 7        # CMD_DATA head word: length 0 or > max_packet_flits, or dest outside
    BAD_NODE = 8        # window access to the host itself or to a node outside the mesh
    WINDOW_ERROR = 9    # the tile answered the window access with an error (INFO = its code)
    WINDOW_TIMEOUT = 10  # no answer within window_timeout cycles
    ASRAM_RANGE = 11    # a received data packet wrote outside the SRAM (words dropped)


class Irq(enum.IntEnum):
    """Bits of IRQ_STATUS / IRQ_ENABLE. Each is set by an event and cleared by writing 1."""

    RESP = 0        # level: a whole packet waits in the response queue (W1C ignored)
    DONE = 1        # a DONE packet was put into the response queue
    ERROR = 2       # an ERROR packet was put into the response queue
    BUS_ERROR = 3   # a bus access ended with ERR, or a received packet was bad (error log)
    DATA = 4        # a data packet (ACTIVATIONS / PARTIAL_SUMS) was written into the SRAM
    CMD_EMPTY = 5   # the command queue became empty (everything queued has been sent)


#: Byte selects the bus takes: a byte, an aligned half word or the word. Anything else ends
#: with ERR (MISALIGNED).
LEGAL_BYTE_SELECTS = (0b0001, 0b0010, 0b0100, 0b1000, 0b0011, 0b1100, 0b1111)


def lowest_lane(sel):
    """The lowest byte lane a (Python int) byte select enables."""
    return (sel & -sel).bit_length() - 1


def byte_select_ok(sel, offset):
    """The byte select ``sel`` is legal and the byte address's ``offset`` (``adr[1:0]``) is 0
    or the lowest selected lane (both conventions for sub-word accesses are accepted).

    A rule in the sense of ``hdl.spec.rules``: on Python ints it returns a bool (the golden
    model), on Amaranth values a 1-bit value (the gateware).
    """
    return any_of((sel == s) & any_of(offset == o for o in sorted({0, lowest_lane(s)}))
                  for s in LEGAL_BYTE_SELECTS)


#: ``ID`` register: ASCII "RRAM".
HOST_ID = 0x5252_414D
#: ``VERSION`` register: major << 16 | minor.
VERSION = (1, 0)


def check_host_config(cfg):
    """Raise ConfigError if the NoC format cannot carry the host protocol.

    ``ChipConfig`` calls this when it is built, so a configuration that breaks these rules
    never reaches the gateware or the model.
    """
    from hdl.spec.config import ConfigError

    if cfg.noc.flit_payload_bits != 32:
        raise ConfigError(
            f"ChipConfig.noc.flit_payload_bits = {cfg.noc.flit_payload_bits}: the host "
            "interface carries 32-bit words, so it must be 32")
    aux = dict(head_fields(cfg))["aux"]
    if aux < 9:
        raise ConfigError(
            f"ChipConfig.noc.max_packet_flits = {cfg.noc.max_packet_flits}: the host "
            f"interface needs 9 aux bits in a head (tag + 8-bit register); this length "
            f"field leaves {aux} (at most 127 with 32-bit flits)")
    if cfg.noc.max_packet_flits < 4:
        raise ConfigError(
            f"ChipConfig.noc.max_packet_flits = {cfg.noc.max_packet_flits}: the host "
            "interface needs at least 4 (head, offset and values)")


def out_burst(cfg):
    """Outputs per ACTIVATIONS / PARTIAL_SUMS packet a tile sends: head + offset + values."""
    return cfg.noc.max_packet_flits - 2


def wv_words(cfg):
    """Body words of a START_PROGRAM packet: the engine command
    (``hdl.spec.write_verify.command_fields``) in 32-bit words, least significant first."""
    return -(-total_width(wv_command_fields(cfg)) // 32)


def pack_wv(cfg, cmd):
    """Body words of START_PROGRAM for a ``sim.write_verify.WvCommand``."""
    word = pack(wv_command_fields(cfg), cmd, what="WvCommand.")
    return [(word >> (32 * i)) & 0xFFFF_FFFF for i in range(wv_words(cfg))]


def unpack_wv(cfg, words):
    """The engine command fields (a dict) a START_PROGRAM body carries (inverse of
    :func:`pack_wv`)."""
    return unpack(wv_command_fields(cfg), sum(int(w) << (32 * i) for i, w in enumerate(words)))


def config_words(cfg):
    """Values of the read-only configuration registers (``CFG_*``, ``ID``, ``VERSION``)."""
    a, n, h = cfg.array, cfg.noc, cfg.host
    return {
        "ID": HOST_ID,
        "VERSION": VERSION[0] << 16 | VERSION[1],
        "CFG_DIGEST": config_digest(cfg),
        "CFG_MESH": cfg.mesh_width | cfg.mesh_height << 4 | cfg.host_node << 8,
        "CFG_ARRAY": a.rows | a.cols << 16,
        "CFG_DATAPATH": (a.g_bits | cfg.input_bits << 8 | cfg.adc_bits << 12
                         | cfg.adc_count << 16 | cfg.tile.psum_bits << 24),
        "CFG_NOC": n.flit_payload_bits | n.max_packet_flits << 8 | n.fifo_depth << 19,
        "CFG_QUEUES": h.cmd_queue_words | h.resp_queue_words << 16,
        "CFG_ASRAM": h.asram_words,
    }


def config_digest(cfg):
    """``CFG_DIGEST``: the first 32 bits of the SHA-256 of the configuration's JSON."""
    import hashlib

    return int.from_bytes(hashlib.sha256(cfg.to_json().encode()).digest()[:4], "big")
