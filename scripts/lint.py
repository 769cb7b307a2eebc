"""Verilator --lint-only -Wall on the generated Verilog of every block.

Amaranth's generated Verilog trips a few style warnings that say nothing about the design;
they are waived here, one line each with the reason (also in docs/lint.md). Anything else
fails the lint.
"""

import argparse
import subprocess
import sys

from hdl.spec.config import ConfigError, preset
from scripts.generate import ROOT, write_all

WAIVERS = {
    # Yosys names internal nets `$n` / `$auto$...`; they are escaped identifiers.
    "DECLFILENAME": "one file per block, named after the block, not after every module",
    # Amaranth emits one always block per signal and full-width intermediates: unused high
    # bits of widened arithmetic are expected.
    "UNUSEDSIGNAL": "widened intermediates of Amaranth arithmetic leave unused bits",
    # The time-0 trigger register of Yosys's Verilog backend is never assigned after init.
    "UNDRIVEN": "Yosys's `$auto$verilog_backend` time-0 trigger has only an initialiser",
    # Amaranth sizes constants to the expression, not to the declared operand.
    "WIDTHEXPAND": "Amaranth pads operands implicitly; widths were checked in Python",
    "WIDTHTRUNC": "Amaranth truncates on assignment by design",
    # A constant slice of a partly driven signal becomes `always @* x[a:b] = const;`.
    "ALWNEVER": "Yosys writes constant slices (the source fields of packet headers, which "
                "the packetizer overwrites) as input-less always blocks; the constant is 0, "
                "the signal's initial value",
    # Memory init via `initial` loops is how Yosys writes $mem init.
    "BLKSEQ": "Yosys writes memory initialisation with blocking assignments in initial",
    # The generated file includes unused submodule parameters.
    "UNUSEDPARAM": "unused localparams of generated submodules",
    # Yosys emits `casez` for FSM decoding.
    "CASEOVERLAP": "priority casez from Amaranth's If/Elif chains is intended",
    "CASEINCOMPLETE": "Amaranth provides defaults before every case statement",
    # Amaranth gives every register its reset value as a declaration initialiser (the FPGA
    # power-on state) and also assigns it in a clocked process.
    "PROCASSINIT": "registers carry their power-on value as a declaration initialiser",
}


def lint(path):
    cmd = ["verilator", "--lint-only", "-Wall", "--timescale", "1ns/1ps"]
    cmd += [f"-Wno-{w}" for w in WAIVERS]
    cmd += [str(path)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    return res.returncode, res.stderr


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="default")
    args = ap.parse_args(argv)
    try:
        cfg = preset(args.config)
    except ConfigError as e:
        sys.exit(f"error: {e}")
    failed = 0
    for path in write_all(cfg, ROOT / "build" / cfg.name):
        rc, err = lint(path)
        status = "clean" if rc == 0 else "FAILED"
        print(f"lint {path.name}: {status}")
        if rc:
            print(err)
            failed += 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
