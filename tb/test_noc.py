"""NoC mesh: RTL against the cycle-level golden model, flit for flit and cycle for cycle.

Every test builds an injection schedule and a sink back-pressure pattern from the cocotb
seed, runs them on the RTL (this file drives the inject ports from the schedule and the
eject ``ready`` from the pattern) and on ``sim.noc.NocModel``, and requires:

* the cycle every flit is accepted at an inject port, and the cycle, node and value of
  every flit leaving an eject port, equal the golden model's (so delivery cycle and order
  of every packet);
* independently of the model (``sim.noc_traffic.scoreboard``): every good packet arrives
  exactly once, intact, back to back, in order per source-destination pair, and no bad
  packet arrives; the per-node dropped-packet counters equal the number of bad packets.

The pytest functions at the bottom run each cocotb test on 2 x 2 and 3 x 3 meshes on both
simulators, and three of them on a 4 x 2 and a 1 x 3 mesh.
"""

import os
import random

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim.noc import NocModel
from sim.noc_traffic import (
    hotspot_dest,
    make_schedule,
    scoreboard,
    sink_pattern,
    transpose_dest,
    uniform_dest,
)
from tb.configs import mesh_config
from tb.harness import run_cocotb, simulators, test_param

# -- inside the simulator ----------------------------------------------------------------------


class NocTB:
    """Schedule driver, eject monitor with a back-pressure pattern, and the golden model."""

    def __init__(self, dut):
        from tb.harness import config_from_env

        self.dut = dut
        self.cfg = config_from_env()
        self.nodes = self.cfg.mesh_width * self.cfg.mesh_height
        # cocotb derives a per-test seed from COCOTB_RANDOM_SEED (printed at start-up as
        # "Seeding Python random module with N"); rerun with COCOTB_RANDOM_SEED=N.
        self.rng = random.Random(cocotb.RANDOM_SEED)
        dut._log.info("mesh %dx%d, test seed %d (COCOTB_RANDOM_SEED=%s)",
                      self.cfg.mesh_width, self.cfg.mesh_height, cocotb.RANDOM_SEED,
                      os.environ.get("COCOTB_RANDOM_SEED", "see start-up"))
        n = self.nodes
        self.inj_valid = [getattr(dut, f"inject__{i}__valid") for i in range(n)]
        self.inj_ready = [getattr(dut, f"inject__{i}__ready") for i in range(n)]
        self.inj_payload = [getattr(dut, f"inject__{i}__payload") for i in range(n)]
        self.ej_valid = [getattr(dut, f"eject__{i}__valid") for i in range(n)]
        self.ej_ready = [getattr(dut, f"eject__{i}__ready") for i in range(n)]
        self.ej_payload = [getattr(dut, f"eject__{i}__payload") for i in range(n)]
        self.errors = [getattr(dut, f"errors__{i}") for i in range(n)]
        for i in range(n):
            self.inj_valid[i].value = 0
            self.inj_payload[i].value = 0
            self.ej_ready[i].value = 0
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())

    async def reset(self):
        """Synchronous reset; returns just after the last reset edge, i.e. in cycle 0."""
        self.dut.rst.value = 1
        for _ in range(3):
            await RisingEdge(self.dut.clk)
        self.dut.rst.value = 0

    async def run(self, sources, sink_ready, cycles):
        """Drive ``sources`` and the ``sink_ready`` pattern for ``cycles`` cycles from cycle 0.

        Returns ``(accepted, ejected)`` in the golden model's format.
        """
        n, clk = self.nodes, self.dut.clk
        rel = [[r for r, _ in s] for s in sources]
        words = [[w for _, w in s] for s in sources]
        idx = [0] * n
        cur_valid = [0] * n
        cur_word = [None] * n
        cur_ready = [0] * n
        pattern = [[int(v) for v in row] for row in sink_ready]
        period = len(pattern)
        accepted = [[] for _ in range(n)]
        ejected = []
        inj_valid, inj_ready, inj_payload = self.inj_valid, self.inj_ready, self.inj_payload
        ej_valid, ej_ready, ej_payload = self.ej_valid, self.ej_ready, self.ej_payload
        for t in range(cycles):
            if t:
                await RisingEdge(clk)
            ready_row = pattern[t % period]
            for i in range(n):
                j = idx[i]
                v = 1 if j < len(rel[i]) and rel[i][j] <= t else 0
                if v and cur_word[i] != words[i][j]:
                    cur_word[i] = words[i][j]
                    inj_payload[i].value = cur_word[i]
                if v != cur_valid[i]:
                    cur_valid[i] = v
                    inj_valid[i].value = v
                if ready_row[i] != cur_ready[i]:
                    cur_ready[i] = ready_row[i]
                    ej_ready[i].value = cur_ready[i]
            await ReadOnly()
            for i in range(n):
                if cur_valid[i] and int(inj_ready[i].value):
                    accepted[i].append(t)
                    idx[i] += 1
                if cur_ready[i] and int(ej_valid[i].value):
                    ejected.append((t, i, int(ej_payload[i].value)))
        await RisingEdge(clk)
        for i in range(n):
            inj_valid[i].value = 0
        return accepted, ejected

    async def check(self, name, sources, packets, sink_ready, complete=True, cycles=None):
        """Run the model, then the RTL for as long, and compare everything."""
        model = NocModel(self.cfg, sources, sink_ready)
        if cycles is None:
            model.run_until_idle(200_000)
            model.run(8)   # a few idle cycles: the RTL must stay quiet too
        else:
            model.run(cycles)
        cycles = model.cycle
        flits = sum(len(s) for s in sources)
        self.dut._log.info("%s: %d flits in %d packets, %d cycles (golden model)",
                           name, flits, len(packets), cycles)
        accepted, ejected = await self.run(sources, sink_ready, cycles)
        for node in range(self.nodes):
            got, want = accepted[node], model.accepted[node]
            if got != want:
                k = next((k for k, (a, b) in enumerate(zip(got, want, strict=False)) if a != b),
                         min(len(got), len(want)))
                raise AssertionError(
                    f"{name}: node {node} inject flit #{k} accepted at cycle "
                    f"{got[k] if k < len(got) else None}, golden model says "
                    f"{want[k] if k < len(want) else None}")
        if ejected != model.ejected:
            k = next((k for k, (a, b) in enumerate(zip(ejected, model.ejected, strict=False))
                      if a != b), min(len(ejected), len(model.ejected)))
            raise AssertionError(
                f"{name}: ejected flit #{k} (cycle, node, word) = "
                f"{ejected[k] if k < len(ejected) else None}, golden model says "
                f"{model.ejected[k] if k < len(model.ejected) else None}")
        errors = [int(e.value) for e in self.errors]
        assert errors == model.errors, f"{name}: error counters {errors} != {model.errors}"
        delivered = scoreboard(self.cfg, packets, ejected, complete=complete)
        if complete:
            bad = [0] * self.nodes
            for p in packets:
                if not p.good:
                    bad[p.src] += 1
            top = (1 << self.cfg.noc.error_counter_bits) - 1
            bad = [min(b, top) for b in bad]   # the counters saturate
            assert errors == bad, f"{name}: error counters {errors}, bad packets sent {bad}"
        self.dut._log.info("%s: %d packets delivered, %d flits, %d dropped, all cycles agree",
                           name, delivered, len(ejected), sum(errors))
        return model, ejected


def _light_back_pressure(tb):
    return sink_pattern(tb.cfg, tb.rng, p_ready=0.75)


@cocotb.test()
async def cocotb_uniform(dut):
    """Uniform random traffic at two loads, random sink back-pressure, valid gaps."""
    tb = NocTB(dut)
    await tb.reset()
    sources, packets = make_schedule(tb.cfg, tb.rng, uniform_dest, packets_per_node=60,
                                     rate=0.35, gap_fraction=0.05)
    await tb.check("uniform", sources, packets, _light_back_pressure(tb))


@cocotb.test()
async def cocotb_transpose(dut):
    """Transpose traffic (x, y) -> (y, x), random sink back-pressure."""
    tb = NocTB(dut)
    await tb.reset()
    sources, packets = make_schedule(tb.cfg, tb.rng, transpose_dest, packets_per_node=60,
                                     rate=0.5)
    await tb.check("transpose", sources, packets, _light_back_pressure(tb))


@cocotb.test()
async def cocotb_hotspot(dut):
    """Half the packets to the host node, the rest uniform; the hotspot's sink stalls often."""
    tb = NocTB(dut)
    await tb.reset()
    sources, packets = make_schedule(tb.cfg, tb.rng, hotspot_dest, packets_per_node=50,
                                     rate=0.3)
    pattern = sink_pattern(tb.cfg, tb.rng, p_ready=0.8)
    pattern[:, tb.cfg.host_node] &= sink_pattern(tb.cfg, tb.rng, p_ready=0.6)[:, 0]
    await tb.check("hotspot", sources, packets, pattern)


@cocotb.test()
async def cocotb_bad_packets(dut):
    """Malformed packets (no such node, wrong length, stray body, head inside a packet)
    mixed into uniform traffic: each dropped whole and counted, the rest delivered."""
    tb = NocTB(dut)
    await tb.reset()
    sources, packets = make_schedule(tb.cfg, tb.rng, uniform_dest, packets_per_node=50,
                                     rate=0.4, bad_fraction=0.25, gap_fraction=0.05)
    await tb.check("bad packets", sources, packets, _light_back_pressure(tb))
    assert any(not p.good for p in packets)


@cocotb.test()
async def cocotb_saturation(dut):
    """Every node injects uniform random traffic as fast as it can for 10 000 cycles
    (``--noc-saturation-cycles``), sinks stall now and then: no deadlock, no loss, every
    cycle as the golden model says."""
    tb = NocTB(dut)
    await tb.reset()
    cycles = test_param("noc_saturation_cycles")
    # Enough packets that no source runs dry (a node injects at most one flit a cycle).
    per_node = cycles // 3 + 10
    sources, packets = make_schedule(tb.cfg, tb.rng, uniform_dest, packets_per_node=per_node,
                                     rate=1.0, max_flits=4)
    pattern = sink_pattern(tb.cfg, tb.rng, p_ready=0.9)
    model, ejected = await tb.check("saturation", sources, packets, pattern, complete=False,
                                    cycles=cycles)
    # Progress everywhere until the end: every node kept receiving in the last tenth.
    late = {node for t, node, _ in ejected if t >= cycles - cycles // 10}
    assert late == set(range(tb.nodes)), f"nodes {set(range(tb.nodes)) - late} starved"
    assert all(len(model.accepted[n]) < len(sources[n]) for n in range(tb.nodes)), \
        "a source ran dry: the load was not saturating"
    rate = len(ejected) / tb.nodes / cycles
    dut._log.info("saturation: %.3f flits/node/cycle delivered over %d cycles", rate, cycles)


# -- pytest ------------------------------------------------------------------------------------

MESHES = [(2, 2), (3, 3)]
TESTS = ["cocotb_uniform", "cocotb_transpose", "cocotb_hotspot", "cocotb_bad_packets",
         "cocotb_saturation"]


@pytest.mark.sim
@pytest.mark.parametrize("sim", simulators())
@pytest.mark.parametrize("mesh", MESHES, ids=[f"{w}x{h}" for w, h in MESHES])
@pytest.mark.parametrize("testcase", TESTS)
def test_noc(testcase, mesh, sim, request):
    run_cocotb("noc_mesh", mesh_config(*mesh), "tb.test_noc", testcase, sim,
               params={"noc_saturation_cycles": request.config.getoption("noc_saturation_cycles")})


# Square meshes cannot tell x from y; a wide and a one-column mesh can (node numbering, edge
# routers, destinations outside a 1-wide mesh), with odd depths and a narrower flit. Like
# every cocotb test they run on both simulators (two more Verilator builds, ~1 min each).
ODD_MESHES = [(4, 2), (1, 3)]


@pytest.mark.sim
@pytest.mark.parametrize("sim", simulators())
@pytest.mark.parametrize("mesh", ODD_MESHES, ids=[f"{w}x{h}" for w, h in ODD_MESHES])
@pytest.mark.parametrize("testcase", ["cocotb_uniform", "cocotb_transpose", "cocotb_bad_packets"])
def test_noc_non_square(testcase, mesh, sim, request):
    run_cocotb("noc_mesh", mesh_config(*mesh), "tb.test_noc", testcase, sim,
               params={"noc_saturation_cycles": request.config.getoption("noc_saturation_cycles")})
