"""The ``neurram`` preset (issue 14): NeuRRAM's scale, validated by the configuration's own
rules. Model only, no simulator; ``make bench-scale`` runs it (``scripts/bench_scale.py``)."""

from hdl.spec.config import ChipConfig, preset
from hdl.spec.host import config_words
from hdl.spec.regmap import WINDOW_NODE_STRIDE, region


def test_neurram_preset():
    cfg = preset("neurram")
    assert cfg.name == "neurram"
    assert (cfg.mesh_width, cfg.mesh_height, cfg.host_node) == (7, 7, 0)
    assert len(cfg.tiles) == 48
    a = cfg.array
    assert (a.rows, a.cols, a.read_rows) == (256, 256, 256)
    assert len(cfg.tiles) * a.rows * a.cols == 3_145_728          # 3.1 M cells
    # Rebuilt from its JSON, it passes every check again (ranges, host protocol).
    assert ChipConfig.from_json(cfg.to_json()) == cfg
    # Every node has a window of tile registers; the read-back registers hold the sizes.
    assert cfg.mesh_width * cfg.mesh_height * WINDOW_NODE_STRIDE <= region("WINDOW").size
    words = config_words(cfg)
    assert words["CFG_ARRAY"] == 256 | 256 << 16
    assert words["CFG_MESH"] == 7 | 7 << 4
