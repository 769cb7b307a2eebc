"""``make bench``'s RTL rate (``scripts/bench_rtl.py``) builds the chip with the network's
weights as its power-on image; on the golden model (a few seconds): that image is the state
LOAD_CELL leaves, and the check that says so fails on an image that is not."""

import dataclasses

import numpy as np
import pytest

from hdl.spec.config import preset
from scripts.bench_rtl import golden
from sim.crossbar import CrossbarModel
from sim.images import chip_images
from sw.job import DEFAULT_MODEL, load_rows, prepare


@pytest.fixture(scope="module")
def setup():
    cfg = preset("default")
    job = prepare(DEFAULT_MODEL, cfg, 3)
    loads = load_rows(job.compiled)
    return cfg, job, loads, chip_images(cfg, loads)


def test_loaded_image_keeps_stuck_cells_and_other_tiles(setup):
    cfg, _, loads, images = setup
    for node in cfg.tiles:
        g = np.asarray(images[node].conductance)
        xb = CrossbarModel(cfg, node)
        if node not in loads:
            assert np.array_equal(g, xb.g)
            continue
        rows = np.asarray(loads[node])
        k = rows.shape[0]
        assert np.array_equal(g[:k], np.where(xb.stuck[:k], xb.g[:k], rows))
        assert np.array_equal(g[k:], xb.g[k:])
    with pytest.raises(ValueError, match="not tile nodes"):
        chip_images(cfg, {99: loads[cfg.tiles[0]]})


def test_golden_check_passes_and_can_fail(setup):
    cfg, job, loads, images = setup
    images = {n: images[n] for n in loads}
    got = golden(job, cfg, 3, images)
    assert len(got["logits"]) == 3 and got["program"] == []
    # One non-stuck cell of the first tile one code off: not the LOAD_CELL state.
    node = min(images)
    g = [list(r) for r in images[node].conductance]
    xb = CrossbarModel(cfg, node)
    r, c = np.argwhere(~xb.stuck)[0]
    g[r][c] = g[r][c] + 1 if g[r][c] < cfg.array.g_max else g[r][c] - 1
    bad = dict(images)
    bad[node] = dataclasses.replace(images[node], conductance=tuple(tuple(x) for x in g))
    with pytest.raises(SystemExit, match="not the crossbar state"):
        golden(job, cfg, 3, bad)
