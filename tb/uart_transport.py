"""The serial backend's transport in simulation: cocotbext-uart on the ``rx`` / ``tx`` ports.

``CocotbUartTransport(dut, divisor, period_ns)`` is what a pyserial port is on a board
(``sw/serial_backend.py``): ``send`` writes bytes to ``rx`` with a ``UartSource``,
``receive`` reads them from ``tx`` with a ``UartSink``. ``send_bits`` and ``send_break``
drive the line directly, for damaged characters (a low stop bit) and breaks.
"""

from cocotb.triggers import Timer
from cocotbext.uart import UartSink, UartSource

from sw.serial_backend import UartLinkError

__all__ = ["CocotbUartTransport"]


class _PlainWrites:
    """A port handle whose ``setimmediatevalue`` is a plain write. On Icarus an immediate
    write to a top-level input acts like a force (later writes never reach the design; see
    ``tb/wb_backend.py``), and cocotbext-uart's source sets its idle level that way."""

    def __init__(self, handle):
        self._handle = handle
        self._path = handle._path

    def setimmediatevalue(self, value):
        self._handle.value = value

    @property
    def value(self):
        return self._handle.value

    @value.setter
    def value(self, v):
        self._handle.value = v


class CocotbUartTransport:
    """cocotbext-uart source and sink at ``divisor`` clock cycles per bit.

    Parameters
    ----------
    dut : the top level, with ports ``rx`` and ``tx``
    divisor : int
        Clock cycles per bit of the bridge.
    period_ns : int
        The clock period; ``divisor * period_ns`` must be a whole (even) number of ns.
    reply_timeout_bits : int
        :meth:`receive` fails after this many bit times without a byte.
    """

    def __init__(self, dut, divisor, period_ns, reply_timeout_bits=200_000):
        self.bit_ns = divisor * period_ns
        baud = 1e9 / self.bit_ns
        self.rx = _PlainWrites(dut.rx)
        self.source = UartSource(self.rx, baud=baud)
        self.sink = UartSink(dut.tx, baud=baud)
        self.reply_timeout_ns = reply_timeout_bits * self.bit_ns
        self.sent = 0

    async def send(self, data):
        await self.source.write(bytes(data))
        await self.source.wait()
        self.sent += len(data)

    async def receive(self, n):
        out = bytearray()
        while len(out) < n:
            if self.sink.empty():
                await self.sink.wait(self.reply_timeout_ns, "ns")
                if self.sink.empty():
                    raise UartLinkError(f"reply timed out: {len(out)} of {n} bytes "
                                        f"({bytes(out).hex()})")
            out += self.sink.read_nowait(min(n - len(out), self.sink.count()))
        return bytes(out)

    def discard(self):
        self.sink.clear()

    async def send_bits(self, bits):
        """Drive ``rx`` one bit time per level of ``bits``, then leave it high."""
        await self.source.wait()
        for b in bits:
            self.rx.value = int(b)
            await Timer(self.bit_ns, "ns")
        self.rx.value = 1

    async def send_character(self, byte, stop=1):
        """One character; ``stop=0`` sends a low stop bit (a framing error), then high."""
        await self.send_bits([0] + [byte >> i & 1 for i in range(8)] + [stop])

    async def send_break(self, bits):
        """The line low for ``bits`` bit times."""
        await self.send_bits([0] * bits)
