"""Crossbar: RTL against the numpy twin, value for value and cycle for cycle.

The cocotb tests (``cocotb_*``) run inside the simulator; the pytest functions at the bottom
build the design once per configuration and simulator and run each of them.
"""


import cocotb
import numpy as np
import pytest

from hdl.crossbar import crossbar_command_layout, crossbar_response_layout, pair_current_shape
from hdl.spec.crossbar import CrossbarOp, latency
from sim.crossbar import CrossbarCommand, CrossbarModel
from tb.bus import BlockTB, unpack_array
from tb.configs import config as config_named
from tb.harness import run_cocotb, simulators, test_param

# -- inside the simulator ----------------------------------------------------------------------


class CrossbarTB(BlockTB):
    """Driver + twin + in-order checker for one crossbar."""

    def __init__(self, dut):
        super().__init__(dut, crossbar_command_layout, crossbar_response_layout)
        self.model = CrossbarModel(self.cfg, self.cfg.tiles[0])
        self.pair_width = pair_current_shape(self.cfg).width

    async def send(self, cmd, resp_delay=0):
        """Run one command on the RTL and the twin; assert the response and cycles agree."""
        fields = dict(op=cmd.op, row=cmd.row, col=cmd.col, v_line=cmd.v_line, v_gate=cmd.v_gate,
                      width=cmd.width, value=cmd.value, bits=cmd.bits)
        want = self.model.execute(cmd)
        got = await self.exchange(fields, want, str(cmd), resp_delay)
        where = f"command #{self.count - 1} {cmd}"
        if cmd.op == CrossbarOp.MVM and not want.error:
            pairs = unpack_array(int(self.dut.pair_current.value), self.pair_width,
                                 self.cfg.array.pairs)
            assert tuple(pairs) == want.pair_current, f"{where}: {pairs} != {want.pair_current}"
        return got

    async def check_all_cells(self):
        """PEEK every cell: the RTL's conductance map equals the twin's."""
        a = self.cfg.array
        for r in range(a.rows):
            for c in range(a.cols):
                await self.send(CrossbarCommand(CrossbarOp.PEEK, r, c))

    def random_pulse(self):
        a = self.cfg.array
        kind = self.rng.choice([CrossbarOp.SET, CrossbarOp.SET, CrossbarOp.RESET, CrossbarOp.READ])
        r, c = self.rng.randrange(a.rows), self.rng.randrange(a.cols)
        if kind == CrossbarOp.READ:
            return CrossbarCommand(kind, r, c, v_line=self.rng.randint(0, a.v_read_max))
        return CrossbarCommand(kind, r, c, v_line=self.rng.randint(0, a.v_max),
                               v_gate=self.rng.randint(0, a.v_max),
                               width=self.rng.randint(1, a.pulse_width_max))

    def random_plane(self):
        return self.rng.getrandbits(self.cfg.array.rows)


@cocotb.test()
async def cocotb_random_pulses(dut):
    """Thousands of random SET/RESET/READ on random cells; then every cell equals the twin."""
    tb = CrossbarTB(dut)
    await tb.reset()
    n = test_param("crossbar_pulses")
    for i in range(n):
        await tb.send(tb.random_pulse(), resp_delay=tb.rng.choice([0, 0, 0, 2]))
        if i % 1000 == 999:
            dut._log.info("%d / %d commands agree", i + 1, n)
    await tb.check_all_cells()
    moved = int(np.count_nonzero(tb.model.g != tb.cfg.device.g_virgin))
    dut._log.info("%d commands and %d cells agree; %d cells moved", n, tb.model.g.size, moved)
    assert moved > tb.model.g.size // 4, "too few cells moved for the test to mean anything"


@cocotb.test()
async def cocotb_random_mvm(dut):
    """Random conductances (back door) and random bit-planes: pair currents and cycles."""
    tb = CrossbarTB(dut)
    await tb.reset()
    a = tb.cfg.array
    for r in range(a.rows):
        for c in range(a.cols):
            await tb.send(CrossbarCommand(CrossbarOp.LOAD, r, c, value=tb.rng.randint(0, a.g_max)))
    planes = [0, (1 << a.rows) - 1] + [tb.random_plane() for _ in range(40)]
    for bits in planes:
        await tb.send(CrossbarCommand(CrossbarOp.MVM, bits=bits))
    # A few pulses change the array; the next MVMs must see the change.
    for _ in range(50):
        await tb.send(tb.random_pulse())
    for _ in range(10):
        await tb.send(CrossbarCommand(CrossbarOp.MVM, bits=tb.random_plane()))
    if tb.cfg.device.mvm_read_noise:
        # The same plane twice: the currents differ (read noise keyed by the MVM count), and
        # each time equal the twin's (checked by send).
        bits, seen = tb.random_plane(), []
        for _ in range(2):
            await tb.send(CrossbarCommand(CrossbarOp.MVM, bits=bits))
            seen.append(int(dut.pair_current.value))
        assert seen[0] != seen[1], "MVM read noise did not change the pair currents"
    dut._log.info("%d MVMs agree (latency %d cycles, read_rows %d, MVM read noise %d)",
                  len(planes) + 10, latency(tb.cfg, CrossbarOp.MVM), a.read_rows,
                  tb.cfg.device.mvm_read_noise)


@cocotb.test()
async def cocotb_refused_commands(dut):
    """Bad addresses, voltages, widths, values and opcodes: error, 1 cycle, nothing changes."""
    tb = CrossbarTB(dut)
    await tb.reset()
    a = tb.cfg.array
    C = CrossbarCommand
    bad = [
        C(7),
        C(CrossbarOp.SET, a.rows, 0, 60, 60, 1) if a.rows < 256 else C(7),
        C(CrossbarOp.SET, 0, a.cols, 60, 60, 1) if a.cols < 256 else C(7),
        C(CrossbarOp.SET, 0, 0, a.v_max + 1, 60, 1),
        C(CrossbarOp.SET, 0, 0, 60, a.v_max + 1, 1),
        C(CrossbarOp.SET, 0, 0, 60, 60, 0),
        C(CrossbarOp.SET, 0, 0, 60, 60, a.pulse_width_max + 1),
        C(CrossbarOp.RESET, 0, 0, a.v_max + 1, 60, 1),
        C(CrossbarOp.RESET, 0, 0, 60, 60, 0),
        C(CrossbarOp.READ, 0, 0, a.v_read_max + 1),
        C(CrossbarOp.READ, 255, 255, 10),
        C(CrossbarOp.LOAD, 0, 0, value=a.g_max + 1),
        C(CrossbarOp.PEEK, 255, 255),
        C(CrossbarOp.RELAX, value=256),
    ]
    for _ in range(3):
        for cmd in bad:
            got = await tb.send(cmd)
            assert got["error"] == 1, f"{cmd} was not refused"
        # Good commands still work afterwards, and their noise (keyed by the event
        # counters) proves the refused ones counted no event.
        for _ in range(100):
            await tb.send(tb.random_pulse())
    await tb.check_all_cells()


@cocotb.test()
async def cocotb_stuck_cells(dut):
    """Stuck cells never move under SET, RESET, LOAD or RELAX; the others still do."""
    tb = CrossbarTB(dut)
    await tb.reset()
    a = tb.cfg.array
    stuck = tb.model.stuck.copy()
    assert stuck.any(), "this configuration has no stuck cell; the test would be vacuous"
    before = tb.model.g.copy()
    for r in range(a.rows):
        for c in range(a.cols):
            await tb.send(CrossbarCommand(CrossbarOp.SET, r, c, v_line=a.v_max, v_gate=a.v_max,
                                          width=a.pulse_width_max))
    for r in range(a.rows):
        for c in range(a.cols):
            await tb.send(CrossbarCommand(CrossbarOp.LOAD, r, c, value=tb.rng.randint(0, a.g_max)))
    await tb.send(CrossbarCommand(CrossbarOp.RELAX, value=200))
    for _ in range(500):
        await tb.send(tb.random_pulse())
    await tb.check_all_cells()
    assert (tb.model.g[stuck] == before[stuck]).all()
    assert (tb.model.g[~stuck] != before[~stuck]).any()
    dut._log.info("%d stuck cells held their conductance", int(stuck.sum()))


@cocotb.test()
async def cocotb_relax(dut):
    """Relax/anneal with several strengths after random programming: every cell agrees."""
    tb = CrossbarTB(dut)
    await tb.reset()
    a = tb.cfg.array
    for r in range(a.rows):
        for c in range(a.cols):
            await tb.send(CrossbarCommand(CrossbarOp.LOAD, r, c, value=tb.rng.randint(0, a.g_max)))
    for strength in (0, 16, 255):
        await tb.send(CrossbarCommand(CrossbarOp.RELAX, value=strength))
    await tb.check_all_cells()


# -- pytest: build and run ------------------------------------------------------------------


CASES = [
    ("tiny", "cocotb_random_pulses"),
    ("tiny", "cocotb_random_mvm"),
    ("tiny", "cocotb_refused_commands"),
    ("tiny", "cocotb_relax"),
    ("xbar-faulty", "cocotb_random_pulses"),
    ("xbar-faulty", "cocotb_random_mvm"),
    ("xbar-faulty", "cocotb_refused_commands"),
    ("xbar-faulty", "cocotb_stuck_cells"),
    ("xbar-faulty", "cocotb_relax"),
    # The full 64 x 64 array: 2 x 2.5 minutes, so `make test-all` only.
    pytest.param("default", "cocotb_random_mvm", marks=pytest.mark.slow),
]


@pytest.mark.sim
@pytest.mark.parametrize("sim", simulators())
@pytest.mark.parametrize("config,testcase", CASES)
def test_crossbar(config, testcase, sim, request):
    run_cocotb("crossbar", config_named(config), "tb.test_crossbar", testcase, sim,
               params={"crossbar_pulses": request.config.getoption("crossbar_pulses")})
