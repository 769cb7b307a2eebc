"""The driver's serial backend: the chip behind the UART-to-Wishbone bridge (``docs/uart.md``).

``SerialBackend(port_or_transport, cfg)`` gives :class:`sim.driver.Driver` the ``read`` /
``write`` / ``wait_irq`` of the golden model's and the RTL's backends, in frames of
``hdl/spec/uart.py``. One driver access is one frame and one bus access, and ``wait_irq``
polls the STATUS command, which makes no bus access: the chip sees exactly the accesses it
sees from the other backends.

``port_or_transport`` is a port name (``"/dev/ttyUSB0"``, opened with pyserial), an open
``serial.Serial`` (or anything with its ``read`` / ``write`` / ``reset_input_buffer``), or a
transport with ``async send(data)``, ``async receive(n)`` and ``discard()`` (the cocotb
testbench's, ``tb/uart_transport.py``).

On a board::

    python -m sw.serial_backend --port /dev/ttyUSB0 --baud 115200 --config fpga

opens the chip (ID, version, CFG_DIGEST against the configuration) and prints its
identification and host counters. In a program::

    import asyncio, serial
    from hdl.spec.config import preset
    from sim.driver import Driver
    from sw.serial_backend import SerialBackend

    cfg = preset("fpga")
    drv = Driver(SerialBackend(serial.Serial("/dev/ttyUSB0", 115200, timeout=1), cfg), cfg)
    print(asyncio.run(drv.open()))
"""

import argparse
import asyncio

from hdl.spec.uart import (
    LINK_ERRORS,
    MAX_WORDS,
    Op,
    ReplyError,
    Status,
    decode_reply,
    decode_reply_header,
    encode_request,
)
from sim.driver import DriverError

__all__ = ["SerialBackend", "SerialTransport", "UartLinkError", "DEFAULT_BAUD"]

#: The board's default line rate (the board top sets the bridge's divisor to match).
DEFAULT_BAUD = 115200


class UartLinkError(DriverError):
    """A frame the bridge rejected (``status`` in ``hdl.spec.uart.LINK_ERRORS``: nothing
    reached the bus), a reply that did not come or did not check, or a bus timeout."""

    def __init__(self, message, status=None):
        self.status = status
        super().__init__(message)


class SerialTransport:
    """A pyserial port as a transport. ``port.timeout`` bounds every read."""

    def __init__(self, port):
        self.port = port

    async def send(self, data):
        self.port.write(bytes(data))
        self.port.flush()

    async def receive(self, n):
        data = self.port.read(n)
        if len(data) != n:
            raise UartLinkError(f"reply timed out: {len(data)} of {n} bytes ({bytes(data).hex()})")
        return bytes(data)

    def discard(self):
        self.port.reset_input_buffer()


class SerialBackend:
    """Bus accesses through the UART bridge; each is one frame and one reply.

    Parameters
    ----------
    port_or_transport : str, serial.Serial or transport
        See the module docstring.
    cfg : ChipConfig, optional
        The chip's configuration (kept for symmetry with the other backends).
    baudrate, timeout : int, float
        For a port opened by name: line rate, and seconds a reply may take.
    irq_polls : int
        :meth:`wait_irq` raises :class:`~sim.driver.DriverError` after this many STATUS
        polls without the interrupt.

    Attributes
    ----------
    frames : int
        Requests sent (STATUS polls included).
    polls : int
        STATUS polls of :meth:`wait_irq`.
    """

    def __init__(self, port_or_transport, cfg=None, *, baudrate=DEFAULT_BAUD, timeout=1.0,
                 irq_polls=100_000):
        if isinstance(port_or_transport, str):
            import serial

            port_or_transport = serial.Serial(port_or_transport, baudrate, timeout=timeout)
        if not hasattr(port_or_transport, "receive"):
            port_or_transport = SerialTransport(port_or_transport)
        self.link = port_or_transport
        self.cfg = cfg
        self.irq_polls = irq_polls
        self.frames = 0
        self.polls = 0

    # -- frames -----------------------------------------------------------------------------

    async def send_raw(self, data):
        """Send bytes as they are (tests: damaged frames) and return the reply."""
        self.link.discard()
        await self.link.send(data)
        self.frames += 1
        return await self.receive_reply()

    async def receive_reply(self):
        """One reply, checked (:func:`hdl.spec.uart.decode_reply`)."""
        head = await self.link.receive(2)
        try:
            rest = decode_reply_header(head[0], head[1])
            return decode_reply(head + await self.link.receive(rest))
        except ReplyError as e:
            raise UartLinkError(f"bad reply: {e}") from None

    async def transact(self, op, addr=0, sel=0xF, words=(), count=None):
        """One request; returns its :class:`hdl.spec.uart.Reply`. Raises
        :class:`UartLinkError` if the bridge rejected the frame or the reply is bad."""
        reply = await self.send_raw(encode_request(op, addr, sel, words, count))
        if reply.status in LINK_ERRORS:
            raise UartLinkError(f"{Op(op).name} 0x{addr:05x}: the bridge rejected the frame "
                                f"({reply.status.name})", reply.status)
        return reply

    def _bus_result(self, op, addr, reply):
        if reply.status == Status.BUS_TIMEOUT:
            raise UartLinkError(f"{op} 0x{addr:05x}: no ACK/ERR within the bridge's bus "
                                "timeout", reply.status)
        return reply.status == Status.OK

    # -- the driver's interface -----------------------------------------------------------

    async def read(self, addr, sel=0xF):
        reply = await self.transact(Op.READ, addr, sel)
        ok = self._bus_result("read", addr, reply)
        return ok, reply.words[0] if ok else 0

    async def write(self, addr, value, sel=0xF):
        reply = await self.transact(Op.WRITE, addr, sel, [value])
        return self._bus_result("write", addr, reply)

    async def status(self):
        """The STATUS command: the chip's irq line, no bus access."""
        return await self.transact(Op.STATUS)

    async def wait_irq(self):
        for _ in range(self.irq_polls):
            self.polls += 1
            if (await self.status()).irq:
                return
        raise DriverError(f"no interrupt after {self.irq_polls} STATUS polls")

    # -- bursts (one frame, up to MAX_WORDS words at consecutive addresses) -------------------

    async def read_burst(self, addr, count, sel=0xF):
        """``count`` words from ``addr, addr + 4, ...``; returns the reply (``words`` holds
        the words read before an ERR, if any)."""
        if not 1 <= count <= MAX_WORDS:
            raise ValueError(f"count = {count}: 1 .. {MAX_WORDS} words per frame")
        return await self.transact(Op.READ, addr, sel, count=count)

    async def write_burst(self, addr, values, sel=0xF):
        """Write ``values`` to ``addr, addr + 4, ...``; returns the reply (``count``: the
        words written before an ERR, if any)."""
        return await self.transact(Op.WRITE, addr, sel, values)


def main(argv=None):
    from hdl.spec.config import preset
    from sim.driver import Driver

    ap = argparse.ArgumentParser(description="Open the chip through the UART bridge.")
    ap.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB0")
    ap.add_argument("--baud", type=int, default=DEFAULT_BAUD)
    ap.add_argument("--config", default="fpga", help="the preset the chip was built from")
    ap.add_argument("--timeout", type=float, default=1.0, help="seconds per reply")
    args = ap.parse_args(argv)
    cfg = preset(args.config)
    drv = Driver(SerialBackend(args.port, cfg, baudrate=args.baud, timeout=args.timeout), cfg)

    async def show():
        info = await drv.open()
        for k, v in info.items():
            print(f"{k:12s} 0x{v:08x}")
        for k, v in (await drv.host_counters()).items():
            print(f"{k:12s} {v}")

    asyncio.run(show())


if __name__ == "__main__":
    main()
