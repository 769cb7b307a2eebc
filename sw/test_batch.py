"""The batched golden model (``sw/batch.py``) against the per-image path (``Runtime.infer``
through the driver on ``sim/chip.py``): every logit, every image's clipped conversions and
every tile counter the images add, on weights programmed through the write-verify engine.

Each case programs and configures one chip model through the driver, copies it, runs the
images one by one on one copy and as a batch on the other. The cases also check that they
cannot pass by accident: the programmed logits differ from the ideal ones (so the batch
reads the programmed conductances), conversions clip, stuck cells sit in used columns.
"""

import asyncio
import copy

import numpy as np
import pytest

from hdl.spec.config import preset
from hdl.spec.tile import TileCounter, TileField, TileOp
from hdl.spec.write_verify import WvOp, WvRunKind
from sim.chip import ni_stalls
from sim.driver import Driver, ModelBackend
from sim.tile import TileCommand
from sim.write_verify import WvCommand
from sw.batch import BatchError, batch_infer, image_cycles, mvm_cycles
from sw.compiler import compile_network, ideal_forward
from sw.job import DEFAULT_MODEL, prepare
from sw.network import random_network
from sw.runtime import Runtime

COUNTERS = {"busy": TileCounter.BUSY, "mvms": TileCounter.MVMS,
            "conversions": TileCounter.CONVERSIONS, "clips": TileCounter.CLIPS}


def _programmed(cfg, compiled, driver=True):
    """A golden chip with ``compiled`` programmed (write-verify engine, M-ISPVA) and
    configured. ``driver``: the targets and the runs through the driver
    (``Runtime.program``); otherwise straight into each tile's engine (the same targets and
    PROGRAM run, without the 12 288 WRITE_TARGET packets, which take ~10 s on ``default``)."""
    backend = ModelBackend(cfg)
    drv = Driver(backend, cfg)

    async def program():
        await drv.open()
        rt = Runtime(drv, compiled)
        if driver:
            await rt.program()
        else:
            a = cfg.array
            for t in compiled.tiles():
                tile = backend.model.tile(t.node)
                targets = t.targets()
                rows, cols = targets.shape
                tile.wv.targets.reshape(a.rows, a.cols)[:rows, :cols] = targets
                r = tile.execute(TileCommand(TileOp.WV, wv=WvCommand(
                    op=WvOp.RUN, kind=WvRunKind.PROGRAM, nrows=rows, ncols=cols)))
                assert not r.error, r
        await rt.configure()

    asyncio.run(program())
    return backend.model


def _per_image(model, compiled, x_codes):
    """Runtime.infer on a copy of ``model``: (logits, clips, counter differences, pipelined)."""
    model = copy.deepcopy(model)
    backend = ModelBackend(compiled.cfg)
    backend.model = model
    drv = Driver(backend, compiled.cfg)
    before = {t.node: list(model.tile(t.node).counters) for t in compiled.tiles()}

    async def infer():
        rt = Runtime(drv, compiled)
        logits, clips = await rt.infer(x_codes)
        return logits, clips, rt.pipelined

    logits, clips, pipelined = asyncio.run(infer())
    mask = (1 << compiled.cfg.tile.counter_bits) - 1
    delta = {t.node: {k: (model.tile(t.node).counters[c] - before[t.node][c]) & mask
                      for k, c in COUNTERS.items()} for t in compiled.tiles()}
    return logits, clips, delta, pipelined


def _assert_equal(model, compiled, x_codes):
    """Batch == per image, logit for logit, clip for clip, counter for counter."""
    want_logits, want_clips, want_counters, pipelined = _per_image(model, compiled, x_codes)
    r = batch_infer(model, compiled, x_codes)
    assert np.array_equal(r.logits, want_logits)
    assert np.array_equal(r.clips, want_clips)
    mask = (1 << compiled.cfg.tile.counter_bits) - 1
    got = {n: {k: v & mask for k, v in c.items()} for n, c in r.counters.items()}
    assert got == want_counters
    n = len(x_codes)
    for t in compiled.tiles():
        assert r.counters[t.node]["busy"] == n * r.image_cycles[t.node]
    return r, pipelined


# -- default: the digits network -----------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    return prepare(DEFAULT_MODEL, preset("default"))


def _images(job, model, n=40):
    """``n`` test images: the first ones and those that clip most (so that clipping is
    exercised; the per-image path stays the reference on whichever images are chosen)."""
    clips = batch_infer(model, job.compiled, job.x_codes).clips
    most = np.argsort(-clips, kind="stable")[:n // 4]
    pick = list(most) + [i for i in range(len(clips)) if i not in most][:n - len(most)]
    return job.x_codes[np.sort(pick)]


@pytest.fixture(scope="module")
def digits_chip(digits):
    return _programmed(digits.compiled.cfg, digits.compiled, driver=False)


@pytest.fixture(scope="module")
def digits_stuck_chip(digits):
    # 1 % stuck cells; the same compiled network (compiling reads no device parameter), as
    # the demo does.
    cfg = preset("default").replace(device={"stuck_rate_q14": 164})
    return _programmed(cfg, digits.compiled, driver=False)


def test_digits_default_variability(digits, digits_chip):
    x = _images(digits, digits_chip)
    r, _ = _assert_equal(digits_chip, digits.compiled, x)
    # Not vacuous: conversions clip, and the programmed conductances move logits away from
    # the ideal ones (the batch reads what the engine programmed, not the targets).
    assert r.clips.sum() > 0
    assert not np.array_equal(r.logits, ideal_forward(digits.compiled, x)[-1])


def test_digits_one_percent_stuck(digits_stuck_chip, digits_chip, digits):
    model, c = digits_stuck_chip, digits.compiled
    used = [(model.tile(t.node).xb.stuck[:t.n_rows, :2 * t.n_out]).sum() for t in c.tiles()]
    assert sum(used) > 0, "no stuck cell in a used column: the case tests nothing"
    x = _images(digits, model)
    r, _ = _assert_equal(model, c, x)
    clean = batch_infer(digits_chip, digits.compiled, x)
    assert not np.array_equal(r.logits, clean.logits)


def test_digits_cycles_follow_the_spec(digits, digits_chip):
    """The cycle figures come from the spec's MVM latency and the NI's stalls: one image
    costs each tile its input and partial-sum words plus one MVM."""
    c = digits.compiled
    r = batch_infer(digits_chip, c, digits.x_codes[:3])
    for t in c.tiles():
        d = digits_chip.tile(t.node).desc
        assert r.mvm_cycles[t.node] == mvm_cycles(c.cfg, d)
        words = t.n_rows + (c.layers[t.layer].tiles[0][0].n_out if d[TileField.PSUM_EN] else 0)
        assert r.image_cycles[t.node] == image_cycles(c.cfg, d, words)
    assert r.layer_mvm_cycles(c) == [max(r.mvm_cycles[t.node] for t in lp.all_tiles())
                                     for lp in c.layers]


# -- tiny: row chains, column splits, a relay ----------------------------------------------


@pytest.mark.parametrize("sizes, shape", [
    ([16, 8, 4], "pipeline"),      # tile to tile, images back to back
    ([24, 8, 4], "rows"),          # dense0: a chain of two row blocks (partial sums)
    ([16, 12, 4], "columns"),      # dense0: two output blocks into one tile's rows
    ([16, 8, 12], "relay"),        # fc1 has two output blocks: fc0 goes through the host
    ([16, 8, 4], "stalls"),        # 6-output packets: the NI stalls the output stream
])
def test_tiny_splits(sizes, shape):
    cfg = preset("tiny")
    if shape == "stalls":
        cfg = cfg.replace(name="tiny-short-packets", noc={"max_packet_flits": 8})
    rng = np.random.default_rng(sizes[1] * 100 + sizes[2])
    net = random_network(rng, sizes, bias_sigma=0.2)
    compiled = compile_network(net, cfg, rng.uniform(0, 1, (256, sizes[0])))
    fc0 = compiled.layers[0]
    chains = [len(ch) for ch in fc0.tiles]
    assert chains == {"pipeline": [1], "rows": [2], "columns": [1, 1], "relay": [1],
                      "stalls": [1]}[shape]
    assert fc0.relay == (shape == "relay")
    assert any(ni_stalls(cfg, t.n_out) for t in compiled.tiles()) == (shape == "stalls")
    model = _programmed(cfg, compiled)
    x = rng.integers(0, 1 << cfg.input_bits, (40, sizes[0]))
    r, pipelined = _assert_equal(model, compiled, x)
    assert pipelined == (shape in ("pipeline", "stalls"))
    assert r.clips.sum() > 0
    assert not np.array_equal(r.logits, ideal_forward(compiled, x)[-1])


# -- refusals ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_chip():
    cfg = preset("tiny")
    rng = np.random.default_rng(5)
    compiled = compile_network(random_network(rng, [16, 8, 4]), cfg,
                               rng.uniform(0, 1, (64, 16)))
    return compiled, _programmed(cfg, compiled)


def test_refuses_an_unconfigured_chip(tiny_chip):
    compiled, _ = tiny_chip
    fresh = ModelBackend(compiled.cfg).model
    with pytest.raises(BatchError, match=r"tile \d+: .* run Runtime.configure\(\) first"):
        batch_infer(fresh, compiled, np.zeros((2, 16), np.int64))


def test_refuses_inputs_the_chip_refuses(tiny_chip):
    compiled, model = tiny_chip
    with pytest.raises(BatchError, match="outside 0 .. 15"):
        batch_infer(model, compiled, np.full((2, 16), 16))


def test_refuses_an_mvm_with_per_mvm_state(tiny_chip):
    """Read noise keyed by a counter that every MVM advances cannot be batched exactly."""
    compiled, model = tiny_chip
    model = copy.deepcopy(model)
    xb = model.tile(compiled.tiles()[0].node).xb
    pure = xb.mvm_planes
    xb.reads = 0

    def noisy(planes):
        xb.reads += 1
        return pure(planes) + xb.reads

    xb.mvm_planes = noisy
    with pytest.raises(BatchError, match="per-MVM state"):
        batch_infer(model, compiled, np.zeros((2, 16), np.int64))


def test_unused_rows_keep_their_buffer_values():
    """Rows no layer input drives keep what the input buffer holds, and the MVM reads them
    on every path (here stale codes on unused cells that are not balanced pairs)."""
    cfg = preset("tiny")
    rng = np.random.default_rng(7)
    compiled = compile_network(random_network(rng, [12, 8, 4]), cfg,
                               rng.uniform(0, 1, (64, 12)))
    model = _programmed(cfg, compiled)
    x = rng.integers(0, 1 << cfg.input_bits, (40, 12))
    clean = batch_infer(model, compiled, x)
    t = compiled.layers[0].all_tiles()[0]
    assert t.n_rows == 12
    tile = model.tile(t.node)
    tile.xb.g[12:, 0::2] += 40
    tile.inputs[12:] = 15
    r, _ = _assert_equal(model, compiled, x)
    assert not np.array_equal(r.logits, clean.logits)


def test_refuses_a_tile_with_per_mvm_state(tiny_chip):
    """Noise keyed by the tile's MVM counter: each MVM of the per-image order sees another
    counter, a batch would see one."""
    compiled, model = tiny_chip
    model = copy.deepcopy(model)
    tile = model.tile(compiled.tiles()[-1].node)
    pure = tile.mvm_values

    def noisy(inputs=None, psum=None):
        v, out, clips = pure(inputs, psum)
        return v, out + tile.counters[TileCounter.MVMS] % 3, clips

    tile.mvm_values = noisy
    with pytest.raises(BatchError, match="per-MVM state"):
        batch_infer(model, compiled, np.zeros((2, 16), np.int64))
