"""Write-verify engine (with its crossbar) against the golden model, value and cycle exact.

Every host command's response and latency is compared with ``sim.write_verify``; after runs
the testbench reads every result, the histogram, the fail list and the counters back, and
the crossbar's conductances through READ_MAP runs. One test also monitors the crossbar
command bus inside the DUT and compares every pulse with the model's pulse log.
"""


import cocotb
import numpy as np
import pytest
from cocotb.triggers import ReadOnly, RisingEdge

from hdl.spec.crossbar import CrossbarOp
from hdl.spec.fields import unpack
from hdl.spec.write_verify import (
    FIELD_LIMITS,
    WV_FIELDS,
    WvAlgorithm,
    WvError,
    WvField,
    WvOp,
    WvRunKind,
    result_fields,
)
from hdl.write_verify import wv_command_layout, wv_response_layout
from sim.crossbar import CrossbarModel
from sim.write_verify import (
    WV_SETS,
    WriteVerifyModel,
    WvCommand,
    igvva_set,
    ispva_set,
    window_set,
)
from tb.bus import BlockTB
from tb.configs import config as config_named
from tb.harness import run_cocotb, simulators

F = WvField


class WvTB(BlockTB):
    def __init__(self, dut):
        super().__init__(dut, wv_command_layout, wv_response_layout)
        self.model = WriteVerifyModel(self.cfg, CrossbarModel(self.cfg, self.cfg.tiles[0]))

    async def send(self, cmd):
        fields = {k: getattr(cmd, k) for k in (
            "op", "set", "field", "addr", "value", "kind", "row0", "col0", "nrows", "ncols",
            "count", "polarity", "v_line", "v_gate", "width", "v_read")}
        return await self.exchange(fields, self.model.execute(cmd), str(cmd))

    async def write_set(self, index, values):
        for f in range(WV_FIELDS):
            await self.send(WvCommand(WvOp.WRITE_SET, set=index, field=f, value=int(values[f])))

    async def write_targets(self, targets):
        for i, t in enumerate(targets):
            await self.send(WvCommand(WvOp.WRITE_TARGET, addr=i, value=int(t)))

    async def check_readback(self, region):
        """Every result of the region, every histogram bin, the fail list and the counters."""
        a, w = self.cfg.array, self.cfg.write_verify
        row0, col0, nrows, ncols = region
        for r in range(row0, row0 + nrows):
            for c in range(col0, col0 + ncols):
                await self.send(WvCommand(WvOp.READ_RESULT, addr=r * a.cols + c))
        for b in range(w.hist_bins):
            await self.send(WvCommand(WvOp.READ_HIST, addr=b))
        for i in range(min(self.model.stat_failures, w.fail_list_depth)):
            await self.send(WvCommand(WvOp.READ_FAIL, addr=i))
        for i in range(5):
            await self.send(WvCommand(WvOp.READ_STAT, addr=i))

    async def check_conductances(self):
        """A READ_MAP of the whole array: every cell's current equals the model's."""
        a = self.cfg.array
        await self.send(WvCommand(WvOp.RUN, kind=WvRunKind.READ_MAP, nrows=a.rows,
                                  ncols=a.cols, v_read=10))
        await self.check_readback((0, 0, a.rows, a.cols))

    def random_region(self, max_cells):
        a = self.cfg.array
        nrows = self.rng.randint(1, a.rows)
        ncols = self.rng.randint(1, max(1, min(a.cols, max_cells // nrows)))
        return (self.rng.randint(0, a.rows - nrows), self.rng.randint(0, a.cols - ncols),
                nrows, ncols)

    def random_set(self):
        """A valid register set of a random algorithm with random ramps and window."""
        a, rng = self.cfg.array, self.rng
        level = rng.randrange(5)
        s = rng.choice([ispva_set, window_set, igvva_set])(self.cfg, level).copy()
        s[F.LOOP_ORDER] = rng.randrange(6)
        if rng.random() < 0.5:  # random nested ramps
            for st, sp, so, hi in ((F.SET_LINE_START, F.SET_LINE_STEP, F.SET_LINE_STOP, a.v_max),
                                   (F.SET_GATE_START, F.SET_GATE_STEP, F.SET_GATE_STOP, 90),
                                   (F.WIDTH_START, F.WIDTH_STEP, F.WIDTH_STOP, 4)):
                lo_v = rng.randint(1 if st == F.WIDTH_START else 20, hi)
                s[st], s[so] = lo_v, rng.randint(lo_v, hi)
                s[sp] = rng.randint(1, max(1, (s[so] - s[st]) // 2 + 1))
        s[F.MAX_PULSES] = rng.randint(1, 40)
        s[F.MAX_ALTERNATIONS] = rng.randint(0, 5)
        s[F.PASSES] = rng.randint(1, 3)
        if rng.random() < 0.2:
            s[F.ALGORITHM] = WvAlgorithm.FORMING
        return s


async def _program_run(tb, region):
    await tb.send(WvCommand(WvOp.RUN, kind=WvRunKind.PROGRAM, row0=region[0], col0=region[1],
                            nrows=region[2], ncols=region[3]))
    await tb.check_readback(region)


@cocotb.test()
async def cocotb_program_default_sets(dut):
    """Milo's five levels with the power-on register sets on a random region."""
    tb = WvTB(dut)
    await tb.reset()
    a = tb.cfg.array
    await tb.write_targets([tb.rng.randrange(5) for _ in range(a.rows * a.cols)])
    region = tb.random_region(96)
    await _program_run(tb, region)
    await tb.check_conductances()
    dut._log.info("region %s: %d pulses, %d failures, all equal to the model",
                  region, tb.model.stat_pulses, tb.model.stat_failures)


@cocotb.test()
async def cocotb_program_random_sets(dut):
    """Random register sets (all algorithms, loop orders, ramps, windows) and random targets,
    several runs back to back; then the conductance map."""
    tb = WvTB(dut)
    await tb.reset()
    a = tb.cfg.array
    for run in range(3):
        for i in range(WV_SETS):
            await tb.write_set(i, tb.random_set())
        await tb.write_targets([tb.rng.randrange(WV_SETS) for _ in range(a.rows * a.cols)])
        region = tb.random_region(48)
        await _program_run(tb, region)
        dut._log.info("run %d region %s: %d pulses, %d failures", run, region,
                      tb.model.stat_pulses, tb.model.stat_failures)
    await tb.check_conductances()


@cocotb.test()
async def cocotb_pulse_log(dut):
    """Monitor the crossbar bus inside the DUT: every pulse (cell, kind, voltages, width) in
    order equals the golden model's pulse log."""
    tb = WvTB(dut)
    await tb.reset()
    a = tb.cfg.array
    xb = dut.crossbar
    seen = []

    async def monitor():
        from hdl.crossbar import crossbar_command_layout
        from tb.bus import unpack

        layout = crossbar_command_layout(tb.cfg)
        while True:
            await RisingEdge(dut.clk)
            await ReadOnly()
            if int(xb.cmd__valid.value) and int(xb.cmd__ready.value):
                c = unpack(layout, int(xb.cmd__payload.value))
                if c["op"] in (CrossbarOp.SET, CrossbarOp.RESET):
                    seen.append((c["row"] * a.cols + c["col"], c["op"], c["v_line"],
                                 c["v_gate"], c["width"]))

    await tb.write_set(2, window_set(tb.cfg, 2))
    await tb.write_targets([tb.rng.choice([0, 2, 3, 4]) for _ in range(a.rows * a.cols)])
    region = (1, 2, 3, 5)
    mon = cocotb.start_soon(monitor())
    await _program_run(tb, region)
    mon.cancel()
    want = tb.model.last_log.pulses
    assert len(seen) == len(want), f"{len(seen)} pulses on the bus, model says {len(want)}"
    for i, (s, w) in enumerate(zip(seen, want, strict=True)):
        assert s == w, f"pulse #{i}: bus {s}, model {w}"
    dut._log.info("%d pulses on the crossbar bus equal the model's log", len(seen))


@cocotb.test()
async def cocotb_refused(dut):
    """Nonsense register sets are refused before any pulse; bad regions, voltages and
    addresses get an error; the engine keeps working afterwards."""
    tb = WvTB(dut)
    await tb.reset()
    a, w = tb.cfg.array, tb.cfg.write_verify
    await tb.write_targets([tb.rng.randrange(5) for _ in range(a.rows * a.cols)])
    good = ispva_set(tb.cfg, 3)
    broken = [
        (F.SET_LINE_STEP, 0), (F.SET_GATE_STEP, 0), (F.WIDTH_STEP, 0), (F.RESET_LINE_STEP, 0),
        (F.SET_LINE_START, 200), (F.WIDTH_START, 9), (F.RESET_LINE_START, 151),
        (F.WINDOW_LO, 3000), (F.MAX_PULSES, 0), (F.PASSES, 0), (F.ALGORITHM, 4),
        (F.LOOP_ORDER, 6), (F.VERIFY_V, a.v_read_max + 1), (F.SET_LINE_STOP, a.v_max + 1),
        (F.WIDTH_STOP, a.pulse_width_max + 1), (F.MAX_PULSES, 300),
    ]
    for fld, value in broken:
        bad = good.copy()
        bad[fld] = value
        if fld == F.WINDOW_LO:
            bad[F.WINDOW_HI] = 2000
        index = tb.rng.randrange(WV_SETS)
        await tb.write_set(index, bad)
        got = await tb.send(WvCommand(WvOp.RUN, kind=WvRunKind.PROGRAM, nrows=4, ncols=4))
        assert got["error"] == WvError.BAD_SET
        await tb.send(WvCommand(WvOp.READ_STAT, addr=4))
        await tb.write_set(index, good)
    region_cmds = [
        WvCommand(WvOp.RUN, kind=WvRunKind.PROGRAM, nrows=0, ncols=3),
        WvCommand(WvOp.RUN, kind=WvRunKind.PROGRAM, row0=a.rows - 1, nrows=2, ncols=1),
        WvCommand(WvOp.RUN, kind=WvRunKind.READ_MAP, col0=1, nrows=1, ncols=a.cols),
        WvCommand(WvOp.RUN, kind=WvRunKind.PULSE, nrows=1, ncols=1, v_line=a.v_max + 1),
        WvCommand(WvOp.RUN, kind=WvRunKind.PULSE, nrows=1, ncols=1, width=0),
        WvCommand(WvOp.RUN, kind=WvRunKind.PULSE, nrows=1, ncols=1, polarity=0,
                  width=a.pulse_width_max + 1),
        WvCommand(WvOp.RUN, kind=WvRunKind.READ_MAP, nrows=1, ncols=1, v_read=a.v_read_max + 1),
        WvCommand(WvOp.RUN, kind=WvRunKind.ENDURANCE, nrows=1, ncols=1, count=0),
        WvCommand(WvOp.WRITE_SET, set=0, field=WV_FIELDS),
        WvCommand(WvOp.WRITE_TARGET, addr=a.rows * a.cols),
        WvCommand(WvOp.WRITE_TARGET, addr=0, value=8),
        WvCommand(WvOp.READ_RESULT, addr=a.rows * a.cols),
        WvCommand(WvOp.READ_HIST, addr=w.hist_bins),
        WvCommand(WvOp.READ_FAIL, addr=w.fail_list_depth),
        WvCommand(WvOp.READ_STAT, addr=5),
        WvCommand(9),
        WvCommand(15),
    ]
    for cmd in region_cmds:
        got = await tb.send(cmd)
        assert got["error"] != 0, f"{cmd} was accepted"
        await tb.send(WvCommand(WvOp.READ_STAT, addr=3))
    # Nothing was pulsed: the array is still at power-on; then a normal run works.
    await tb.check_conductances()
    await _program_run(tb, (0, 0, 3, 4))
    await tb.check_conductances()


@cocotb.test()
async def cocotb_characterization(dut):
    """Endurance cycling, single pulses of given voltages, and conductance maps."""
    tb = WvTB(dut)
    await tb.reset()
    a = tb.cfg.array
    await tb.write_targets([tb.rng.randrange(WV_SETS) for _ in range(a.rows * a.cols)])
    for _ in range(4):
        region = tb.random_region(24)
        kind = tb.rng.choice(list(WvRunKind))
        cmd = WvCommand(WvOp.RUN, kind=kind, row0=region[0], col0=region[1], nrows=region[2],
                        ncols=region[3], set=tb.rng.randrange(WV_SETS),
                        count=tb.rng.randint(1, 3), polarity=tb.rng.randint(0, 1),
                        v_line=tb.rng.randint(0, a.v_max), v_gate=tb.rng.randint(0, a.v_max),
                        width=tb.rng.randint(1, a.pulse_width_max),
                        v_read=tb.rng.randint(0, a.v_read_max))
        await tb.send(cmd)
        await tb.check_readback(region)
    await tb.check_conductances()


@cocotb.test()
async def cocotb_register_access(dut):
    """Random register-set and target writes and reads, including the power-on values."""
    tb = WvTB(dut)
    await tb.reset()
    a = tb.cfg.array
    for s in range(WV_SETS):
        for f in range(WV_FIELDS):
            await tb.send(WvCommand(WvOp.READ_SET, set=s, field=f))
    limits = FIELD_LIMITS(tb.cfg)
    for _ in range(200):
        f = tb.rng.randrange(WV_FIELDS)
        op = tb.rng.choice([WvOp.WRITE_SET, WvOp.READ_SET, WvOp.WRITE_TARGET, WvOp.READ_TARGET])
        await tb.send(WvCommand(op, set=tb.rng.randrange(WV_SETS), field=f,
                                addr=tb.rng.randrange(a.rows * a.cols),
                                value=tb.rng.randint(0, WV_SETS - 1) if op == WvOp.WRITE_TARGET
                                else tb.rng.randint(0, limits[f][1])))


@cocotb.test()
async def cocotb_stuck_cells_fail(dut):
    """Stuck cells end in the fail list while the others still pass."""
    tb = WvTB(dut)
    await tb.reset()
    a = tb.cfg.array
    stuck = tb.model.xb.stuck.ravel()
    assert stuck.any(), "this configuration has no stuck cell; the test would be vacuous"
    await tb.write_targets([1 + (i % 4) for i in range(a.rows * a.cols)])  # L2..L5
    region = (0, 0, a.rows, a.cols)
    await _program_run(tb, region)
    failed = set(tb.model.fail_list[: tb.model.stat_failures].tolist())
    stuck_cells = set(np.flatnonzero(stuck).tolist())
    stuck_low = set(np.flatnonzero(stuck & ~tb.model.xb.stuck_lrs.ravel()).tolist())
    assert stuck_low <= failed, "a cell stuck at HRS was not reported"
    assert failed <= stuck_cells, f"healthy cells failed: {sorted(failed - stuck_cells)}"
    dut._log.info("%d stuck cells, %d reported failing, all others passed",
                  len(stuck_cells), len(failed))


@cocotb.test()
async def cocotb_reset_ramp_stop(dut):
    """A RESET ramp whose steps land exactly on RESET_LINE_STOP (40, 60, ..., 120 in steps of
    20): the step onto STOP is taken, and cells that pass only after the pulse at STOP do.
    The cells are first SET to L5, so every one of them needs the RESET ramp."""
    tb = WvTB(dut)
    await tb.reset()
    a = tb.cfg.array
    cells, region = a.rows * a.cols, (0, 0, a.rows, a.cols)
    await tb.write_targets([4] * cells)
    await _program_run(tb, region)
    s = ispva_set(tb.cfg, 0)
    start, step, stop = 40, 20, 120
    assert (stop - start) % step == 0
    s[F.RESET_LINE_START], s[F.RESET_LINE_STEP], s[F.RESET_LINE_STOP] = start, step, stop
    s[F.WINDOW_HI] = 20 * s[F.VERIFY_V]
    await tb.write_set(1, s)
    await tb.write_targets([1] * cells)
    await tb.send(WvCommand(WvOp.RUN, kind=WvRunKind.PROGRAM, nrows=a.rows, ncols=a.cols))
    at_stop = {c for c, op, v_line, _, _ in tb.model.last_log.pulses
               if op == CrossbarOp.RESET and v_line == stop}
    passed = []
    for c in sorted(at_stop):
        got = await tb.send(WvCommand(WvOp.READ_RESULT, addr=c))
        if unpack(result_fields(tb.cfg), got["value"])["passed"]:
            passed.append(c)
    assert passed, "no cell passed after a RESET pulse at STOP; the test would be vacuous"
    await tb.check_readback(region)
    dut._log.info("%d cells got a RESET pulse at STOP = %d, %d of them passed after it",
                  len(at_stop), stop, len(passed))


# -- pytest: build and run ------------------------------------------------------------------


CASES = [
    ("wv-tiny8", "cocotb_program_default_sets"),
    ("wv-tiny8", "cocotb_program_random_sets"),
    ("wv-tiny8", "cocotb_pulse_log"),
    ("wv-tiny8", "cocotb_refused"),
    ("wv-tiny8", "cocotb_characterization"),
    ("wv-tiny8", "cocotb_register_access"),
    ("wv-tiny8", "cocotb_reset_ramp_stop"),
    ("wv-faulty", "cocotb_program_random_sets"),
    ("wv-faulty", "cocotb_stuck_cells_fail"),
    ("wv-faulty", "cocotb_characterization"),
]


@pytest.mark.sim
@pytest.mark.parametrize("sim", simulators())
@pytest.mark.parametrize("config,testcase", CASES)
def test_write_verify(config, testcase, sim):
    run_cocotb("wv_unit", config_named(config), "tb.test_write_verify", testcase, sim)
