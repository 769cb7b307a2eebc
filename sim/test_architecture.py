"""The layering of ``docs/architecture.md``, checked.

* the spec layer (``hdl/spec``) imports only the standard library and itself;
* the gateware (``hdl``) never imports the golden model (``sim``), the testbenches or the
  scripts;
* the golden model loads no Amaranth and no cocotb: every ``sim`` module is imported in a
  fresh interpreter and ``sys.modules`` is inspected;
* every entry of the block registry has a golden model, a testbench and a document;
* every test configuration has its own name.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(path):
    """Top-level module names (``a.b`` for ``import a.b`` / ``from a.b import c``) a file
    imports, anywhere in it (function-level imports included)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _modules(folder):
    return sorted(p for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("hdl/spec"), ids=lambda p: p.name)
def test_spec_imports_only_the_standard_library(path):
    bad = {n for n in _imports(path)
           if n.split(".")[0] not in sys.stdlib_module_names
           and not (n == "hdl.spec" or n.startswith("hdl.spec."))}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}: the spec is stdlib only"


@pytest.mark.parametrize("path", _modules("hdl"), ids=lambda p: str(p.relative_to(ROOT)))
def test_gateware_does_not_import_model_tests_or_scripts(path):
    bad = {n for n in _imports(path) if n.split(".")[0] in ("sim", "tb", "scripts")}
    assert not bad, (f"{path.relative_to(ROOT)} imports {sorted(bad)}: the gateware gets what "
                     "the model computes from the code that builds it (scripts/blocks.py)")


def _fresh_import(modules):
    """Import ``modules`` in a new interpreter; returns the names in its ``sys.modules``."""
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "print(json.dumps(sorted(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _names(folder):
    return [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in _modules(folder)
            if not p.name.startswith("test_") and p.name != "__init__.py"]


def test_golden_model_loads_no_amaranth_or_cocotb():
    modules = _names("sim")
    assert len(modules) >= 10, modules
    loaded = _fresh_import(modules)
    bad = [m for m in loaded if m.split(".")[0] in ("amaranth", "cocotb", "cocotb_tools",
                                                    "cocotbext")]
    assert not bad, f"importing sim ({', '.join(modules)}) loaded {bad[:10]}"


def test_spec_loads_nothing_beyond_the_standard_library():
    loaded = _fresh_import(_names("hdl/spec"))
    bad = [m for m in loaded if m.split(".")[0] in ("amaranth", "numpy", "cocotb")]
    assert not bad, f"importing hdl.spec loaded {bad[:10]}"


def test_every_block_has_a_model_a_testbench_and_a_doc():
    from scripts.blocks import BLOCKS

    for block in BLOCKS.values():
        model = ROOT / (block.model.replace(".", "/") + ".py")
        assert model.is_file(), f"block {block.name}: model {block.model} does not exist"
        tb = ROOT / block.testbench
        assert tb.is_file(), f"block {block.name}: testbench {block.testbench} does not exist"
        assert f'run_cocotb("{block.name}"' in tb.read_text(), (
            f"block {block.name}: {block.testbench} never runs it")
        doc = ROOT / block.doc
        assert doc.is_file(), f"block {block.name}: document {block.doc} does not exist"


def test_test_configurations_have_unique_names():
    from tb.configs import ALL, CONFIGS

    names = [c.name for c in ALL]
    dupes = sorted({n for n in names if names.count(n) > 1})
    assert not dupes, f"test configurations share a name (and so a build directory): {dupes}"
    assert len(CONFIGS) == len(ALL)
