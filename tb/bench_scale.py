"""`make bench-scale` on the RTL: the whole ``neurram`` chip (48 tiles of 256 x 256 on a 7 x 7
mesh) in cocotb, against the golden model. Run by ``scripts/bench_scale.py`` through
``tb.harness.run_cocotb`` on block ``chip_shared`` (one tile node module instantiated per
tile, ``hdl/chip.py``); not a pytest module (the regression never builds this chip). The
tests only use the chip's ports, so they run on block ``chip`` as well.

* ``scale_mvm``: one MVM on the tile in the far corner of the mesh: a few rows loaded by the
  back door (LOAD_CELL), 8-bit inputs, START_MVM, the raw sums read from the host's SRAM
  and the tile's counters (``BUSY`` cycles included), equal to the golden model's.
* ``scale_inference``: a small random network (``sw/network.py``; 8-4-4 by default, since
  every compiled row loads all 256 columns by LOAD_CELL: 3 072 cells, about 60 000 cycles)
  whose layers sit on tiles far apart (:func:`spread_nodes`), so every packet crosses the
  mesh; back-door weights,
  configured and run by the runtime, logits, clips and counters equal to the golden
  model's and to the compiler's arithmetic (``ideal_forward``).

Each test writes its figures (cycles, wall seconds, equality) as JSON to the ``out``
parameter.
"""

import json
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.utils import get_sim_time

from hdl.spec.tile import TileField
from sw.compiler import compile_network, ideal_forward
from sw.network import random_network
from sw.runtime import RUN_COUNTERS, network_program
from tb.harness import test_param
from tb.test_host import ChipTB, run_sync

COUNTERS = RUN_COUNTERS


def spread_nodes(cfg):
    """Nodes of the inference network's two tiles: the last tile, then the first node of the
    last mesh row (on 7 x 7: node 48 at (6, 6), then node 42 at (0, 6), the far corners)."""
    return [cfg.tiles[-1], cfg.tiles[-min(cfg.mesh_width, len(cfg.tiles) - 1)]]


def spread(compiled, nodes):
    """Move the compiled tiles to ``nodes`` (in ``compiled.tiles()`` order), their
    destinations with them."""
    host = compiled.cfg.host_node
    remap = {t.node: n for t, n in zip(compiled.tiles(), nodes, strict=False)}
    for t in compiled.tiles():
        t.node = remap[t.node]
        if t.desc[TileField.DEST] != host:
            t.desc[TileField.DEST] = remap[t.desc[TileField.DEST]]
    return compiled


async def _timed(tb, program):
    t0, w0 = get_sim_time("ns"), time.monotonic()
    got = await program(tb.drv)
    cycles = round((get_sim_time("ns") - t0) / tb.PERIOD_NS)
    wall = time.monotonic() - w0
    want = run_sync(program(tb.mdrv))
    return got, want, cycles, wall


@cocotb.test()
async def scale_mvm(dut):
    tb = ChipTB(dut)
    await tb.reset()
    cfg = tb.cfg
    a = cfg.array
    node = cfg.tiles[-1]
    rows = test_param("rows", 8)
    rng = np.random.default_rng(test_param("seed", 1))
    g = rng.integers(1, 121, (rows, a.cols))
    x = rng.integers(0, 1 << cfg.input_bits, rows)
    # An ADC gain that clips only the largest pair currents.
    shift = max(0, (rows * 60 * a.v_read_mvm).bit_length() - cfg.adc_bits + 1)

    async def program(drv):
        await drv.open()
        await drv.load_weights(node, g.tolist())
        await drv.write_inputs(node, x.tolist())
        await drv.configure(node, out_raw=1, adc_shift=shift, offset=0)
        before = await drv.counters(node)
        clips = await drv.run(node)
        after = await drv.counters(node)
        out = await drv.read_asram(0, a.pairs, signed=True)
        return {"outputs": out, "clips": clips,
                "counters": {k: (after[k] - before[k]) & 0xFFFF_FFFF for k in COUNTERS}}

    got, want, cycles, wall = await _timed(tb, program)
    equal = got == want
    dut._log.info("MVM on tile %d: %s; busy %d cycles; %d cycles, %.1f s wall in all",
                  node, "equal" if equal else "DIFFERENT", got["counters"]["busy"], cycles,
                  wall)
    Path(test_param("out")).write_text(json.dumps({
        "node": node, "rows_loaded": rows, "equal": equal,
        "busy_cycles": got["counters"]["busy"], "golden_busy_cycles": want["counters"]["busy"],
        "clips": got["clips"], "sim_cycles": cycles, "wall_s": round(wall, 2),
        "rtl": got, "golden": want}) + "\n")
    assert equal, f"RTL\n{got}\n!= golden model\n{want}"


@cocotb.test()
async def scale_inference(dut):
    tb = ChipTB(dut)
    await tb.reset()
    cfg = tb.cfg
    rng = np.random.default_rng(test_param("seed", 1))
    a = cfg.array
    sizes = test_param("sizes", [min(8, a.rows), min(4, a.pairs), min(4, a.pairs)])
    net = random_network(rng, sizes, bias_sigma=0.2)
    compiled = compile_network(net, cfg, rng.uniform(0, 1, (256, sizes[0])))
    nodes = spread_nodes(cfg)
    spread(compiled, nodes)
    x = rng.integers(0, 1 << cfg.input_bits, (test_param("images", 2), sizes[0]))

    got, want, cycles, wall = await _timed(tb, network_program(compiled, x))
    ideal = ideal_forward(compiled, x)[-1].tolist()
    equal = got == want
    dut._log.info("inference on tiles %s: %s, ideal %s; %d cycles, %.1f s wall", nodes,
                  "equal" if equal else "DIFFERENT", got["logits"] == ideal, cycles, wall)
    Path(test_param("out")).write_text(json.dumps({
        "sizes": sizes, "nodes": nodes, "images": len(x), "summary": compiled.summary(),
        "equal": equal, "equal_ideal": got["logits"] == ideal, "sim_cycles": cycles,
        "wall_s": round(wall, 2), "rtl": got, "golden": want}) + "\n")
    assert equal, f"RTL\n{got}\n!= golden model\n{want}"
    assert got["logits"] == ideal, "the chip differs from the compiler's arithmetic"
