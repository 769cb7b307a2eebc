"""UART-to-Wishbone bridge (DESIGN section 10): the same host driver on a board's serial port.

The framing is ``hdl/spec/uart.py`` (``docs/uart.md``). Components:

* :class:`UartReceiver` - start-bit detect, mid-bit sampling, framing errors, breaks.
* :class:`UartTransmitter` - 8N1 from a byte stream.
* :class:`UartBridge` - the frame parser and a Wishbone B4 master (classic cycles) for the
  chip's slave (``hdl.host.wishbone_signature``): a frame is executed only once all of it
  is in and its CRC checks.
* :class:`UartChip` - the bridge in front of :class:`hdl.chip.Chip`: ports ``rx``, ``tx``,
  ``irq`` (the board top's component; block ``uart_chip`` in simulation).
"""

from functools import reduce
from operator import xor

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.chip import Chip
from hdl.host import wishbone_signature
from hdl.spec.uart import (
    ADDR_BITS,
    BREAK_BITS,
    CRC_INIT,
    DEFAULT_BUS_TIMEOUT,
    IRQ_BIT,
    MAX_WORDS,
    MIN_DIVISOR,
    MIN_TIMEOUT_BITS,
    WORDS_BIT,
    Op,
    Status,
    crc8_taps,
)

__all__ = ["UartReceiver", "UartTransmitter", "UartBridge", "UartChip", "crc8_next",
           "bus_master_signature"]


def crc8_next(crc, byte):
    """The CRC-8 of ``hdl.spec.uart`` after one more byte, as XORs of Amaranth bits (built
    from the spec's own update function, :func:`hdl.spec.uart.crc8_taps`)."""
    return Cat(*(reduce(xor, [crc[j] for j in c] + [byte[k] for k in d], Const(0, 1))
                 for c, d in crc8_taps()))


def bus_master_signature():
    """The chip's Wishbone slave port seen from the master (``irq`` comes in)."""
    return wiring.Signature(wishbone_signature()).flip()


def _check_int(name, value, low):
    if not isinstance(value, int) or value < low:
        raise ValueError(f"{name} = {value!r}: an integer >= {low}")


class UartReceiver(wiring.Component):
    """8N1 receiver.

    A low level after idle starts a character; the receiver checks it is still low half a
    bit later (else it was a glitch), then samples the 8 data bits and the stop bit in the
    middle of each bit. A low stop bit is a framing error; the receiver then waits for the
    line to go high before it looks for the next start bit. Independently, the line low for
    :data:`~hdl.spec.uart.BREAK_BITS` bit times is a break (one pulse per low period).

    Parameters
    ----------
    divisor : int
        Clock cycles per bit (at least :data:`~hdl.spec.uart.MIN_DIVISOR`).

    Attributes
    ----------
    rx : In(1)
        The serial line (asynchronous: synchronized inside).
    data : Out(8)
        The last character; valid in the cycle of ``valid``.
    valid, framing_error, line_break : Out(1)
        One-cycle events.
    line_low : Out(1)
        The synchronized line is low (activity, for the bridge's idle timer).
    """

    def __init__(self, divisor):
        _check_int("divisor", divisor, MIN_DIVISOR)
        self._divisor = divisor
        super().__init__({"rx": In(1), "data": Out(8), "valid": Out(1),
                          "framing_error": Out(1), "line_break": Out(1), "line_low": Out(1)})

    @property
    def divisor(self):
        return self._divisor

    def elaborate(self, platform):
        m = Module()
        d = self._divisor
        line = Signal(init=1)
        m.submodules.sync = FFSynchronizer(self.rx, line, init=1)

        timer = Signal(range(d))
        bit = Signal(range(8))
        shift = Signal(8)
        low = Signal(range(BREAK_BITS * d + 1))

        m.d.comb += [
            self.data.eq(shift),
            self.line_low.eq(~line),
            self.line_break.eq(~line & (low == BREAK_BITS * d - 1)),
        ]
        with m.If(line):
            m.d.sync += low.eq(0)
        with m.Elif(low != BREAK_BITS * d):
            m.d.sync += low.eq(low + 1)

        with m.FSM():
            with m.State("Idle"):
                with m.If(~line):
                    m.d.sync += timer.eq(d // 2 - 1)
                    m.next = "Start-Bit"
            with m.State("Start-Bit"):
                m.d.sync += timer.eq(timer - 1)
                with m.If(timer == 0):
                    m.d.sync += [timer.eq(d - 1), bit.eq(0)]
                    with m.If(line):        # high again at mid-bit: a glitch, not a start
                        m.next = "Idle"
                    with m.Else():
                        m.next = "Data-Bits"
            with m.State("Data-Bits"):
                m.d.sync += timer.eq(timer - 1)
                with m.If(timer == 0):
                    m.d.sync += [shift.eq(Cat(shift[1:], line)), timer.eq(d - 1),
                                 bit.eq(bit + 1)]
                    with m.If(bit == 7):
                        m.next = "Stop-Bit"
            with m.State("Stop-Bit"):
                m.d.sync += timer.eq(timer - 1)
                with m.If(timer == 0):
                    with m.If(line):
                        m.d.comb += self.valid.eq(1)
                        m.next = "Idle"
                    with m.Else():
                        m.d.comb += self.framing_error.eq(1)
                        m.next = "Wait-High"
            with m.State("Wait-High"):
                # After a low stop bit the next falling edge is unknown: resynchronize on
                # the next high level (a break holds the receiver here).
                with m.If(line):
                    m.next = "Idle"
        return m


class UartTransmitter(wiring.Component):
    """8N1 transmitter: takes a byte when idle, sends start, data (LSB first), stop.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit.

    Attributes
    ----------
    data : In(stream.Signature(8))
    tx : Out(1)
        The serial line (high when idle).
    """

    def __init__(self, divisor):
        _check_int("divisor", divisor, MIN_DIVISOR)
        self._divisor = divisor
        super().__init__({"data": In(stream.Signature(8)), "tx": Out(1, init=1)})

    @property
    def divisor(self):
        return self._divisor

    def elaborate(self, platform):
        m = Module()
        d = self._divisor
        timer = Signal(range(d))
        left = Signal(range(11))        # bit times still to send, start bit included
        shift = Signal(9)               # data bits, then the stop bit, then ones

        m.d.comb += self.data.ready.eq(left == 0)
        with m.If(self.data.valid & self.data.ready):
            m.d.sync += [self.tx.eq(0), shift.eq(Cat(self.data.payload, 1)), left.eq(10),
                         timer.eq(d - 1)]
        with m.Elif(left != 0):
            m.d.sync += timer.eq(timer - 1)
            with m.If(timer == 0):
                m.d.sync += [self.tx.eq(shift[0] | (left == 1)),
                             shift.eq(Cat(shift[1:], 1)), left.eq(left - 1), timer.eq(d - 1)]
        return m


class UartBridge(wiring.Component):
    """The frame parser and Wishbone master (framing: ``hdl/spec/uart.py``).

    Receiving. Bytes go through the states of the frame (``Command``, ``Count``,
    ``Address``, ``Data``, ``CRC``), the CRC is updated on each, and a WRITE's words go into
    a :data:`~hdl.spec.uart.MAX_WORDS`-word buffer. Nothing reaches the bus until the CRC
    byte has checked. A bad command, a bad count, a bad CRC, a framing error or a break
    rejects the frame: the bridge drops every byte until the line has been idle for the
    inter-byte timeout (so the rest of a damaged frame is not read as a new one) and then
    sends one error reply. A frame that stops (the line idle for the timeout before its
    last byte) is answered TIMEOUT.

    Executing. One classic Wishbone cycle per word (CYC and STB held until ACK or ERR) at
    ``ADR + 4 i``; the first ERR ends the frame (BUS_ERR: the chip's error log keeps the
    cause, the bridge makes no bus access of its own); no answer within ``bus_timeout``
    cycles drops CYC (BUS_TIMEOUT). A READ's words go into the buffer, then the reply.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit.
    timeout_bits : int
        Inter-byte timeout in bit times, counted from the last low level on the line.
    bus_timeout : int
        Cycles to wait for ACK/ERR.

    Attributes
    ----------
    rx : In(1)
    tx : Out(1)
    bus : Out(bus_master_signature())
        The master side of the chip's port (``wb_cyc``, ``wb_stb``, ``wb_we``, ``wb_adr``,
        ``wb_sel``, ``wb_dat_w`` out; ``wb_dat_r``, ``wb_ack``, ``wb_err``, ``wb_stall``
        (unused: classic cycles) and ``irq`` in); ``wiring.connect(m, bridge.bus, chip)``.

    Raises
    ------
    ValueError
        A parameter out of range.
    """

    def __init__(self, divisor, timeout_bits, bus_timeout=DEFAULT_BUS_TIMEOUT):
        _check_int("divisor", divisor, MIN_DIVISOR)
        _check_int("timeout_bits", timeout_bits, MIN_TIMEOUT_BITS)
        _check_int("bus_timeout", bus_timeout, 1)
        self._divisor, self._timeout_bits, self._bus_timeout = divisor, timeout_bits, bus_timeout
        super().__init__({"rx": In(1), "tx": Out(1, init=1), "bus": Out(bus_master_signature())})

    @property
    def divisor(self):
        return self._divisor

    @property
    def timeout_bits(self):
        return self._timeout_bits

    @property
    def bus_timeout(self):
        return self._bus_timeout

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        m.submodules.rx = rx = UartReceiver(self._divisor)
        m.submodules.tx = tx = UartTransmitter(self._divisor)
        m.submodules.buffer = buffer = Memory(shape=32, depth=MAX_WORDS, init=[])
        rd = buffer.read_port()
        wr = buffer.write_port()
        m.d.comb += [rx.rx.eq(self.rx), self.tx.eq(tx.tx)]

        # The line idle (high) for the timeout: the end of a damaged frame, or a stopped one.
        quiet_limit = self._timeout_bits * self._divisor
        quiet = Signal(range(quiet_limit + 1))
        idle = Signal()
        m.d.comb += idle.eq(quiet == quiet_limit)
        with m.If(rx.line_low):
            m.d.sync += quiet.eq(0)
        with m.Elif(~idle):
            m.d.sync += quiet.eq(quiet + 1)

        crc = Signal(8, init=CRC_INIT)
        is_read = Signal()
        is_write = Signal()
        count = Signal(range(MAX_WORDS + 1))
        addr = Signal(ADDR_BITS)
        sel = Signal(4)
        index = Signal(range(MAX_WORDS + 1))   # the word being received / accessed / sent
        # The bus address of word `index`, kept in a register: `addr + 4 * index` computed
        # in front of the chip's bus decode was on the fpga chip's critical paths.
        bus_adr = Signal(ADDR_BITS)
        lane = Signal(2)                       # the byte of that word
        word = Signal(24)                      # a word's first three bytes, received
        done = Signal(range(MAX_WORDS + 1))    # words moved on the bus
        status = Signal(Status)
        bus_wait = Signal(range(self._bus_timeout + 1))
        rx_crc = crc8_next(crc, rx.data)
        tx_crc = crc8_next(crc, tx.data.payload)
        sent = tx.data.valid & tx.data.ready
        # An executed READ's reply carries the words it read (WORDS).
        words = Signal()
        m.d.comb += words.eq(is_read & status.matches(Status.OK, Status.BUS_ERR,
                                                      Status.BUS_TIMEOUT))

        m.d.comb += [
            rd.addr.eq(index),
            bus.wb_adr.eq(bus_adr),
            bus.wb_sel.eq(sel),
            bus.wb_we.eq(is_write),
            bus.wb_dat_w.eq(rd.data),
        ]

        def reject(cause):
            m.d.sync += status.eq(cause)
            m.next = "Discard"

        def receive(on_byte):
            """A state inside a frame: line errors and the timeout end it, else a byte."""
            with m.If(rx.line_break):
                reject(Status.BREAK)
            with m.Elif(rx.framing_error):
                reject(Status.FRAMING)
            with m.Elif(idle):
                m.d.sync += status.eq(Status.TIMEOUT)
                m.next = "Reply"
            with m.Elif(rx.valid):
                m.d.sync += crc.eq(rx_crc)
                on_byte()

        with m.FSM():
            with m.State("Command"):
                m.d.sync += [crc.eq(CRC_INIT), done.eq(0), index.eq(0), lane.eq(0)]
                with m.If(rx.line_break):
                    reject(Status.BREAK)
                with m.Elif(rx.framing_error):
                    reject(Status.FRAMING)
                with m.Elif(rx.valid):
                    m.d.sync += [crc.eq(crc8_next(Const(CRC_INIT, 8), rx.data)),
                                 is_read.eq(rx.data == Op.READ),
                                 is_write.eq(rx.data == Op.WRITE)]
                    with m.Switch(rx.data):
                        with m.Case(Op.STATUS):
                            m.next = "CRC"
                        with m.Case(Op.READ, Op.WRITE):
                            m.next = "Count"
                        with m.Default():
                            reject(Status.BAD_CMD)

            with m.State("Count"):
                def on_count():
                    m.d.sync += count.eq(rx.data)
                    with m.If(rx.data == 0):
                        reject(Status.BAD_LENGTH)
                    with m.Elif(rx.data > MAX_WORDS):
                        reject(Status.OVERLONG)
                    with m.Else():
                        m.next = "Address"
                receive(on_count)

            with m.State("Address"):
                def on_address():
                    m.d.sync += [Cat(addr, sel).eq(Cat(rx.data, addr, sel)), lane.eq(lane + 1)]
                    with m.If(lane == 2):
                        m.d.sync += lane.eq(0)
                        with m.If(is_write):
                            m.next = "Data"
                        with m.Else():
                            m.next = "CRC"
                receive(on_address)

            with m.State("Data"):
                def on_data():
                    m.d.sync += [word.eq(Cat(rx.data, word)), lane.eq(lane + 1)]
                    with m.If(lane == 3):
                        m.d.comb += [wr.addr.eq(index), wr.data.eq(Cat(rx.data, word)),
                                     wr.en.eq(1)]
                        m.d.sync += index.eq(index + 1)
                        with m.If(index + 1 == count):
                            m.next = "CRC"
                receive(on_data)

            with m.State("CRC"):
                def on_crc():
                    m.d.sync += [index.eq(0), bus_adr.eq(addr)]
                    with m.If(rx_crc != 0):
                        reject(Status.BAD_CRC)
                    with m.Elif(is_read | is_write):
                        m.next = "Fetch"
                    with m.Else():
                        m.d.sync += status.eq(Status.OK)
                        m.next = "Reply"
                receive(on_crc)

            with m.State("Discard"):
                # Drop everything until the line is quiet; a break seen meanwhile is named
                # (it starts with a framing error).
                with m.If(rx.line_break):
                    m.d.sync += status.eq(Status.BREAK)
                with m.Elif(idle):
                    m.next = "Reply"

            with m.State("Fetch"):
                # The buffer's read port answers the cycle after its address.
                m.d.sync += bus_wait.eq(0)
                m.next = "Bus"

            with m.State("Bus"):
                m.d.comb += [bus.wb_cyc.eq(1), bus.wb_stb.eq(1)]
                m.d.sync += bus_wait.eq(bus_wait + 1)
                with m.If(bus.wb_ack):
                    m.d.comb += [wr.addr.eq(index), wr.data.eq(bus.wb_dat_r),
                                 wr.en.eq(is_read)]
                    m.d.sync += [index.eq(index + 1), done.eq(index + 1),
                                 bus_adr.eq(bus_adr + 4)]
                    with m.If(index + 1 == count):
                        m.d.sync += status.eq(Status.OK)
                        m.next = "Reply"
                    with m.Else():
                        m.next = "Fetch"
                with m.Elif(bus.wb_err):
                    m.d.sync += status.eq(Status.BUS_ERR)
                    m.next = "Reply"
                with m.Elif(bus_wait == self._bus_timeout - 1):
                    m.d.sync += status.eq(Status.BUS_TIMEOUT)
                    m.next = "Reply"

            # The reply: header, count, the words read, CRC. The CRC register restarts here.
            with m.State("Reply"):
                m.d.comb += [
                    tx.data.valid.eq(1),
                    tx.data.payload.eq(Cat(status, Const(0, WORDS_BIT - 4), words,
                                           bus.irq)),
                ]
                m.d.sync += [index.eq(0), lane.eq(0)]
                with m.If(sent):
                    m.d.sync += crc.eq(crc8_next(Const(CRC_INIT, 8), tx.data.payload))
                    m.next = "Reply-Count"
            with m.State("Reply-Count"):
                m.d.comb += [tx.data.valid.eq(1), tx.data.payload.eq(done)]
                with m.If(sent):
                    m.d.sync += crc.eq(tx_crc)
                    m.next = "Reply-CRC"
                    with m.If(words & (done != 0)):
                        m.next = "Reply-Words"
            with m.State("Reply-Words"):
                m.d.comb += [tx.data.valid.eq(1),
                             tx.data.payload.eq(rd.data.word_select(~lane, 8))]
                with m.If(sent):
                    m.d.sync += [crc.eq(tx_crc), lane.eq(lane + 1)]
                    with m.If(lane == 3):
                        m.d.sync += index.eq(index + 1)
                        with m.If(index + 1 == done):
                            m.next = "Reply-CRC"
            with m.State("Reply-CRC"):
                m.d.comb += [tx.data.valid.eq(1), tx.data.payload.eq(crc)]
                with m.If(sent):
                    m.next = "Command"
        assert IRQ_BIT == WORDS_BIT + 1
        return m


class UartChip(wiring.Component):
    """:class:`UartBridge` in front of :class:`hdl.chip.Chip`: the chip on a serial line.

    Parameters
    ----------
    cfg : ChipConfig
    images : dict of int to TileImage
        As for :class:`hdl.chip.Chip`.
    divisor, timeout_bits, bus_timeout : int
        As for :class:`UartBridge`.
    slave : Component or None
        The bridge's bus slave instead of a new ``Chip(cfg, images)``: anything with the
        chip's Wishbone slave port and ``irq`` (``hdl.host.wishbone_signature``), e.g. the
        CPU's SoC (:class:`hdl.soc.Or1kSoc`, whose external port is the chip's map extended);
        ``cfg`` and ``images`` are then not used.

    Attributes
    ----------
    rx : In(1)
    tx : Out(1)
    irq : Out(1)
        The chip's interrupt line (also in every reply).
    """

    def __init__(self, cfg, images, divisor, timeout_bits, bus_timeout=DEFAULT_BUS_TIMEOUT, *,
                 slave=None):
        self._bridge = UartBridge(divisor, timeout_bits, bus_timeout)
        self._chip = Chip(cfg, images) if slave is None else slave
        super().__init__({"rx": In(1), "tx": Out(1, init=1), "irq": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.bridge = bridge = self._bridge
        m.submodules.chip = chip = self._chip
        # Member by member: a slave may have ports besides the bus (the SoC's console).
        for name, member in wishbone_signature().items():
            if member.flow == In:
                m.d.comb += getattr(chip, name).eq(getattr(bridge.bus, name))
            else:
                m.d.comb += getattr(bridge.bus, name).eq(getattr(chip, name))
        m.d.comb += [bridge.rx.eq(self.rx), self.tx.eq(bridge.tx), self.irq.eq(chip.irq)]
        return m
