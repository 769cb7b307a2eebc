"""Networks end to end on the whole chip (block ``chip``, configuration ``chip-pipe``),
Icarus and Verilator.

The compiler (``sw/compiler.py``) maps small random networks; the runtime
(``sw/runtime.py``) loads, configures and runs them through the driver, on the RTL and on
the golden model. Every logit of every image, the clipped conversions and the tile
counters (MVMs, conversions, clips, errors and BUSY, every tile's cycles) must be equal.
Seeds come from cocotb (``COCOTB_RANDOM_SEED``) and are logged.

* ``cocotb_pipeline``: many images back to back in the layer pipeline (tile to tile, the
  consumer started by its data, ``NI_EXPECT``), with several images in flight: the stress
  test of the deadlock rule. Logs the cycles per image.
* ``cocotb_chains_and_relay``: a layer split by rows (partial sums tile to tile, a tile fed
  by two producers) and a layer relayed through the host; images one at a time.
* ``cocotb_expect_csrs``: NI_EXPECT / NI_ARRIVED through the window, in lockstep with the
  model, and a value out of range refused.
"""

import cocotb
import numpy as np
import pytest
from cocotb.utils import get_sim_time

from hdl.spec.host import TileCsr
from hdl.spec.tile import TileField
from sw.compiler import compile_network, ideal_forward
from sw.network import random_network
from sw.runtime import network_program
from tb.configs import config as config_named
from tb.harness import run_cocotb, simulators
from tb.test_host import ChipTB, run_sync


def _compiled(cfg, rng, sizes):
    net = random_network(rng, sizes, bias_sigma=0.2)
    return compile_network(net, cfg, rng.uniform(0, 1, (256, sizes[0])))


async def _run(tb, compiled, x_codes):
    """The program on the RTL (timed) and on the model; both must agree, and agree with the
    compiler's arithmetic on the same conductances."""
    t0 = get_sim_time("ns")
    got = await network_program(compiled, x_codes)(tb.drv)
    cycles = round((get_sim_time("ns") - t0) / tb.PERIOD_NS)
    want = run_sync(network_program(compiled, x_codes)(tb.mdrv))
    assert got == want, f"RTL\n{got}\n!= golden model\n{want}"
    ideal = ideal_forward(compiled, x_codes)[-1]
    assert np.array_equal(np.array(got["logits"]), ideal), "the chip differs from the compiler"
    return got, cycles


@cocotb.test()
async def cocotb_pipeline(dut):
    tb = ChipTB(dut)
    await tb.reset()
    rng = np.random.default_rng(tb.rng.getrandbits(32))
    c = _compiled(tb.cfg, rng, [16, 8, 4])
    (a,), (b,) = c.layers[0].tiles, c.layers[1].tiles
    assert a[0].desc[TileField.DEST] == b[0].node and b[0].expect == 8
    n = 8
    x = rng.integers(0, 1 << tb.cfg.input_bits, (n, 16))
    got, cycles = await _run(tb, c, x)
    assert got["pipelined"] and got["window"] >= 2, got
    assert all(v["mvms"] == n for v in got["counters"].values())
    dut._log.info("%d images in %d cycles with %d in flight (load and configure included)",
                  n, cycles, got["window"])


@cocotb.test()
async def cocotb_chains_and_relay(dut):
    tb = ChipTB(dut)
    await tb.reset()
    rng = np.random.default_rng(tb.rng.getrandbits(32))
    # 24 inputs on 16 rows: a chain of two tiles per output block; the layer-2 tile is fed
    # by two producers.
    chains = _compiled(tb.cfg, rng, [24, 12, 4])
    assert [len(ch) for ch in chains.layers[0].tiles] == [2, 2]
    # 12 outputs on 8 pairs: the next layer has two output blocks, so the host relays.
    relay = _compiled(tb.cfg, rng, [16, 16, 12])
    assert relay.layers[0].relay
    # One image through the chains, two through the relay (regression time);
    # cocotb_pipeline runs many images back to back.
    for c, width, n in ((chains, 24, 1), (relay, 16, 2)):
        x = rng.integers(0, 1 << tb.cfg.input_bits, (n, width))
        got, cycles = await _run(tb, c, x)
        assert not got["pipelined"]
        dut._log.info("%s: %d images in %d cycles", c.summary(), n, cycles)


@cocotb.test()
async def cocotb_expect_csrs(dut):
    tb = ChipTB(dut)
    await tb.reset()
    node = tb.cfg.tiles[0]

    def addr(reg):
        return tb.drv.window_addr(node, reg)

    for value in (0, 5, 0xFFFF):
        await tb.write(addr(TileCsr.NI_EXPECT), value, why="NI_EXPECT")
        await tb.read(addr(TileCsr.NI_EXPECT), why="NI_EXPECT")
        await tb.read(addr(TileCsr.NI_ARRIVED), why="NI_ARRIVED")
    # Out of range: ERR (WINDOW_ERROR, BAD_VALUE), nothing changes.
    ok = await tb.write(addr(TileCsr.NI_EXPECT), 0x10000, why="NI_EXPECT too large")
    assert not ok
    await tb.read(addr(TileCsr.NI_EXPECT), why="NI_EXPECT kept")
    await tb.write(addr(TileCsr.NI_ARRIVED), 1, why="NI_ARRIVED is read-only")
    await tb.check_irq("after the window accesses")


CASES = ["cocotb_pipeline", "cocotb_chains_and_relay", "cocotb_expect_csrs"]


@pytest.mark.sim
@pytest.mark.parametrize("sim", simulators())
@pytest.mark.parametrize("testcase", CASES)
def test_chip_network(testcase, sim):
    run_cocotb("chip", config_named("chip-pipe"), "tb.test_chip_network", testcase, sim)


def test_network_on_model_only():
    """The pipelined schedule on the golden model equals the compiler's arithmetic."""
    cfg = config_named("chip-pipe")
    rng = np.random.default_rng(7)
    c = _compiled(cfg, rng, [16, 8, 4])
    x = rng.integers(0, 1 << cfg.input_bits, (40, 16))
    from sim.driver import Driver, ModelBackend

    got = run_sync(network_program(c, x)(Driver(ModelBackend(cfg), cfg)))
    assert got["pipelined"]
    assert np.array_equal(np.array(got["logits"]), ideal_forward(c, x)[-1])
