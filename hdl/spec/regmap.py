"""The host's memory map, defined once (pure Python).

``python -m scripts.gen_regs`` (``make docs``) turns this into ``docs/registers.md``, the C
header ``sw/include/rram_regs.h`` and the Python constants ``sim/regs.py`` the driver uses;
``sim/test_regmap.py`` fails when any of them is stale. ``hdl/host.py`` decodes the bus from
the same lists, and ``sim/chip.py`` models them; both build a register's word from its fields
with :meth:`Register.pack`.

Addresses are byte addresses on the 32-bit Wishbone port (``ADDR_BITS`` wide). Access types:

====== ==============================================================================
RO     read only; a write ends with ERR (READ_ONLY)
RW     read/write; byte selects write single bytes
W1C    read; writing 1 clears a bit (byte selects respected)
W1P    write 1 to start an action (reads 0; byte selects respected)
WO     write only, whole word (pushes a queue); a read ends with ERR (WRITE_ONLY)
RC     read pops a queue, whole word; a write ends with ERR (READ_ONLY)
====== ==============================================================================
"""

from dataclasses import dataclass

from hdl.spec.host import (
    HOST_ID,
    TILE_COUNTER_BASE,
    TILE_FIELD_BASE,
    VERSION,
    BusCause,
    Irq,
    TileCsr,
)
from hdl.spec.tile import TileCounter, TileField

__all__ = ["Field", "Register", "Region", "REGISTERS", "REGIONS", "TILE_CSRS", "ADDR_BITS",
           "HOST_COUNTERS",
           "WINDOW_NODE_STRIDE", "register", "region"]

#: Width of the Wishbone byte address.
ADDR_BITS = 20
#: Bytes of window address space per node (256 tile registers).
WINDOW_NODE_STRIDE = 0x400


@dataclass(frozen=True)
class Field:
    name: str
    lsb: int
    width: int
    doc: str


@dataclass(frozen=True)
class Register:
    name: str
    offset: int
    access: str
    doc: str
    fields: tuple = ()
    reset: int = 0
    #: bits that exist (others read 0 and ignore writes); defaults to all fields' bits
    mask: int | None = None

    def pack(self, **values):
        """The register's word from field values: ``(value & field mask) << lsb``, OR-ed;
        fields not named are 0. Works alike on Python ints (the golden model) and on Amaranth
        values (the gateware), using only ``&``, ``<<`` and ``|``.

        >>> register("ERR_CAUSE").pack(CAUSE=3, INFO=0x12)
        4611
        """
        unknown = set(values) - {f.name for f in self.fields}
        if unknown:
            raise KeyError(f"register {self.name} has no field {sorted(unknown)}")
        word = 0
        for f in self.fields:
            if f.name in values:
                word = word | (values[f.name] & ((1 << f.width) - 1)) << f.lsb
        return word

    @property
    def bits(self):
        if self.mask is not None:
            return self.mask
        if not self.fields:
            return 0xFFFF_FFFF
        m = 0
        for f in self.fields:
            m |= ((1 << f.width) - 1) << f.lsb
        return m


@dataclass(frozen=True)
class Region:
    name: str
    base: int
    size: int   # bytes of address space reserved (what is mapped depends on the config)
    doc: str


def _irq_fields():
    docs = {
        Irq.RESP: "level, not an event: the response queue holds the last word of a packet "
                  "not yet read to its end (writing 1 does not clear it)",
        Irq.DONE: "a DONE packet was put into the response queue",
        Irq.ERROR: "an ERROR packet was put into the response queue",
        Irq.BUS_ERROR: "a bus access ended with ERR, or a received packet was bad",
        Irq.DATA: "a data packet (ACTIVATIONS / PARTIAL_SUMS) was written into the SRAM",
        Irq.CMD_EMPTY: "the command queue became empty",
    }
    return tuple(Field(i.name, int(i), 1, docs[i]) for i in Irq)


_COUNTERS = (
    ("CYCLES", "clock cycles since reset or CTRL.CLEAR_COUNTERS"),
    ("BUS_ACKS", "bus accesses that ended with ACK"),
    ("BUS_ERRS", "bus accesses that ended with ERR"),
    ("PACKETS_OUT", "packets sent (command queue and window)"),
    ("FLITS_OUT", "flits sent"),
    ("PACKETS_IN", "packets received"),
    ("FLITS_IN", "flits received"),
    ("DATA_WORDS", "words written into the SRAM by data packets"),
)

#: Names of the host's performance counters, in address order.
HOST_COUNTERS = tuple(name for name, _ in _COUNTERS)

REGISTERS = (
    Register("ID", 0x000, "RO", 'constant 0x5252414D, ASCII "RRAM"', reset=HOST_ID),
    Register("VERSION", 0x004, "RO", "register-map version",
             (Field("MINOR", 0, 16, "minor version"), Field("MAJOR", 16, 16, "major version")),
             reset=VERSION[0] << 16 | VERSION[1]),
    Register("CFG_DIGEST", 0x008, "RO",
             "first 32 bits of the SHA-256 of the ChipConfig JSON the RTL was generated from"),
    Register("CFG_MESH", 0x00C, "RO", "mesh", (
        Field("WIDTH", 0, 4, "mesh columns"), Field("HEIGHT", 4, 4, "mesh rows"),
        Field("HOST", 8, 6, "node index of the host"))),
    Register("CFG_ARRAY", 0x010, "RO", "crossbar array of every tile", (
        Field("ROWS", 0, 16, "rows"), Field("COLS", 16, 16, "columns (2 per output pair)"))),
    Register("CFG_DATAPATH", 0x014, "RO", "tile datapath", (
        Field("G_BITS", 0, 8, "conductance code bits"),
        Field("INPUT_BITS", 8, 4, "activation bits"),
        Field("ADC_BITS", 12, 4, "ADC bits"), Field("ADC_COUNT", 16, 8, "ADCs per tile"),
        Field("PSUM_BITS", 24, 6, "partial-sum bits"))),
    Register("CFG_NOC", 0x018, "RO", "network on chip", (
        Field("FLIT_BITS", 0, 8, "flit payload bits"),
        Field("MAX_PACKET", 8, 11, "longest packet in flits, head included"),
        Field("FIFO_DEPTH", 19, 8, "router input FIFO depth"))),
    Register("CFG_QUEUES", 0x01C, "RO", "queue depths", (
        Field("CMD_WORDS", 0, 16, "command queue words"),
        Field("RESP_WORDS", 16, 16, "response queue words"))),
    Register("CFG_ASRAM", 0x020, "RO", "activation SRAM", (
        Field("WORDS", 0, 17, "32-bit words mapped at the ASRAM region"),)),
    Register("SCRATCH", 0x030, "RW", "free for software (bus tests)"),
    Register("CTRL", 0x034, "W1P", "actions", (
        Field("CLEAR_COUNTERS", 0, 1, "zero the performance counters"),
        Field("CLEAR_ERRLOG", 1, 1, "zero ERR_COUNT, ERR_CAUSE and ERR_ADDR"))),
    Register("STATUS", 0x038, "RO", "queue and window state", (
        Field("CMD_EMPTY", 0, 1, "the command queue is empty"),
        Field("CMD_FULL", 1, 1, "the command queue is full (a CMD_DATA write would wait)"),
        Field("RESP_EMPTY", 2, 1, "the response queue is empty"),
        Field("RESP_FULL", 3, 1, "the response queue is full (received packets wait)"),
        Field("CMD_PARTIAL", 4, 1, "a packet is being written into the command queue"))),
    Register("IRQ_ENABLE", 0x040, "RW", "interrupt enables; irq = |(IRQ_STATUS & IRQ_ENABLE)",
             _irq_fields()),
    Register("IRQ_STATUS", 0x044, "W1C", "interrupt events (sticky)", _irq_fields()),
    Register("ERR_COUNT", 0x050, "RO", "bus errors and bad received packets (saturating)"),
    Register("ERR_CAUSE", 0x054, "RO", "the last error", (
        Field("CAUSE", 0, 4, "BusCause of the last error"),
        Field("INFO", 8, 8, "WINDOW_ERROR: the tile's error code; ASRAM_RANGE: source node"))),
    Register("ERR_ADDR", 0x058, "RO",
             "byte address of the last bus error (ASRAM_RANGE: offset of the first dropped word)"),
    Register("CMD_DATA", 0x060, "WO",
             "push a word of a packet: the head (NoC head payload, src ignored), then "
             "length - 1 body words. A packet is sent once complete. Waits while full."),
    Register("CMD_FREE", 0x064, "RO", "free words in the command queue"),
    Register("RESP_DATA", 0x068, "RC",
             "pop a word of a received packet: the head payload, then its body words. "
             "Empty: ERR (RESP_EMPTY), nothing popped."),
    Register("RESP_LEVEL", 0x06C, "RO", "words in the response queue"),
) + tuple(Register(name, 0x080 + 4 * i, "RO", doc + " (32 bits, wrapping)")
          for i, (name, doc) in enumerate(_COUNTERS))

REGIONS = (
    Region("ASRAM", 0x40000, 0x40000,
           "global activation SRAM, CFG_ASRAM.WORDS words from the base (byte selects "
           "respected); beyond: ERR (UNMAPPED). Data packets received by the host write here."),
    Region("WINDOW", 0x80000, 64 * WINDOW_NODE_STRIDE,
           "remote tile CSRs: node n's register r at base + n * 0x400 + 4 * r, whole words. "
           "The access waits for the tile's answer; tile errors, the host's own node, nodes "
           "outside the mesh and timeouts end with ERR."),
)

#: Tile CSRs reached through the window (name, register, access, doc).
TILE_CSRS = tuple(
    (f"FIELD_{f.name}", TILE_FIELD_BASE + int(f), "RW",
     f"layer descriptor field {f.name} (tile CONFIG / READ_CONFIG)") for f in TileField
) + tuple(
    (f"COUNTER_{c.name}", TILE_COUNTER_BASE + int(c), "RO",
     f"tile counter {c.name} (low 32 bits)") for c in TileCounter
) + (
    ("NODE", int(TileCsr.NODE), "RO", "this tile's node index"),
    ("NI_REQUESTS", int(TileCsr.NI_REQUESTS), "RO", "request packets the NI took"),
    ("NI_REJECTS", int(TileCsr.NI_REJECTS), "RO",
     "requests the NI answered with an NI error, and bad data packets"),
    ("NI_OUT_PACKETS", int(TileCsr.NI_OUT_PACKETS), "RO", "data packets the NI sent"),
    ("NI_EXPECT", int(TileCsr.NI_EXPECT), "RW",
     "every NI_EXPECT data words (ACTIVATIONS / PARTIAL_SUMS elements) start an MVM, answered "
     "to the node that wrote this register; 0: off. Writing it zeroes NI_ARRIVED"),
    ("NI_ARRIVED", int(TileCsr.NI_ARRIVED), "RO",
     "data words arrived towards the next data-started MVM"),
)

# Everything the RTL decodes is checked here once, at import.
_offsets = [r.offset for r in REGISTERS]
assert len(set(_offsets)) == len(_offsets) and all(o % 4 == 0 for o in _offsets)
assert all(o < REGIONS[0].base for o in _offsets)
assert all(r.access in ("RO", "RW", "W1C", "W1P", "WO", "RC") for r in REGISTERS)
assert max(BusCause) < 16


def register(name):
    for r in REGISTERS:
        if r.name == name:
            return r
    raise KeyError(f"no register {name!r}")


def region(name):
    for r in REGIONS:
        if r.name == name:
            return r
    raise KeyError(f"no region {name!r}")
