"""Every block's generated Verilog passes `verilator --lint-only -Wall` (waivers: docs/lint.md)."""

import pytest

from scripts.blocks import BLOCKS
from scripts.generate import ROOT
from scripts.lint import lint
from tb.configs import config as config_named
from tb.harness import _verilog

# `uart_chip` is the whole chip behind its UART bridge, so it lints `chip`'s Verilog too;
# `chip` alone (45 s) and `soc` (the chip behind the OpenRISC core) run in `make test-all`.
_SLOW = {"chip", "soc"}
#: The configuration each block is linted in: the one its simulation tests build, so the
#: Verilog is generated once for both (``tb.harness`` caches it by configuration and
#: sources); ``tiny`` for the others.
_CONFIG = {"chip": "chip-small", "chip_shared": "chip-small", "uart_chip": "chip-small",
           "soc": "chip-small"}


@pytest.mark.parametrize("block", [pytest.param(b, marks=[pytest.mark.slow] if b in _SLOW
                                                else []) for b in BLOCKS])
def test_block_lints_clean(block):
    cfg = config_named(_CONFIG.get(block, "tiny"))
    out = ROOT / "build" / "lint" / cfg.name
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{block}.v"
    path.write_text(_verilog(block, cfg))
    rc, err = lint(path)
    assert rc == 0, err
