"""The driver's RTL backend: the chip's Wishbone port driven by cocotbext-wishbone.

``RtlBackend(dut, cfg)`` gives :class:`sim.driver.Driver` the same ``read`` / ``write`` /
``wait_irq`` the golden model's backend has. ``pipelined=True`` uses the master with STALL
(cocotbext's pipelined mode); ``pipelined=False`` a master that does not see STALL and
holds STB until ACK/ERR, as an OpenRISC mor1kx data port does (classic cycles).
"""

import cocotbext.wishbone.driver as _wb_driver
from cocotb.triggers import ClockCycles, First, ReadOnly, RisingEdge
from cocotbext.wishbone.driver import WBOp, WishboneMaster

from sim.driver import DriverError

__all__ = ["RtlBackend", "ClassicMaster", "SIGNALS"]

#: cocotbext signal name -> port suffix (ports are ``wb_<suffix>``).
SIGNALS = {"cyc": "cyc", "stb": "stb", "we": "we", "adr": "adr", "datwr": "dat_w",
           "datrd": "dat_r", "ack": "ack"}


# cocotbext-wishbone sets its outputs' initial values with Immediate writes. On Icarus an
# immediate write to a top-level input net behaves like a force: later (scheduled) writes
# read back but never reach the design, so the first access hangs. Plain writes work on
# both simulators.
def _set_initial(sig, val):
    sig.value = val


_wb_driver.set_immediate = _set_initial


class ClassicMaster(WishboneMaster):
    """cocotbext's master without STALL: classic cycles (STB held until ACK/ERR)."""

    _optional_signals = ["sel", "err"]


class RtlBackend:
    """Bus accesses on the RTL; each is one Wishbone cycle.

    ``irq_timeout`` bounds :meth:`wait_irq` (cycles) so that a missing interrupt fails the
    test instead of hanging it.
    """

    def __init__(self, dut, cfg, pipelined=True, irq_timeout=2_000_000, ack_timeout=100_000):
        cls = WishboneMaster if pipelined else ClassicMaster
        self.dut, self.cfg = dut, cfg
        self.wb = cls(dut, "wb", dut.clk, width=32, timeout=ack_timeout, signals_dict=SIGNALS)
        self.irq_timeout = irq_timeout
        self.ack_timeout = ack_timeout

    async def _op(self, op):
        res = await self.wb.send_cycle([op])
        code = res[0].ack
        if code not in (1, 2):
            raise DriverError(f"bus answered {code} (1 ACK, 2 ERR expected)")
        return code == 1, res[0].datrd

    async def read(self, addr, sel=0xF):
        ok, data = await self._op(WBOp(adr=addr, sel=sel, acktimeout=self.ack_timeout))
        return ok, int(data) if ok else 0

    async def write(self, addr, value, sel=0xF):
        ok, _ = await self._op(WBOp(adr=addr, dat=value, sel=sel, acktimeout=self.ack_timeout))
        return ok

    async def wait_irq(self):
        # Cycle by cycle for a short while (the usual answer), then on the irq's edge: a
        # write-verify run waits hundreds of thousands of cycles.
        for _ in range(min(64, self.irq_timeout)):
            await ReadOnly()
            if int(self.dut.irq.value):
                return
            await RisingEdge(self.dut.clk)
        edge = RisingEdge(self.dut.irq)
        res = await First(edge, ClockCycles(self.dut.clk, self.irq_timeout))
        if res is not edge:
            raise DriverError(f"no interrupt within {self.irq_timeout} cycles")
        await ReadOnly()
