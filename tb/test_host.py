# amaranth: UnusedElaboratable=no
"""Host interface on the whole chip (block ``chip``): Wishbone slave, register map, queues,
activation SRAM, remote-CSR window, interrupts, tile NIs; Icarus and Verilator.

Block ``chip_shared`` (the chip built from one shared tile node module, ``hdl/chip.py``)
runs :data:`SHARED_CASES`: each tile's own node (``TileCsr.NODE``, the source of its
answers), an MVM, and engine programming, whose device hash is keyed by the node.

The master is cocotbext-wishbone (pipelined with STALL, or classic without it). Every bus
access is also applied to the golden model (``sim/chip.py``) and ACK/ERR, read data and the
interrupt line must agree access by access; the driver programs (``sim/driver.py``) run on
both backends and every value they return must be equal. Seeds come from cocotb
(``COCOTB_RANDOM_SEED``) and are logged.
"""

import random

import cocotb
import pytest
from cocotb.triggers import ReadOnly, RisingEdge

from hdl.spec.host import (
    LEGAL_BYTE_SELECTS,
    WINDOW_TAG,
    Buffer,
    BusCause,
    Irq,
    NiError,
    TileCsr,
    pack_wv,
)
from hdl.spec.noc import MsgType, make_head, parse_head
from hdl.spec.regmap import REGISTERS, WINDOW_NODE_STRIDE, region
from hdl.spec.tile import TileCounter, TileField
from hdl.spec.write_verify import WV_SETS, WvOp, WvRunKind
from sim import regs
from sim.driver import BusError, Driver, ModelBackend, TileRequestError
from sim.write_verify import WvCommand
from tb.bus import ClockedTB
from tb.configs import config as config_named
from tb.harness import run_cocotb, simulators


def run_sync(coro):
    """Run a driver coroutine on the model backend (it never suspends)."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("the model backend suspended")


class ChipTB(ClockedTB):
    def __init__(self, dut, pipelined=True):
        from tb.wb_backend import RtlBackend

        super().__init__(dut)
        self.rtl = RtlBackend(dut, self.cfg, pipelined=pipelined)
        self.gold = ModelBackend(self.cfg)
        self.model = self.gold.model
        self.drv = Driver(self.rtl, self.cfg)
        self.mdrv = Driver(self.gold, self.cfg)
        self.accesses = 0

    async def irq(self):
        await ReadOnly()
        v = int(self.dut.irq.value)
        await RisingEdge(self.dut.clk)
        return v

    # -- lockstep accesses ----------------------------------------------------------------

    async def read(self, addr, sel=0xF, why=""):
        ok, data = await self.rtl.read(addr, sel)
        mok, mdata = self.model.read(addr, sel)
        where = f"read 0x{addr:05x} sel {sel:04b} {why} (access {self.accesses})"
        assert ok == mok, f"{where}: {'ACK' if ok else 'ERR'}, model {'ACK' if mok else 'ERR'}"
        assert data == mdata, f"{where}: 0x{data:08x}, model 0x{mdata:08x}"
        self.accesses += 1
        return ok, data

    async def write(self, addr, value, sel=0xF, why=""):
        ok = await self.rtl.write(addr, value, sel)
        mok = self.model.write(addr, value, sel)
        where = f"write 0x{addr:05x} = 0x{value:08x} sel {sel:04b} {why} (access {self.accesses})"
        assert ok == mok, f"{where}: {'ACK' if ok else 'ERR'}, model {'ACK' if mok else 'ERR'}"
        self.accesses += 1
        return ok

    async def check_irq(self, why):
        got = await self.irq()
        assert got == int(self.model.irq), f"{why}: irq {got}, model {int(self.model.irq)}"

    async def compare_program(self, program):
        """Run ``program(driver)`` on the RTL and on the model; their results must match."""
        got = await program(self.drv)
        want = run_sync(program(self.mdrv))
        assert got == want, f"RTL result\n{got}\n!= golden model\n{want}"
        return got


def _sels():
    return list(LEGAL_BYTE_SELECTS)


def _unmapped(cfg, rng):
    """An address in every hole of the memory map, plus random ones."""
    used = {r.offset for r in REGISTERS}
    holes = [o for o in range(0, 0x100, 4) if o not in used]
    asram, win = region("ASRAM"), region("WINDOW")
    addrs = holes + [0x100, 0x3FFFC, asram.base + 4 * cfg.host.asram_words, asram.base +
                     asram.size - 4, win.base + win.size, 0xFFFFC]
    addrs += [rng.randrange(0x100, asram.base) & ~3 for _ in range(4)]
    addrs += [rng.randrange(win.base + win.size, 1 << 20) & ~3 for _ in range(4)]
    return addrs


def _bad_windows(cfg):
    nodes = cfg.mesh_width * cfg.mesh_height
    win = region("WINDOW").base
    return [win + cfg.host_node * WINDOW_NODE_STRIDE, win + nodes * WINDOW_NODE_STRIDE,
            win + 63 * WINDOW_NODE_STRIDE + 0x3FC]


# ---------------------------------------------------------------------------------------------


async def _random_traffic(dut, pipelined, n):
    tb = ChipTB(dut, pipelined=pipelined)
    await tb.reset()
    cfg, rng = tb.cfg, tb.rng
    for name in ("ID", "VERSION", "CFG_DIGEST", "CFG_MESH", "CFG_ARRAY", "CFG_DATAPATH",
                 "CFG_NOC", "CFG_QUEUES", "CFG_ASRAM"):
        await tb.read(regs.REGISTERS[name][0], why=name)
    asram = region("ASRAM").base
    rw = [regs.SCRATCH, regs.IRQ_ENABLE]
    ro = [r.offset for r in REGISTERS if r.access == "RO" and r.name != "CYCLES"]
    for i in range(n):
        kind = rng.randrange(10)
        sel = rng.choice(_sels())
        lane = (sel & -sel).bit_length() - 1
        off = rng.choice((0, lane))
        value = rng.getrandbits(32)
        if kind < 3:
            a = rng.choice(rw) + off
            await (tb.write(a, value, sel) if rng.random() < 0.6 else tb.read(a, sel))
        elif kind < 6:
            a = asram + 4 * rng.randrange(cfg.host.asram_words) + off
            await (tb.write(a, value, sel) if rng.random() < 0.5 else tb.read(a, sel))
        elif kind == 6:
            await tb.read(rng.choice(ro) + off, sel)
        elif kind == 7:
            await tb.write(regs.IRQ_STATUS + off, value, sel)
        elif kind == 8:
            # something that must end with ERR
            choice = rng.randrange(5)
            if choice == 0:
                await tb.read(rng.choice(_unmapped(cfg, rng)), sel)
            elif choice == 1:
                bad = rng.choice([s for s in range(16) if s not in LEGAL_BYTE_SELECTS])
                await tb.write(rng.choice(rw + [asram]), value, bad)
            elif choice == 2:
                await tb.write(rng.choice(ro), value, 0b1111)
            elif choice == 3:
                await tb.read(regs.CMD_DATA, 0b1111)
            else:
                await tb.write(rng.choice(rw) + rng.choice((1, 2, 3)), value, 0b1111)
        else:
            await tb.write(regs.CTRL + off, value & 0x3 if rng.random() < 0.3 else 0, sel)
        await tb.check_irq(f"after access {i}")
    for name in ("ERR_COUNT", "ERR_CAUSE", "ERR_ADDR", "BUS_ACKS", "BUS_ERRS", "IRQ_STATUS",
                 "STATUS"):
        await tb.read(regs.REGISTERS[name][0], why=name)
    dut._log.info("%d accesses agree with the golden model", tb.accesses)


@cocotb.test()
async def cocotb_random_pipelined(dut):
    """Random register and SRAM traffic with byte selects, and ERR cases; STALL master."""
    await _random_traffic(dut, True, 250)


@cocotb.test()
async def cocotb_random_classic(dut):
    """The same with classic cycles (no STALL: STB held until ACK/ERR)."""
    await _random_traffic(dut, False, 250)


@cocotb.test()
async def cocotb_errors(dut):
    """ERR on every unmapped region, misaligned and wrong-size accesses, bad window nodes,
    bad heads, an empty response queue; the error log and the BUS_ERROR interrupt."""
    tb = ChipTB(dut)
    await tb.reset()
    cfg = tb.cfg
    await tb.write(regs.IRQ_ENABLE, 1 << Irq.BUS_ERROR)
    for a in _unmapped(cfg, tb.rng):
        for we in (False, True):
            ok = await tb.write(a, 0x1234, why="unmapped") if we else \
                (await tb.read(a, why="unmapped"))[0]
            assert not ok
            _, cause = await tb.read(regs.ERR_CAUSE)
            assert cause & 0xF == BusCause.UNMAPPED, f"0x{a:05x}: cause {cause}"
            _, addr = await tb.read(regs.ERR_ADDR)
            assert addr == a
            await tb.check_irq("BUS_ERROR")
            await tb.write(regs.IRQ_STATUS, 1 << Irq.BUS_ERROR)
            await tb.check_irq("cleared")
    cases = [
        (regs.SCRATCH + 1, 0b1111, True, BusCause.MISALIGNED),
        (regs.SCRATCH + 2, 0b0011, False, BusCause.MISALIGNED),
        (regs.SCRATCH, 0b0110, False, BusCause.MISALIGNED),
        (regs.SCRATCH, 0b0000, True, BusCause.MISALIGNED),
        (regs.ID, 0b1111, True, BusCause.READ_ONLY),
        (regs.RESP_DATA, 0b1111, True, BusCause.READ_ONLY),
        (regs.CMD_DATA, 0b1111, False, BusCause.WRITE_ONLY),
        (regs.CMD_DATA, 0b0011, True, BusCause.WORD_ONLY),
        (regs.RESP_DATA, 0b1111, False, BusCause.RESP_EMPTY),
        (region("WINDOW").base + WINDOW_NODE_STRIDE, 0b0001, False, BusCause.WORD_ONLY),
    ] + [(a, 0b1111, False, BusCause.BAD_NODE) for a in _bad_windows(cfg)]
    for addr, sel, we, cause in cases:
        ok = await tb.write(addr, 0, sel) if we else (await tb.read(addr, sel))[0]
        assert not ok, f"0x{addr:05x} sel {sel:04b} was acknowledged"
        _, got = await tb.read(regs.ERR_CAUSE)
        assert got & 0xF == cause, f"0x{addr:05x}: cause {got & 0xF}, want {cause}"
    # Bad heads: length 0, too long, destination outside the mesh; nothing is queued.
    for head in (0, 9 << 16, (1 << 16) | 3, (1 << 16) | (3 << 3)):
        assert not await tb.write(regs.CMD_DATA, head, why="bad head")
    await tb.read(regs.CMD_FREE)
    for name in ("ERR_COUNT", "BUS_ERRS", "BUS_ACKS", "STATUS"):
        await tb.read(regs.REGISTERS[name][0], why=name)
    await tb.write(regs.CTRL, 2)
    await tb.read(regs.ERR_COUNT)


@cocotb.test()
async def cocotb_pipelined_burst(dut):
    """Back-to-back pipelined transfers: STB held high for a whole burst, a new request in
    every cycle the slave does not stall. Every request is answered once, in order; one
    transfer every 2 cycles (STALL high in each ACK cycle), errors included."""
    tb = ChipTB(dut)
    await tb.reset()
    rng, dut_ = tb.rng, dut
    asram = region("ASRAM").base
    ops = []
    for _ in range(64):
        if rng.random() < 0.15:
            ops.append((rng.choice(_unmapped(tb.cfg, rng)), None, 0b1111))
        elif rng.random() < 0.5:
            ops.append((asram + 4 * rng.randrange(tb.cfg.host.asram_words), rng.getrandbits(32),
                        rng.choice(_sels())))
        else:
            ops.append((rng.choice((regs.SCRATCH, asram + 4 * rng.randrange(8))), None, 0b1111))
    clk = dut_.clk
    dut_.wb_cyc.value = 1
    dut_.wb_stb.value = 1
    answers, issued, first, last = [], 0, None, None
    cycle = 0
    while len(answers) < len(ops):
        if issued < len(ops):
            adr, dat, sel = ops[issued]
            dut_.wb_adr.value = adr
            dut_.wb_we.value = int(dat is not None)
            dut_.wb_dat_w.value = dat or 0
            dut_.wb_sel.value = sel
            dut_.wb_stb.value = 1
        else:
            dut_.wb_stb.value = 0
        await ReadOnly()
        taken = issued < len(ops) and not int(dut_.wb_stall.value)
        if int(dut_.wb_ack.value) or int(dut_.wb_err.value):
            assert not (int(dut_.wb_ack.value) and int(dut_.wb_err.value))
            answers.append((bool(int(dut_.wb_ack.value)), int(dut_.wb_dat_r.value)))
            last = cycle
        if taken:
            first = cycle if first is None else first
            issued += 1
        await RisingEdge(clk)
        cycle += 1
        assert cycle < 10 * len(ops), "burst did not finish"
    dut_.wb_cyc.value = 0
    dut_.wb_stb.value = 0
    for i, ((adr, dat, sel), (ok, data)) in enumerate(zip(ops, answers, strict=True)):
        if dat is None:
            mok, mdata = tb.model.read(adr, sel)
            assert (ok, ok and data) == (mok, mok and mdata), f"op {i}: read 0x{adr:05x}"
        else:
            assert ok == tb.model.write(adr, dat, sel), f"op {i}: write 0x{adr:05x}"
    assert last - first == 2 * len(ops) - 1, f"{len(ops)} transfers took {last - first + 1} cycles"
    dut._log.info("%d back-to-back transfers in %d cycles", len(ops), last - first + 1)
    for name in ("BUS_ACKS", "BUS_ERRS", "ERR_COUNT", "SCRATCH"):
        await tb.read(regs.REGISTERS[name][0], why=name)


def _lure(dut, rng, cfg):
    """Drive an access with side effects onto the bus with STB low (nothing may take it): a
    CMD_DATA head, a RESP_DATA pop, SCRATCH / IRQ_STATUS / CTRL / SRAM writes, a read of an
    unmapped address."""
    head = make_head(cfg, dest_x=1, dest_y=0, src_x=0, src_y=0, mtype=MsgType.CSR_READ,
                     length=1, aux=0)
    adr, we, dat = rng.choice([
        (regs.CMD_DATA, 1, head), (regs.RESP_DATA, 0, 0), (regs.SCRATCH, 1, rng.getrandbits(32)),
        (regs.IRQ_STATUS, 1, 0xFFFF_FFFF), (regs.CTRL, 1, 3), (region("ASRAM").base, 1, 0x5A5A),
        (0x0FC, 0, 0)])
    dut.wb_stb.value = 0
    dut.wb_adr.value = adr
    dut.wb_we.value = we
    dut.wb_dat_w.value = dat
    dut.wb_sel.value = 0b1111


@cocotb.test()
async def cocotb_cyc_held_stb_low(dut):
    """CYC held high while STB is low (Wishbone B4 allows it between the transfers of a
    cycle): before, between and after transfers, with an access with side effects on the
    bus, nothing is taken - no ACK/ERR in those cycles, and every result, register and
    counter (BUS_ACKS, BUS_ERRS, ERR_COUNT) equals the golden model's."""
    tb = ChipTB(dut)
    await tb.reset()
    cfg, rng, clk = tb.cfg, tb.rng, dut.clk
    t = cfg.tiles[0]
    # A 3-word answer waits in the response queue for the RESP_DATA pops below (the RESP
    # interrupt is the level "a whole packet is in the response queue").
    await tb.write(regs.IRQ_ENABLE, 1 << Irq.RESP)
    await tb.drv.send(t, MsgType.CSR_READ, [], TileField.OUT_BITS)
    run_sync(tb.mdrv.send(t, MsgType.CSR_READ, [], TileField.OUT_BITS))
    await tb.rtl.wait_irq()
    await RisingEdge(clk)
    dx, dy = t % cfg.mesh_width, t // cfg.mesh_width
    head = make_head(cfg, dest_x=dx, dest_y=dy, src_x=0, src_y=0, mtype=MsgType.CSR_WRITE,
                     length=2, aux=TileField.OUT_BITS)
    scratch = rng.getrandbits(32)
    ops = [   # (adr, write data or None for a read, sel)
        (regs.SCRATCH, scratch, 0b1111), (regs.SCRATCH, None, 0b1111),
        (regs.RESP_DATA, None, 0b1111), (regs.RESP_DATA, None, 0b1111),
        (regs.RESP_DATA, None, 0b1111), (regs.RESP_DATA, None, 0b1111),   # empty: ERR
        (0x0FC, None, 0b1111), (regs.SCRATCH + 2, 0xBEEF, 0b1100),     # ERR, then a half
        (regs.SCRATCH, None, 0b1111), (regs.BUS_ACKS, None, 0b1111),
        (regs.CMD_DATA, head, 0b1111), (regs.CMD_FREE, None, 0b1111),
        (regs.CMD_DATA, 3, 0b1111), (regs.ERR_COUNT, None, 0b1111),
        (regs.ID, 0, 0b1111),                                             # READ_ONLY
        (regs.IRQ_STATUS, 1 << Irq.BUS_ERROR, 0b1111), (regs.BUS_ERRS, None, 0b1111),
    ]
    got, idle = [], 0

    async def no_answer(why):
        nonlocal idle
        await ReadOnly()
        assert not int(dut.wb_ack.value) and not int(dut.wb_err.value), \
            f"ACK/ERR {why} with no transfer outstanding (STB low since the last one)"
        idle += 1
        await RisingEdge(clk)

    dut.wb_cyc.value = 1
    for i in range(len(ops) + 1):     # gaps before, between and after the transfers
        for _ in range(rng.randrange(1, 5) if 0 < i < len(ops) else 4):
            _lure(dut, rng, cfg)
            await no_answer(f"before op {i}" if i < len(ops) else "after the last op")
        if i == len(ops):
            break
        adr, dat, sel = ops[i]
        classic = rng.random() < 0.5    # STB held through the ACK cycle, else dropped
        dut.wb_adr.value = adr
        dut.wb_we.value = int(dat is not None)
        dut.wb_dat_w.value = dat or 0
        dut.wb_sel.value = sel
        dut.wb_stb.value = 1
        await ReadOnly()
        assert not int(dut.wb_stall.value), f"op {i}: stalled with nothing outstanding"
        await RisingEdge(clk)
        if not classic:
            _lure(dut, rng, cfg)
        for _ in range(1000):
            await ReadOnly()
            ack, err = int(dut.wb_ack.value), int(dut.wb_err.value)
            if ack or err:
                got.append((bool(ack), int(dut.wb_dat_r.value)))
                break
            await RisingEdge(clk)
        else:
            raise AssertionError(f"op {i}: no ACK/ERR")
        await RisingEdge(clk)
    dut.wb_cyc.value = 0
    dut.wb_stb.value = 0
    for i, ((adr, dat, sel), (ok, data)) in enumerate(zip(ops, got, strict=True)):
        if dat is None:
            mok, mdata = tb.model.read(adr, sel)
            assert (ok, ok and data) == (mok, mok and mdata), \
                f"op {i}: read 0x{adr:05x}: {ok} 0x{data:08x}, model {mok} 0x{mdata:08x}"
        else:
            assert ok == tb.model.write(adr, dat, sel), f"op {i}: write 0x{adr:05x}"
    await tb.rtl.wait_irq()     # the CSR_WRITE's answer is in the response queue
    await RisingEdge(clk)
    for name in ("BUS_ACKS", "BUS_ERRS", "ERR_COUNT", "ERR_CAUSE", "ERR_ADDR", "SCRATCH",
                 "CMD_FREE", "RESP_LEVEL", "STATUS", "IRQ_STATUS", "PACKETS_OUT"):
        await tb.read(regs.REGISTERS[name][0], why=f"{name} after CYC held")
    await tb.check_irq("after CYC held")
    for _ in range(3):
        await tb.read(regs.RESP_DATA, why="the CSR_WRITE's answer")
    dut._log.info("%d transfers, %d cycles with CYC high and STB low", len(ops), idle)


@cocotb.test()
async def cocotb_interrupts(dut):
    """Every interrupt source, enable and W1C clear; the irq line follows the model."""
    tb = ChipTB(dut)
    await tb.reset()
    cfg, rng = tb.cfg, tb.rng
    node = cfg.tiles[0]
    await tb.check_irq("reset")
    await tb.write(regs.IRQ_ENABLE, (1 << len(Irq)) - 1)
    # CMD_EMPTY + RESP + DONE: a window-less CSR write through the queue.
    for body, aux, mtype in (([3], TileField.OUT_BITS, MsgType.CSR_WRITE),
                             ([], 0x7F, MsgType.CSR_READ),       # BAD_ADDRESS -> ERROR
                             ([0, 1, 2], 0, MsgType.ACTIVATIONS)):  # no answer
        await tb.drv.send(node, mtype, body, aux)
        run_sync(tb.mdrv.send(node, mtype, body, aux))
        for _ in range(60):
            await RisingEdge(dut.clk)
        _, status = await tb.read(regs.IRQ_STATUS, why=f"after {mtype.name}")
        await tb.check_irq(mtype.name)
        for bit in Irq:
            if status >> bit & 1:
                await tb.write(regs.IRQ_STATUS, 1 << bit)
                await tb.check_irq(f"cleared {bit.name}")
        while (await tb.read(regs.RESP_LEVEL))[1]:
            await tb.read(regs.RESP_DATA)
    # DATA: an MVM's outputs to the host SRAM; BUS_ERROR; enables masked one by one.
    await tb.drv.configure(node, out_count=3)
    run_sync(tb.mdrv.configure(node, out_count=3))
    await tb.drv.send(node, MsgType.START_MVM)
    run_sync(tb.mdrv.send(node, MsgType.START_MVM))
    for _ in range(600):    # the MVM, its 2 output packets and its answer
        await RisingEdge(dut.clk)
    await tb.read(regs.IRQ_STATUS, why="after MVM")
    await tb.read(0xFFFFC)
    for bit in rng.sample(list(Irq), len(Irq)):
        await tb.write(regs.IRQ_ENABLE, ((1 << len(Irq)) - 1) & ~(1 << bit))
        await tb.check_irq(f"{bit.name} masked")
        await tb.write(regs.IRQ_STATUS, 1 << bit)
        await tb.check_irq(f"{bit.name} cleared")
    await tb.read(regs.IRQ_STATUS)


async def _layer_program(drv, *, rng_seed, cfg):
    """A complete MVM on one tile through the bus, and a write-verify programmed tile."""
    r = random.Random(rng_seed)
    a = cfg.array
    t1, t2 = cfg.tiles[0], cfg.tiles[1]
    info = await drv.open()
    codes = [[r.randrange(a.g_max + 1) for _ in range(a.cols)] for _ in range(a.rows)]
    await drv.load_weights(t1, codes)
    x = [r.randrange(1 << cfg.input_bits) for _ in range(a.rows)]
    await drv.write_inputs(t1, x)
    bias = [r.randrange(-50, 50) for _ in range(a.pairs)]
    await drv.write_bias(t1, bias)
    out = {"info": info}
    # raw partial sums, then a requantized ReLU layer at another SRAM offset
    await drv.configure(t1, out_raw=1, offset=8, adc_shift=1)
    out["clips_raw"] = await drv.run(t1)
    out["raw"] = await drv.read_asram(8, a.pairs, signed=True)
    await drv.configure(t1, out_raw=0, out_mult=3, out_shift=4, activation=1, offset=24,
                        out_count=a.pairs - 1)
    out["clips"] = await drv.run(t1)
    out["act"] = await drv.read_asram(24, a.pairs)
    out["desc"] = await drv.descriptor(t1)
    # tile 2: program a 2 x 4 region with the engine, read its fail list, run
    targets = [[r.randrange(5) for _ in range(4)] for _ in range(2)]
    out["program"] = await drv.program_weights(t2, targets)
    # The targets went in by BUF_WRITE (TARGETS buffer): the engine holds exactly them.
    held = [[await drv.wv(t2, op=WvOp.READ_TARGET, addr=i * a.cols + j) for j in range(4)]
            for i in range(2)]
    assert held == targets, f"engine targets {held}, written {targets}"
    out["fails"] = await drv.read_fail_list(t2)
    await drv.write_inputs(t2, [r.randrange(1 << cfg.input_bits) for _ in range(2)])
    await drv.configure(t2, out_raw=1, offset=40, out_count=2)
    out["clips2"] = await drv.run(t2)
    out["out2"] = await drv.read_asram(40, 2, signed=True)
    out["counters"] = {n: await drv.counters(n) for n in (t1, t2)}
    out["host"] = {k: v for k, v in (await drv.host_counters()).items() if k != "cycles"}
    return out


@cocotb.test()
async def cocotb_mvm(dut):
    """A complete MVM on one tile driven only through the bus, equal to the golden model:
    values, SRAM contents, tile counters (BUSY is the sum of the exact tile latencies) and
    host counters; plus engine programming and the fail list on a second tile."""
    tb = ChipTB(dut)
    await tb.reset()
    seed = tb.rng.getrandbits(32)
    got = await tb.compare_program(lambda d: _layer_program(d, rng_seed=seed, cfg=tb.cfg))
    # and independently of the chip model: the tile model's own MVM of the same state
    t = tb.model.tile(tb.cfg.tiles[0])
    v, values, _ = t.mvm_values()
    assert got["act"][:tb.cfg.array.pairs - 1] == [int(x) for x in values[:-1]]
    dut._log.info("MVM outputs %s; tile BUSY %d cycles", got["act"],
                  got["counters"][tb.cfg.tiles[0]]["busy"])


@cocotb.test()
async def cocotb_queues_and_window(dut):
    """A full command queue stalls the bus and loses no word; the response queue spills into
    the network and loses nothing; NI errors; window errors and the window timeout."""
    tb = ChipTB(dut)
    await tb.reset()
    cfg, rng = tb.cfg, tb.rng
    t1, t2 = cfg.tiles[0], cfg.tiles[1]
    for d in (tb.drv, tb.mdrv):
        await d.open() if d is tb.drv else run_sync(d.open())
    # Keep tile t1 busy with a long engine run, then queue data packets behind it until the
    # command queue is full: the CMD_DATA writes wait, nothing is lost.
    # One endurance cycle of the whole array keeps it busy for about 6 000 cycles; the 40
    # packets take about 1 000 cycles of bus time, so the queue fills.
    run = dict(op=WvOp.RUN, kind=WvRunKind.ENDURANCE, nrows=cfg.array.rows,
               ncols=cfg.array.cols, count=1)
    wv_body = pack_wv(cfg, WvCommand(**run))
    await tb.drv.send(t1, MsgType.START_PROGRAM, wv_body)
    run_sync(tb.mdrv.send(t1, MsgType.START_PROGRAM, wv_body))
    packets = [[o] + [rng.randrange(1 << cfg.input_bits) for _ in range(6)]
               for o in rng.choices(range(cfg.array.rows - 6), k=40)]
    waited = 0
    for p in packets:
        await tb.drv.send(t1, MsgType.ACTIVATIONS, p)
        run_sync(tb.mdrv.send(t1, MsgType.ACTIVATIONS, p))
        _, st = await tb.rtl.read(regs.STATUS)
        waited += st >> 1 & 1
    assert waited, "the command queue never filled"
    got = await tb.drv.receive()
    want = run_sync(tb.mdrv.receive())
    assert got == want, f"{got} != {want}"
    # Responses beyond the 8-word queue wait in the network: 4 requests, 12 words.
    reqs = [(MsgType.CSR_READ, [], f) for f in rng.sample(list(TileField), 4)]
    for mtype, body, aux in reqs:
        await tb.drv.send(t2, mtype, body, aux)
        run_sync(tb.mdrv.send(t2, mtype, body, aux))
    for _ in range(300):
        await RisingEdge(dut.clk)
    _, st = await tb.read(regs.STATUS, why="response queue full")
    assert st >> 3 & 1, "response queue not full"
    for _ in range(12):
        await tb.read(regs.RESP_DATA)
    await tb.read(regs.RESP_DATA, why="empty again")
    await tb.write(regs.IRQ_STATUS, (1 << len(Irq)) - 1)
    # NI errors, answered with ERROR and counted.
    bad = [(MsgType.CSR_READ, [1], 0, NiError.BAD_LENGTH),
           (MsgType.CSR_WRITE, [], 0, NiError.BAD_LENGTH),
           (MsgType.CSR_WRITE, [1], 0x10, NiError.BAD_ADDRESS),
           (MsgType.BUF_WRITE, [0, 1], 7, NiError.BAD_ADDRESS),
           (MsgType.BUF_WRITE, [cfg.array.rows - 1, 1, 1], 0, NiError.BAD_ADDRESS),
           (MsgType.BUF_WRITE, [0, 1 << cfg.input_bits], 0, NiError.BAD_VALUE),
           # Targets: the engine refuses a set past its register sets and a cell past the
           # array (the answer's value is the index of the refused word).
           (MsgType.BUF_WRITE, [5, 1, WV_SETS, 2], Buffer.TARGETS, NiError.ENGINE),
           (MsgType.BUF_WRITE, [cfg.array.rows * cfg.array.cols - 1, 1, 1], Buffer.TARGETS,
            NiError.ENGINE),
           (MsgType.START_MVM, [1], 0, NiError.BAD_LENGTH),
           (MsgType.START_PROGRAM, [0], 0, NiError.BAD_LENGTH),
           (MsgType.BUF_READ, [], 0, NiError.BAD_TYPE),
           (MsgType.CSR_WRITE, [0], TileField.IN_BITS, NiError.BAD_VALUE)]
    for mtype, body, aux, err in bad:
        got = await tb.drv.request(t2, mtype, body, aux, check=False)
        want = run_sync(tb.mdrv.request(t2, mtype, body, aux, check=False))
        assert got == want and got[1] == err, f"{mtype.name}: {got}, model {want}, want {err}"
    # Window: a tile error ends with ERR, and so does a read of a busy tile (timeout).
    for drv in (tb.drv, tb.mdrv):
        try:
            coro = drv.tile_write(t2, 0x10 + TileCounter.MVMS, 5)
            await coro if drv is tb.drv else run_sync(coro)
            raise AssertionError("write to a read-only tile counter was acknowledged")
        except BusError as e:
            assert e.cause == BusCause.WINDOW_ERROR and e.info == NiError.BAD_ADDRESS, e
    # A 4 x 4 endurance cycle: busy for hundreds of cycles, past the 64-cycle window timeout.
    wv_body = pack_wv(cfg, WvCommand(**{**run, "nrows": 4, "ncols": 4}))
    await tb.drv.send(t1, MsgType.START_PROGRAM, wv_body)
    try:
        v = await tb.drv.tile_read(t1, TileField.OFFSET)
        raise AssertionError(f"window read of a busy tile did not time out: {v}")
    except BusError as e:
        assert e.cause == BusCause.WINDOW_TIMEOUT, e
    # Both answers arrive later in the response queue: the run's DONE, then the read's
    # CSR_DATA (tagged as a window answer).
    done = await tb.drv.receive()
    assert done.mtype == MsgType.DONE and done.src == t1, done
    late = await tb.drv.receive()
    assert (late.mtype, late.aux, late.src) == (MsgType.CSR_DATA, WINDOW_TAG | TileField.OFFSET,
                                                t1), late
    run_sync(tb.mdrv.send(t1, MsgType.START_PROGRAM, wv_body))
    assert done == run_sync(tb.mdrv.receive())
    assert late.body[0] == tb.model.tile(t1).desc[TileField.OFFSET]
    # Afterwards everything still works: an MVM whose inputs came from the queued packets.
    for d in (tb.drv, tb.mdrv):
        coro = d.configure(t1, out_raw=1, offset=0)
        await coro if d is tb.drv else run_sync(coro)
    got = await tb.drv.run(t1)
    assert got == run_sync(tb.mdrv.run(t1))
    for i in range(cfg.array.pairs):
        await tb.read(region("ASRAM").base + 4 * i, why=f"output {i}")
    # The timed-out window read is RTL-only (the model answers at once): one more packet
    # out (1 flit) and in (3 flits) than the model, nothing else.
    for name, extra in (("PACKETS_OUT", 1), ("FLITS_OUT", 1), ("PACKETS_IN", 1),
                        ("FLITS_IN", 3), ("DATA_WORDS", 0)):
        _, got = await tb.rtl.read(regs.REGISTERS[name][0])
        _, want = tb.model.read(regs.REGISTERS[name][0])
        assert got == want + extra, f"{name}: {got}, model {want} + {extra}"
    dut._log.info("%d CMD_DATA writes found the queue full", waited)


@cocotb.test()
async def cocotb_node_csrs(dut):
    """Every tile answers a CSR_READ of ``TileCsr.NODE`` with its own node, from its own
    coordinates (the driver checks the answer's source), equal to the golden model; on the
    shared chip the node is the tile node module's port, tied per instance."""
    tb = ChipTB(dut)
    await tb.reset()
    nodes = list(tb.cfg.tiles)
    tb.rng.shuffle(nodes)

    async def program(drv):
        await drv.open()
        return {n: await drv.request(n, MsgType.CSR_READ, aux=TileCsr.NODE) for n in nodes}

    got = await tb.compare_program(program)
    assert got == {n: n for n in nodes}, got


# -- pytest ------------------------------------------------------------------------------------

CASES = ["cocotb_random_pipelined", "cocotb_random_classic", "cocotb_errors",
         "cocotb_pipelined_burst", "cocotb_cyc_held_stb_low", "cocotb_interrupts", "cocotb_mvm",
         "cocotb_queues_and_window", "cocotb_node_csrs"]
#: The shared-tile chip's cases: per-tile node, MVM, engine programming (device hash).
SHARED_CASES = ["cocotb_node_csrs", "cocotb_mvm"]


@pytest.mark.sim
@pytest.mark.parametrize("sim", simulators())
@pytest.mark.parametrize("testcase", CASES)
def test_host(testcase, sim):
    run_cocotb("chip", config_named("chip-small"), "tb.test_host", testcase, sim)


def _shared_cases():
    """On Verilator the shared chip is a hierarchical build (``--hierarchical``): about
    170 s of build for 2 s of test, so that combination is ``slow`` (``make test-all``;
    ``make bench-scale`` builds the neurram chip the same way)."""
    for sim in simulators():
        for testcase in SHARED_CASES:
            marks = [pytest.mark.slow] if sim == "verilator" else []
            yield pytest.param(testcase, sim, marks=marks, id=f"{testcase}-{sim}")


@pytest.mark.sim
@pytest.mark.parametrize(("testcase", "sim"), list(_shared_cases()))
def test_host_shared(testcase, sim):
    """The chip built from one shared tile node module (block ``chip_shared``)."""
    run_cocotb("chip_shared", config_named("chip-small"), "tb.test_host", testcase, sim)


def test_driver_model_only():
    """The layer program on the golden model alone: outputs equal the tile model's MVM."""
    cfg = config_named("chip-small")
    gold = ModelBackend(cfg)
    out = run_sync(_layer_program(Driver(gold, cfg), rng_seed=5, cfg=cfg))
    t = gold.model.tile(cfg.tiles[0])
    _, values, _ = t.mvm_values()
    assert out["act"][:cfg.array.pairs - 1] == [int(v) for v in values[:-1]]
    assert out["host"]["bus_errs"] == 0
    assert out["counters"][cfg.tiles[0]]["mvms"] == 2
    with pytest.raises(TileRequestError):
        run_sync(Driver(gold, cfg).request(cfg.tiles[0], MsgType.BUF_READ))
    assert parse_head(cfg, 0)["length"] == 0



def test_shared_tiles_refusals():
    """Shared mode's refusals: unequal power-on images (naming the tile), and node values
    that are neither an int in range nor a narrow enough unsigned value (naming the field).
    The shared chip's Verilog holds the tile node module once and no tile elaborated in
    the chip."""
    from dataclasses import replace

    from amaranth.hdl import Signal, signed

    from hdl.chip import TILE_MODULE, Chip
    from hdl.noc import NocPacketizer
    from hdl.tile import Tile
    from hdl.tile_node import TileNode
    from scripts.blocks import generate_verilog
    from sim.images import chip_images

    cfg = config_named("chip-small")
    images = chip_images(cfg)
    t0, t1 = cfg.tiles[0], cfg.tiles[1]
    g = [list(row) for row in images[t1].conductance]
    g[0][0] ^= 1
    bad = {**images, t1: replace(images[t1], conductance=tuple(map(tuple, g)))}
    with pytest.raises(ValueError, match=rf"tile {t1}'s differs from tile {t0}'s"):
        Chip(cfg, bad, shared_tiles=True)
    with pytest.raises(ValueError, match="node = 0: not a tile node"):
        TileNode(cfg, cfg.host_node, images[t0])
    with pytest.raises(ValueError, match="tile = .*at most 8 bits"):
        Tile(cfg, Signal(9), images[t0])
    with pytest.raises(ValueError, match="tile = .*unsigned"):
        Tile(cfg, Signal(signed(4)), images[t0])
    with pytest.raises(ValueError, match="tile = 256: must be an integer in 0..255"):
        Tile(cfg, 256, images[t0])
    with pytest.raises(ValueError, match="x = .*at most 3 bits"):
        NocPacketizer(cfg, Signal(4), 0)
    with pytest.raises(ValueError, match="y = 2: must be an integer in 0..1"):
        NocPacketizer(cfg, 0, 2)
    text = generate_verilog("chip_shared", cfg)
    assert text.count(f"\nmodule {TILE_MODULE}(") == 1
    assert text.count(f"  {TILE_MODULE} tile") == len(cfg.tiles)
    assert "module \\chip_shared.tile" not in text
