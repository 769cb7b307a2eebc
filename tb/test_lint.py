"""Every block's generated Verilog passes `verilator --lint-only -Wall` (waivers: docs/lint.md)."""

import pytest

from hdl.spec.config import preset
from scripts.blocks import BLOCKS, generate_verilog
from scripts.generate import ROOT
from scripts.lint import lint

# `uart_chip` is the whole chip behind its UART bridge, so it lints `chip`'s Verilog too;
# `chip` alone (45 s) and `soc` (the chip behind the OpenRISC core) run in `make test-all`.
_SLOW = {"chip", "soc"}


@pytest.mark.parametrize("block", [pytest.param(b, marks=[pytest.mark.slow] if b in _SLOW
                                                else []) for b in BLOCKS])
def test_block_lints_clean(block):
    cfg = preset("tiny")
    out = ROOT / "build" / "lint" / cfg.name
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{block}.v"
    path.write_text(generate_verilog(block, cfg))
    rc, err = lint(path)
    assert rc == 0, err
