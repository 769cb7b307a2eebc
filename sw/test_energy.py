"""The energy estimate (``sw/energy.py``): event counts against the golden model's
counters, the per-event table against ``docs/energy.md``, linearity, the demo's rows."""

import asyncio
import json
import re
from pathlib import Path

import numpy as np
import pytest

from hdl.spec.config import ChipConfig, preset
from hdl.spec.host import TileCsr
from hdl.spec.tile import TileField, TileOp
from sim.driver import Driver, ModelBackend
from sim.tile import TileModel
from sw import energy
from sw.compiler import compile_network, quantize_inputs
from sw.network import random_network
from sw.runtime import Runtime

DOC = Path(__file__).resolve().parent.parent / "docs" / "energy.md"

# Networks on `tiny` (three 16 x 16 tiles) that exercise every path of the traffic model:
# a layer pipeline, a row chain with partial sums (a chain tile that also takes host
# inputs), and a layer relayed through the host.
NETWORKS = {
    "pipeline": [16, 8, 4],
    "chain": [20, 8, 4],
    "relay": [8, 8, 12],
}


def _compile(sizes, seed=3):
    rng = np.random.default_rng(seed)
    net = random_network(rng, sizes)
    x = rng.uniform(0, 1, (200, sizes[0]))
    compiled = compile_network(net, preset("tiny"), x)
    return compiled, quantize_inputs(compiled, rng.uniform(0, 1, (6, sizes[0])))


class _MvmRecorder:
    """What the golden model's tiles really did: every input bit that is 1 in an MVM's
    planes, the conductance of every cell on those rows (uS, all columns), and the buffer
    words: input and psum writes, a bias read per output and a psum read where PSUM_EN."""

    def __init__(self, monkeypatch):
        self.reset()
        mvm_original, execute_original = TileModel.mvm, TileModel.execute
        recorder = self

        def mvm(tile, stalls=0):
            d = tile.desc
            bits = (tile.inputs[None, :] >> np.arange(d[TileField.IN_BITS])[:, None]) & 1
            recorder.rows += int(bits.sum())
            recorder.conductance += int((bits @ tile.xb.g.sum(axis=1)).sum())
            recorder.buffer_words += d[TileField.OUT_COUNT] * (1 + d[TileField.PSUM_EN])
            return mvm_original(tile, stalls)

        def execute(tile, cmd, stalls=0):
            if cmd.op in (TileOp.WRITE_INPUT, TileOp.WRITE_PSUM):
                recorder.buffer_words += 1
            return execute_original(tile, cmd, stalls)

        monkeypatch.setattr(TileModel, "mvm", mvm)
        monkeypatch.setattr(TileModel, "execute", execute)

    def reset(self):
        self.rows = self.conductance = self.buffer_words = 0


def _run(compiled, codes, program=False, before_infer=None):
    """Weights in (back door, or the write-verify engine), configure, infer ``codes``;
    returns tile counters, host counters and NI data packets before and after inference."""
    cfg = compiled.cfg

    async def run(drv):
        await drv.open()
        rt = Runtime(drv, compiled)
        reports = await rt.program() if program else await rt.load()
        await rt.configure()

        async def ni_packets():
            return {t.node: await drv.tile_read(t.node, TileCsr.NI_OUT_PACKETS)
                    for t in compiled.tiles()}

        # Window reads are NoC packets too: the host counters are read closest to the run.
        tiles, packets = await rt.counters(), await ni_packets()
        before = (tiles, await drv.host_counters(), packets)
        if before_infer:
            before_infer()
        await rt.infer(codes)
        host = await drv.host_counters()
        after = (await rt.counters(), host, await ni_packets())
        return reports, before, after

    return asyncio.run(run(Driver(ModelBackend(cfg), cfg)))


@pytest.mark.parametrize("name", NETWORKS)
def test_counts_match_the_golden_model(name, monkeypatch):
    compiled, codes = _compile(NETWORKS[name])
    if name == "relay":
        assert compiled.layers[0].relay
    if name == "chain":
        assert len(compiled.layers[0].tiles[0]) == 2
    n = len(codes)
    seen = _MvmRecorder(monkeypatch)
    _, (tc0, hc0, ni0), (tc1, hc1, ni1) = _run(compiled, codes, before_infer=seen.reset)
    deltas = energy.counter_deltas(tc1, tc0)
    d = energy.event_counts(compiled, deltas, codes)
    assert all(deltas[t.node]["mvms"] == n for t in compiled.tiles())
    # Counted by the chip.
    assert d["counts"]["adc_conversion"] == sum(v["conversions"] for v in deltas.values())
    # Derived: the traffic model against the host's flit counters and the NIs' packets.
    assert d["traffic"]["host_flits_out"] * n == hc1["flits_out"] - hc0["flits_out"]
    assert d["traffic"]["host_flits_in"] * n == hc1["flits_in"] - hc0["flits_in"]
    for node, packets in d["traffic"]["data_packets"].items():
        assert packets * n == ni1[node] - ni0[node], node
    # Derived: row drives and the conductance they read, against what the tiles did.
    assert d["counts"]["row_drive"] == seen.rows
    assert d["counts"]["cell_read"] == pytest.approx(seen.conductance)
    assert d["sram_words_per_image"]["tile_buffers"] * n == seen.buffer_words
    # Without the data, every row in every plane: an upper bound.
    bound = energy.event_counts(compiled, deltas, n)["counts"]
    assert bound["row_drive"] >= seen.rows and bound["cell_read"] >= seen.conductance


def test_programming_and_counts_with_programmed_weights():
    compiled, codes = _compile([16, 8])
    reports, (tc0, _, _), (tc1, _, _) = _run(compiled, codes, program=True)
    est = energy.estimate(compiled, energy.counter_deltas(tc1, tc0), codes, reports)
    pulses = sum(c["pulses"] for c in tc1.values())
    assert pulses > 0 and est["programming"]["pulses"] == pulses
    assert est["programming"]["energy_uj"] == pytest.approx(
        pulses * energy.scaled_pj("program_pulse", compiled.cfg) / 1e6)
    # One layer: the row drives depend on the input codes alone.
    (t,) = compiled.tiles()
    bits = (codes[:, None, :] >> np.arange(t.desc[TileField.IN_BITS])[None, :, None]) & 1
    assert est["events"]["row_drive"]["count"] == pytest.approx(bits.sum() / len(codes))


def test_counters_of_another_run_are_refused():
    compiled, codes = _compile(NETWORKS["pipeline"])
    counters = {t.node: {"mvms": len(codes), "conversions": 1, "busy": 0}
                for t in compiled.tiles()}
    with pytest.raises(ValueError, match="ADC conversions"):
        energy.event_counts(compiled, counters, codes)


def test_table_entries_have_sources():
    events = [e.event for e in energy.ENERGY_TABLE]
    assert len(events) == len(set(events))
    # The events the issue names are all there.
    assert {"adc_conversion", "row_drive", "cell_read", "program_pulse", "sram_access",
            "flit_hop"} <= set(events)
    for e in energy.ENERGY_TABLE:
        assert e.pj > 0, e.event
        assert len(e.source) > 40 and len(e.note) > 20 and e.per, e.event
        assert isinstance(e.assumption, bool)
    for f in energy.published():
        assert f.source and f.ref and f.note and f.conditions
        if f.tops_per_w is not None:
            assert f.fj_per_mac == pytest.approx(2000 / f.tops_per_w)
    assert {f.chip for f in energy.published()} == {"NeuRRAM", "TAICHI", "Amer et al."}


def test_doc_lists_every_event_with_the_same_number():
    rows = {}
    for line in DOC.read_text().splitlines():
        m = re.match(r"\|\s*`(\w+)`\s*\|\s*([0-9.eE+-]+)\s*\|", line)
        if m:
            rows[m.group(1)] = float(m.group(2))
    table = {e.event: e.pj for e in energy.ENERGY_TABLE}
    assert rows == table
    # The doc's table is the generated one, row for row.
    text = DOC.read_text()
    for line in energy.table_markdown():
        assert line in text, line


def test_energy_is_linear_in_event_counts():
    compiled, _ = _compile(NETWORKS["pipeline"])
    cfg = compiled.cfg
    base = {ev: 10.0 * (i + 1) for i, ev in enumerate(energy.INFERENCE_EVENTS)}
    e1 = energy.estimate(compiled, base, 2)
    e2 = energy.estimate(compiled, {k: 3 * v for k, v in base.items()}, 2)
    assert e2["energy_per_inference_nj"] == pytest.approx(3 * e1["energy_per_inference_nj"])
    for ev in energy.INFERENCE_EVENTS:
        more = dict(base, **{ev: base[ev] + 2})           # one more event per image
        e3 = energy.estimate(compiled, more, 2)
        extra_pj = 1000 * (e3["energy_per_inference_nj"] - e1["energy_per_inference_nj"])
        assert extra_pj == pytest.approx(energy.scaled_pj(ev, cfg)), ev
    parts = sum(v["nj"] for v in e1["events"].values())
    assert parts == pytest.approx(e1["energy_per_inference_nj"])
    assert sum(e1["subtotals_nj"].values()) == pytest.approx(parts)
    assert e1["energy_per_mac_fj"] == pytest.approx(
        1e6 * e1["energy_per_inference_nj"] / energy.network_macs(compiled))


def test_scaling_with_the_configuration():
    tiny, default = preset("tiny"), preset("default")
    assert tiny.adc_bits == 4 and default.adc_bits == 8
    assert energy.scaled_pj("adc_conversion", default) == energy.ENERGY_TABLE[0].pj
    assert energy.scaled_pj("adc_conversion", tiny) == pytest.approx(2.8 / 16)
    louder = default.replace(array={"v_read_mvm": 20})      # 0.4 V
    assert energy.scaled_pj("cell_read", louder) == pytest.approx(
        4 * energy.scaled_pj("cell_read", default))


def test_router_hops_are_manhattan_plus_one():
    cfg = ChipConfig(name="mesh4", mesh_width=4, mesh_height=4)
    for a in range(16):
        for b in range(16):
            ax, ay, bx, by = a % 4, a // 4, b % 4, b // 4
            assert energy.router_hops(cfg, a, b) == abs(ax - bx) + abs(ay - by) + 1


def test_demo_rows():
    compiled, codes = _compile(NETWORKS["chain"])
    reports, (tc0, _, _), (tc1, _, _) = _run(compiled, codes, program=True)
    # As demo.json has them: string node keys, counters since power-on, report dicts.
    after = {str(k): v for k, v in tc1.items()}
    dicts = [r.__dict__ for r in reports]
    report, lines = energy.energy_rows(compiled, None, after, codes, dicts)
    ref, _ = energy.energy_rows(compiled, tc0, tc1, codes, reports)
    assert report["energy_per_inference_nj"] == pytest.approx(ref["energy_per_inference_nj"])
    # Programming's busy cycles are taken off: what is left is the inference's (and the
    # configuration's few).
    for node, busy in report["cycles"]["busy_per_image"].items():
        assert 0 < busy - ref["cycles"]["busy_per_image"][node] < 200 / len(codes)
    json.dumps(report)
    assert report["label"] == "estimate"
    assert "estimate" in lines[0] and any("total (estimate)" in x for x in lines)
    assert any(x.startswith("| NeuRRAM") for x in lines)
    # Counters of the inference alone (as sw.batch.batch_infer returns them, no pulses):
    # used as they are.
    inference_only = {k: {c: v[c] - tc0[k][c] for c in ("busy", "mvms", "conversions")}
                      for k, v in tc1.items()}
    alone, _ = energy.energy_rows(compiled, None, inference_only, codes, dicts)
    assert alone["cycles"]["busy_per_image"] == ref["cycles"]["busy_per_image"]
    # Without counters: the static shape, the same events.
    static, _ = energy.energy_rows(compiled, None, None, codes)
    assert static["energy_per_inference_nj"] == pytest.approx(ref["energy_per_inference_nj"])
