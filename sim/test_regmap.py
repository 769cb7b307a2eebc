"""Register map: the generated files are current, the C header compiles, ``sim/regs.py`` agrees
with ``hdl/spec/regmap.py``, and no registers, regions or fields overlap."""

import ast
import shutil
import subprocess

import pytest

from hdl.spec import regmap
from hdl.spec.host import HOST_ID, VERSION, WINDOW_TAG
from scripts import gen_regs
from scripts.gen_regs import ENUMS, OUTPUTS, ROOT
from sim import regs

GCC = shutil.which("gcc")
needs_gcc = pytest.mark.skipif(GCC is None, reason="gcc not found")


def _mask(f):
    return ((1 << f.width) - 1) << f.lsb


@pytest.mark.parametrize("path", sorted(OUTPUTS), ids=str)
def test_generated_file_is_current(path):
    f = ROOT / path
    assert f.exists(), f"{path} is missing: run `make docs`"
    assert f.read_text() == OUTPUTS[path](), f"{path} is stale: run `make docs`"


def test_generator_is_deterministic():
    for generate in OUTPUTS.values():
        assert generate() == generate()


def _gcc(tmp_path, source, std="c11"):
    src = tmp_path / "t.c"
    src.write_text(source)
    cmd = [
        GCC,
        "-fsyntax-only",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-Wpedantic",
        f"-std={std}",
        "-I",
        str(ROOT / "sw" / "include"),
        "-x",
        "c",
        str(src),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@needs_gcc
def test_c_header_compiles(tmp_path):
    header = ROOT / "sw" / "include" / "rram_regs.h"
    r = subprocess.run(
        [GCC, "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-x", "c", str(header)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    # Twice (include guard), C99, used by a small program.
    _gcc(
        tmp_path,
        """
#include "rram_regs.h"
#include "rram_regs.h"

static volatile uint32_t regs[0x100];

int main(void)
{
    uint32_t status = regs[RRAM_IRQ_STATUS_OFFSET / 4u];
    uint32_t cause = (regs[RRAM_ERR_CAUSE_OFFSET / 4u] & RRAM_ERR_CAUSE_CAUSE_MASK)
                     >> RRAM_ERR_CAUSE_CAUSE_LSB;
    uint32_t node = RRAM_WINDOW_ADDR(1, RRAM_TILE_NODE);
    regs[RRAM_IRQ_STATUS_OFFSET / 4u] = status & (1u << RRAM_IRQ_DONE);
    return (int)(cause == RRAM_CAUSE_NONE && node != 0u && regs[0] == RRAM_ID_VALUE);
}
""",
        std="c99",
    )


@needs_gcc
def test_c_header_values(tmp_path):
    """Every constant of the header, checked against ``hdl/spec/regmap.py`` by the compiler."""
    expect = {
        "RRAM_ADDR_BITS": regmap.ADDR_BITS,
        "RRAM_ID_VALUE": HOST_ID,
        "RRAM_VERSION_VALUE": VERSION[0] << 16 | VERSION[1],
        "RRAM_WINDOW_NODE_STRIDE": regmap.WINDOW_NODE_STRIDE,
        "RRAM_WINDOW_TAG": WINDOW_TAG,
        "RRAM_WINDOW_ADDR(3, 0x21)": regmap.region("WINDOW").base
        + 3 * regmap.WINDOW_NODE_STRIDE
        + 4 * 0x21,
    }
    for r in regmap.REGISTERS:
        expect[f"RRAM_{r.name}_OFFSET"] = r.offset
        for f in r.fields:
            expect[f"RRAM_{r.name}_{f.name}_LSB"] = f.lsb
            expect[f"RRAM_{r.name}_{f.name}_WIDTH"] = f.width
            expect[f"RRAM_{r.name}_{f.name}_MASK"] = _mask(f)
    for g in regmap.REGIONS:
        expect[f"RRAM_{g.name}_BASE"] = g.base
        expect[f"RRAM_{g.name}_SIZE"] = g.size
    for name, reg, _, _ in regmap.TILE_CSRS:
        expect[f"RRAM_TILE_{name}"] = reg
    for cls, prefix in ENUMS:
        for m in cls:
            expect[f"RRAM_{prefix}_{m.name}"] = int(m)
    lines = ['#include "rram_regs.h"']
    lines += [f'_Static_assert({k} == {v}u, "{k}");' for k, v in expect.items()]
    _gcc(tmp_path, "\n".join(lines) + "\n")


def test_python_constants_match_regmap():
    assert regs.ADDR_BITS == regmap.ADDR_BITS
    assert regs.ID_VALUE == HOST_ID == regmap.register("ID").reset
    assert (regs.VERSION_MAJOR, regs.VERSION_MINOR) == VERSION
    assert regs.REGISTERS == {r.name: (r.offset, r.access) for r in regmap.REGISTERS}
    for r in regmap.REGISTERS:
        assert getattr(regs, r.name) == r.offset, r.name
        assert {f.name: (f.lsb, f.width) for f in r.fields} == regs.FIELDS.get(r.name, {})
        for f in r.fields:
            p = f"{r.name}_{f.name}"
            assert getattr(regs, f"{p}_LSB") == f.lsb, p
            assert getattr(regs, f"{p}_WIDTH") == f.width, p
            assert getattr(regs, f"{p}_MASK") == _mask(f), p
    assert regs.REGIONS == {g.name: (g.base, g.size) for g in regmap.REGIONS}
    for g in regmap.REGIONS:
        assert getattr(regs, f"{g.name}_BASE") == g.base
        assert getattr(regs, f"{g.name}_SIZE") == g.size
    assert regs.WINDOW_NODE_STRIDE == regmap.WINDOW_NODE_STRIDE
    assert regs.WINDOW_TAG == WINDOW_TAG
    assert regs.TILE_CSRS == {name: (reg, acc) for name, reg, acc, _ in regmap.TILE_CSRS}
    for name, reg, _, _ in regmap.TILE_CSRS:
        assert getattr(regs, f"TILE_{name}") == reg
    for cls, prefix in ENUMS:
        for m in cls:
            assert getattr(regs, f"{prefix}_{m.name}") == int(m)


def test_python_constants_stand_alone():
    tree = ast.parse((ROOT / "sim" / "regs.py").read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]


def test_no_overlaps():
    spans = sorted(
        [(r.offset, r.offset + 4, r.name) for r in regmap.REGISTERS]
        + [(g.base, g.base + g.size, g.name) for g in regmap.REGIONS]
    )
    for (_, end, a), (start, _, b) in zip(spans, spans[1:], strict=False):
        assert end <= start, f"{a} overlaps {b}"
    assert spans[-1][1] <= 1 << regmap.ADDR_BITS
    for r in regmap.REGISTERS:
        assert r.offset % 4 == 0, r.name
        assert len({f.name for f in r.fields}) == len(r.fields), r.name
        used = 0
        for f in r.fields:
            assert f.width > 0 and f.lsb >= 0 and f.lsb + f.width <= 32, f"{r.name}.{f.name}"
            assert not used & _mask(f), f"{r.name}.{f.name} overlaps another field"
            used |= _mask(f)
        assert not r.bits >> 32
    window = regmap.region("WINDOW")
    assert window.size % regmap.WINDOW_NODE_STRIDE == 0
    regs_ = [reg for _, reg, _, _ in regmap.TILE_CSRS]
    assert len(set(regs_)) == len(regs_)
    assert all(0 <= reg < regmap.WINDOW_NODE_STRIDE // 4 for reg in regs_)
    assert len({name for name, _, _, _ in regmap.TILE_CSRS}) == len(regs_)


def test_check_option_names_stale_files(tmp_path, monkeypatch, capsys):
    for path, generate in OUTPUTS.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(generate())
    stale_path = next(iter(OUTPUTS))
    (tmp_path / stale_path).write_text("edited\n")
    monkeypatch.setattr(gen_regs, "ROOT", tmp_path)
    with pytest.raises(SystemExit) as e:
        gen_regs.main(["--check"])
    assert e.value.code == 1
    assert str(stale_path) in capsys.readouterr().err
    assert (tmp_path / stale_path).read_text() == "edited\n"
