"""UART-to-Wishbone bridge framing, defined once (pure Python).

The gateware (``hdl/uart_bridge.py``), the driver's serial backend (``sw/serial_backend.py``)
and the tests (``tb/test_uart_bridge.py``) all read these definitions; ``docs/uart.md``
explains them. Serial format: 8 data bits, no parity, 1 stop bit, LSB first. Multi-byte
fields are big-endian (most significant byte first).

Requests (host -> bridge)::

    STATUS  [0x3C, CRC]
    READ    [0x5A, COUNT, SEL << 4 | ADR[19:16], ADR[15:8], ADR[7:0], CRC]
    WRITE   [0xA5, COUNT, SEL << 4 | ADR[19:16], ADR[15:8], ADR[7:0], D0 (4 bytes) .. , CRC]

A READ or WRITE moves ``COUNT`` (1 .. :data:`MAX_WORDS`) 32-bit words at the byte addresses
``ADR, ADR + 4, ...`` with the byte select ``SEL`` on every word, one Wishbone classic cycle
each, stopping at the first ERR.

Replies (bridge -> host), exactly one per request (or per rejected burst of bytes)::

    [IRQ << 7 | WORDS << 6 | STATUS, COUNT, (COUNT words if WORDS), CRC]

``STATUS`` is a :class:`Status`, ``IRQ`` the chip's interrupt line when the reply was formed,
``COUNT`` the words moved before the frame ended (so ``COUNT < requested`` with BUS_ERR
names the word that failed), ``WORDS`` set on the replies to an executed READ, which carry
the words read.

CRC: CRC-8, polynomial :data:`CRC_POLY` (x^8 + x^2 + x + 1), initial value :data:`CRC_INIT`,
not reflected, no final XOR (CRC-8/SMBUS), over every byte of the frame before the CRC byte.
A frame followed by its CRC leaves a zero remainder: that is what the bridge checks.
"""

import enum
from dataclasses import dataclass

__all__ = [
    "Op",
    "Status",
    "LINK_ERRORS",
    "CRC_POLY",
    "CRC_INIT",
    "MAX_WORDS",
    "ADDR_BYTES",
    "ADDR_BITS",
    "IRQ_BIT",
    "WORDS_BIT",
    "STATUS_MASK",
    "BREAK_BITS",
    "MIN_DIVISOR",
    "MIN_TIMEOUT_BITS",
    "SIM_DIVISOR",
    "SIM_TIMEOUT_BITS",
    "SIM_BUS_TIMEOUT",
    "DEFAULT_BUS_TIMEOUT",
    "crc8_update",
    "crc8",
    "crc8_taps",
    "encode_request",
    "request_length",
    "encode_reply",
    "Reply",
    "decode_reply_header",
    "decode_reply",
    "ReplyError",
]


class Op(enum.IntEnum):
    """The command byte. The codes are at least 4 bits apart, so one flipped bit never turns
    one command into another (it becomes BAD_CMD)."""

    STATUS = 0x3C   # the irq line; no bus access
    READ = 0x5A     # COUNT words from ADR, ADR + 4, ...
    WRITE = 0xA5    # COUNT words to ADR, ADR + 4, ...


class Status(enum.IntEnum):
    """The reply's status (its low 4 bits). Only OK, BUS_ERR and BUS_TIMEOUT replies come
    from an executed frame; every other status means nothing reached the bus."""

    OK = 0           # executed, every word ACKed
    BUS_ERR = 1      # a word ended with ERR (the chip's ERR_CAUSE says why); COUNT before it
    BUS_TIMEOUT = 2  # a word got neither ACK nor ERR within the bus timeout (CYC dropped)
    BAD_CRC = 3      # the CRC did not check
    BAD_CMD = 4      # the first byte is not an Op
    BAD_LENGTH = 5   # COUNT is 0
    OVERLONG = 6     # COUNT is more than MAX_WORDS (the bridge's buffer)
    TIMEOUT = 7      # the frame stopped: the line was idle for the inter-byte timeout
    FRAMING = 8      # a byte's stop bit was low
    BREAK = 9        # the line was low for BREAK_BITS bit times or longer


#: Statuses of a frame the bridge rejected before any bus access: resending it is safe.
LINK_ERRORS = frozenset(Status) - {Status.OK, Status.BUS_ERR, Status.BUS_TIMEOUT}

#: CRC-8 polynomial x^8 + x^2 + x + 1 (the x^8 term implied), and the initial value.
CRC_POLY = 0x07
CRC_INIT = 0x00
#: Most words in one frame: the bridge's buffer (a WRITE's words are all received and the
#: CRC checked before the first is written; a READ's are all read before the reply).
MAX_WORDS = 16
#: The chip's byte address (``hdl.spec.regmap.ADDR_BITS``) travels in 3 bytes, the byte
#: select in the top 4 bits of the first.
ADDR_BITS = 20
ADDR_BYTES = 3
#: Reply header bits.
IRQ_BIT = 7
WORDS_BIT = 6
STATUS_MASK = 0x0F
#: A break: the line low this many bit times (a whole character, start to stop bit).
BREAK_BITS = 10
#: Clock cycles per bit: the receiver samples each bit at its middle, after a 2-flip-flop
#: synchronizer, so it needs a few cycles per bit.
MIN_DIVISOR = 4
#: The inter-byte timeout counts bit times from the last low level on the line; inside a
#: character the line can be high for 9 bit times (data 0xFF and the stop bit), so the
#: timeout must be longer than that and a character.
MIN_TIMEOUT_BITS = 12
#: Simulation timing (block ``uart_chip``): the fewest cycles per bit (25 Mbaud at 100 MHz),
#: a 20-bit (two characters) inter-byte timeout and a 65536-cycle bus timeout. The whole
#: chip simulates at a few thousand cycles per second, and a driver access is about 130 bit
#: times on the line, so the bit time is most of a test's run time.
SIM_DIVISOR = 4
SIM_TIMEOUT_BITS = 20
SIM_BUS_TIMEOUT = 1 << 16
#: Cycles the bridge waits for ACK/ERR before it drops CYC (BUS_TIMEOUT), by default.
DEFAULT_BUS_TIMEOUT = 1 << 20


# -- CRC --------------------------------------------------------------------------------------


def crc8_update(crc, byte):
    """The CRC after one more byte (MSB first: the CRC is not reflected)."""
    crc ^= byte
    for _ in range(8):
        crc = ((crc << 1) ^ (CRC_POLY if crc & 0x80 else 0)) & 0xFF
    return crc


def crc8(data, crc=CRC_INIT):
    """CRC-8 of ``data`` (bytes or ints 0..255)."""
    for b in data:
        crc = crc8_update(crc, b)
    return crc


def crc8_taps():
    """The byte update as XORs, for the gateware: for each bit ``i`` of the new CRC, the
    bits of the old CRC and of the byte it is the XOR of. :func:`crc8_update` is linear over
    GF(2) (no initial value or final XOR inside it), so its value on unit vectors is the
    whole matrix.

    Returns
    -------
    tuple of (tuple of int, tuple of int)
        ``taps[i] = (crc_bits, byte_bits)``.
    """
    return tuple(
        (tuple(j for j in range(8) if crc8_update(1 << j, 0) >> i & 1),
         tuple(k for k in range(8) if crc8_update(0, 1 << k) >> i & 1))
        for i in range(8))


# -- requests -----------------------------------------------------------------------------------


def _check_addr(addr, sel):
    if not 0 <= addr < 1 << ADDR_BITS:
        raise ValueError(f"addr = 0x{addr:x}: the chip's byte address has {ADDR_BITS} bits")
    if not 0 <= sel < 16:
        raise ValueError(f"sel = {sel}: a byte select has 4 bits")


def encode_request(op, addr=0, sel=0xF, words=(), count=None):
    """The bytes of one request, CRC included.

    Parameters
    ----------
    op : Op
    addr : int
        Byte address of the first word (READ, WRITE).
    sel : int
        Byte select of every word.
    words : sequence of int
        WRITE: the data words.
    count : int, optional
        READ: the number of words (default 1). WRITE: defaults to ``len(words)``; tests
        pass another value to build malformed frames (no check then).

    Raises
    ------
    ValueError
        A field out of range.
    """
    op = Op(op)
    if op == Op.STATUS:
        body = bytes([op])
    else:
        _check_addr(addr, sel)
        words = [int(w) for w in words]
        if op == Op.READ and words:
            raise ValueError("a READ request carries no words")
        if count is None:
            count = len(words) if op == Op.WRITE else 1
            if not 1 <= count <= MAX_WORDS:
                raise ValueError(f"count = {count}: a frame moves 1 .. {MAX_WORDS} words")
        if not 0 <= count < 256:
            raise ValueError(f"count = {count}: one byte")
        body = bytes([op, count, sel << 4 | addr >> 16, addr >> 8 & 0xFF, addr & 0xFF])
        for w in words:
            body += (w & 0xFFFF_FFFF).to_bytes(4, "big")
    return body + bytes([crc8(body)])


def request_length(op, count=1):
    """Bytes of a well-formed request."""
    op = Op(op)
    if op == Op.STATUS:
        return 2
    return 2 + ADDR_BYTES + 1 + (4 * count if op == Op.WRITE else 0)


# -- replies --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A decoded reply."""

    status: Status
    irq: bool
    count: int
    words: tuple = ()

    @property
    def ok(self):
        return self.status == Status.OK


class ReplyError(ValueError):
    """Bytes that are not a well-formed reply (bad CRC, reserved bits set, wrong length)."""


def encode_reply(status, irq, count=0, words=None):
    """The bytes of one reply (what the bridge sends); ``words`` is None for a reply
    without words (WORDS clear), a sequence of ``count`` words otherwise."""
    head = int(irq) << IRQ_BIT | (words is not None) << WORDS_BIT | Status(status)
    body = bytes([head, count])
    for w in words or ():
        body += (w & 0xFFFF_FFFF).to_bytes(4, "big")
    return body + bytes([crc8(body)])


def decode_reply_header(head, count):
    """How many bytes follow the 2-byte header (the words and the CRC)."""
    if head & ~(1 << IRQ_BIT | 1 << WORDS_BIT | STATUS_MASK) or \
            head & STATUS_MASK not in set(Status):
        raise ReplyError(f"reply header 0x{head:02x}: reserved bits or an unknown status")
    return (4 * count if head >> WORDS_BIT & 1 else 0) + 1


def decode_reply(data):
    """A :class:`Reply` from its bytes.

    Raises
    ------
    ReplyError
        Bad CRC, reserved bits, unknown status, or a length that does not match.
    """
    data = bytes(data)
    if len(data) < 3:
        raise ReplyError(f"reply of {len(data)} bytes: at least 3")
    rest = decode_reply_header(data[0], data[1])
    if len(data) != 2 + rest:
        raise ReplyError(f"reply of {len(data)} bytes, its header says {2 + rest}")
    if crc8(data) != 0:
        raise ReplyError(f"reply CRC 0x{data[-1]:02x} does not check ({data.hex()})")
    words = tuple(int.from_bytes(data[2 + 4 * i:6 + 4 * i], "big")
                  for i in range((len(data) - 3) // 4))
    return Reply(Status(data[0] & STATUS_MASK), bool(data[0] >> IRQ_BIT & 1), data[1], words)
