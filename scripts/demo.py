"""The main job: the digits network on the chip, golden model and RTL, accuracy and cost.

1. compile the network (``--model``, default ``sw/models/digits_mlp.onnx``) for the preset
   (``--config``, default ``default``): quantized weights, calibrated ADC gains and
   requantization, placement (``sw/compiler.py``);
2. on the golden model: program every weight through the write-verify engine (M-ISPVA,
   the engine's power-on register sets), configure the tiles, run the test split through
   the layer pipeline; the same with 1 % stuck cells, and after an anneal; an
   accuracy-vs-variability sweep;
3. on the RTL (``--sim verilator``, the default, or ``icarus``; ``golden`` skips it), in the
   background while the golden model works: the same driver program on the generated chip,
   timed in cycles, every logit compared with the golden model's;
4. print one table; write ``build/reports/demo.json``, ``demo.md``, ``demo_confusion.png``
   and ``demo_variability.png``.

``--driver firmware``: the on-chip firmware (``sw/fw/infer``, ``docs/firmware.md``) runs the
same job beside the host driver, on the golden model (built natively, its bus accesses
call the model): every logit and programming report compared with the host driver's, its
bus accesses per image, its size for the core (``or1k-elf-gcc -O2``). With ``--sim
verilator`` (or ``icarus``: hours, see below) the RTL part is the firmware instead of the
host's driver program: block ``soc`` (the OpenRISC core, its ``cfg.cpu.ram_bytes`` of
program memory and the whole chip) runs ``tb/test_firmware_soc.py``'s ``cocotb_firmware``
on the digits job: the firmware programs every weight through the write-verify engine
(as the host driver does here), runs the images from the activation SRAM in runs of
``sw.firmware.batch_images``, then the host driver runs the same images on the same chip;
every logit, class and programming report is compared with the golden model's, and the
cycles per image of both drivers are reported.
"""

import argparse
import asyncio
import dataclasses
import json
import os
import re
import sys
import threading
import time
from pathlib import Path

import numpy as np

from hdl.spec.config import ConfigError, preset
from hdl.spec.tile import TileField, mvm_latency
from sim.driver import Driver, ModelBackend
from sw.batch import batch_infer
from sw.compiler import ideal_forward
from sw.energy import energy_rows
from sw.job import DEFAULT_MODEL, NOISE_AWARE_MODEL, inference_program, prepare

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "build" / "reports"
NOISE_FIELDS = ("c2c_noise", "compliance_noise", "gain_spread", "hrs_noise")
#: ``device.mvm_read_noise`` values of the sweep (0 = off, the presets' setting).
READ_NOISE_LEVELS = (0, 10, 40, 80, 160)
#: Relax strength of "after the anneal" (``CrossbarModel.relax``): a bell spread of sigma
#: ~4.6 uS and a 1.6 % drift toward 0 of every conductance.
ANNEAL_STRENGTH = 8


def _bar(total, desc):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="img", leave=False, file=sys.stderr)


def golden_run(job, cfg, desc, anneal=0, batched=False):
    """The driver program on the golden model of ``cfg``: (result dict, chip model).

    ``batched``: the driver programs and configures the chip, and the images run on the
    batched golden model (``sw/batch.py``: the same logits, a hundred times faster); the
    main golden row, which the RTL is compared with, runs them through the driver."""
    backend = ModelBackend(cfg)
    drv = Driver(backend, cfg)
    bars = []

    def progress(phase, k):
        # The bar starts with the images (programming comes first and takes a few seconds).
        if phase == "infer":
            if not bars:
                bars.append(_bar(len(job.y), desc))
            bars[0].update(k)

    def relax():
        # The model's relax between programming and inference (the RTL has no host path to
        # RELAX, so this row is golden only).
        for t in job.compiled.tiles():
            backend.model.tile(t.node).xb.relax(anneal)

    program = inference_program(job.compiled, job.x_codes[:0] if batched else job.x_codes,
                                progress=progress, after_program=relax if anneal else None)
    result = asyncio.run(program(drv))
    if batched:
        result["logits"] = batch_infer(backend.model, job.compiled, job.x_codes).logits.tolist()
    for bar in bars:
        bar.close()
    return result, backend.model


def accuracy(logits, y):
    return float(np.mean(np.argmax(np.asarray(logits), axis=1) == y))


def with_device(cfg, **fields):
    return dataclasses.replace(cfg, device=dataclasses.replace(cfg.device, **fields))


def model_cycles(compiled):
    """The spec's cycle model of the layer pipeline: latency = sum of the layers' MVM
    latencies, throughput bound = the slowest layer (network and host time not included)."""
    per_layer = []
    for lp in compiled.layers:
        t = lp.all_tiles()
        per_layer.append(max(mvm_latency(compiled.cfg, lp.in_bits, u.desc[TileField.OUT_COUNT])
                             for u in t))
    return sum(per_layer), max(per_layer), per_layer


def noise_aware_rows(args, cfg):
    """The noise-aware model (``sw/models/digits_mlp_noise_aware.onnx``, weight noise in
    training as NeuRRAM did) on the same chip: default variability, after the anneal, 1 %
    stuck (batched golden model). Empty for a user's own ``--model``."""
    if Path(args.model).resolve() != DEFAULT_MODEL.resolve():
        return {}
    job = prepare(NOISE_AWARE_MODEL, cfg, args.images)
    name = "noise-aware training"
    out = {f"{name}: float": float(np.mean(job.network.predict(job.split.x_test[:len(job.y)])
                                          == job.y)),
           f"{name}: quantized ideal": accuracy(ideal_forward(job.compiled, job.x_codes)[-1],
                                                job.y)}
    for label, c, anneal in (("chip, default variability", cfg, 0),
                             ("chip, 1 % stuck cells", with_device(cfg, stuck_rate_q14=164), 0),
                             (f"chip, after an anneal (relax {ANNEAL_STRENGTH})", cfg,
                              ANNEAL_STRENGTH)):
        r, _ = golden_run(job, c, f"noise-aware, {label}", anneal=anneal, batched=True)
        out[f"{name}: {label}"] = accuracy(r["logits"], job.y)
    return out


class RtlRun(threading.Thread):
    """The RTL part in cocotb (by default ``tb/demo_network.py`` on block ``chip``), in the
    background while the golden model works: the simulator's output goes to
    ``build/reports/demo_rtl.log``, and :meth:`wait` shows a progress bar read from it (its
    ``RTL: k / n images`` lines). ``scripts/bench_rtl.py`` runs its images through it too,
    with its own ``out`` and ``log``, the power-on ``loads`` and ``who`` naming it in a
    failure."""

    def __init__(self, cfg, sim, model_path, images, n, block="chip",
                 module="tb.demo_network", testcase="demo", params=None, out=None,
                 log=None, loads=None, who="demo"):
        super().__init__(daemon=True)
        self.cfg, self.sim, self.model, self.images, self.n = cfg, sim, model_path, images, n
        self.out = Path(out) if out else REPORTS / "demo_rtl.json"
        self.log = Path(log) if log else REPORTS / "demo_rtl.log"
        self.block, self.module, self.testcase = block, module, testcase
        self.params = params if params is not None else {
            "model": str(model_path), "images": images, "out": str(self.out)}
        self.loads, self.who = loads, who
        self.error = None
        self.seconds = None

    def run(self):
        from tb.harness import run_cocotb

        # A long run: the model's C++ at -O1 (a longer build, about 7x the cycles/s of the
        # regression's -O0) unless the environment says otherwise.
        os.environ.setdefault("VERILATOR_CXX_OPT", "-O1")
        t0 = time.monotonic()
        try:
            run_cocotb(self.block, self.cfg, self.module, self.testcase, self.sim,
                       params=self.params, log_file=self.log, loads=self.loads)
        except Exception as e:         # reported by wait(), in the main thread
            self.error = e
        self.seconds = time.monotonic() - t0

    def start(self):
        self.out.unlink(missing_ok=True)
        self.log.unlink(missing_ok=True)
        super().start()

    def _done(self):
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        done = re.findall(r"RTL: (\d+) / \d+ images", text)
        last = re.findall(r"RTL: ([^\n]{0,60})", text)
        return (int(done[-1]) if done else 0), (last[-1] if last else "")

    def wait(self):
        from tqdm import tqdm

        with tqdm(total=self.n, desc=f"RTL ({self.sim})", unit="img", file=sys.stderr) as bar:
            while self.is_alive():
                self.join(2)
                done, last = self._done()
                bar.update(done - bar.n)
                bar.set_postfix_str(last, refresh=False)
        if self.error or not self.out.exists():
            sys.exit(f"[{self.who}] the {self.sim} run failed ({self.error}); "
                     f"its log: {self.log}")
        return json.loads(self.out.read_text())


#: Cycles between two reads of the firmware's mailbox by the testbench (each read takes
#: the chip's host port from the core for one transfer).
FW_POLL_CYCLES = 20_000


def firmware_rtl_job(job, cfg, sim, model_path, images):
    """The firmware on block ``soc`` (``tb/test_firmware_soc.py``'s ``cocotb_firmware``):
    build it for the core with the configuration's program memory (``cfg.cpu.ram_bytes``),
    and return the background run and the build (its size)."""
    from sw.firmware import batch_images, build_or1k, build_table, c_table

    c = job.compiled
    out = ROOT / "build" / "fw" / f"demo-{cfg.name}" / f"rtl-{sim}"
    source = c_table(build_table(c), f"{Path(model_path).name} on {cfg.name}")
    try:
        fw = build_or1k(source, out / "or1k", cfg.cpu.ram_bytes)
    except ValueError as e:
        sys.exit(f"error: {e}")
    result = REPORTS / "demo_rtl_firmware.json"
    params = {"bin": str(fw.elf.with_suffix(".bin")), "weights": "PROGRAM",
              "table": str(out / "or1k" / "net_table.c"),
              # Its own directory: the golden part builds the native firmware meanwhile.
              "native": str(out / "native"), "result": str(result),
              "job": {"model": str(model_path), "images": len(job.y)},
              "batch": batch_images(c), "poll_cycles": FW_POLL_CYCLES}
    run = RtlRun(cfg, sim, model_path, images, len(job.y), block="soc",
                 module="tb.test_firmware_soc", testcase="cocotb_firmware", params=params,
                 out=result)
    return run, fw


def firmware_rtl_report(rtl, gold, y, fw, sim, seconds):
    """The firmware's RTL run against the golden model's host-driven run (``gold``): every
    logit, class and programming report; its report and table lines."""
    f, h = rtl["firmware"], rtl["host"]
    g = np.asarray(gold["logits"])
    logits_equal = f["logits"] == gold["logits"]
    classes_equal = f["classes"] == np.argmax(g, axis=1).tolist()
    host_equal = h["logits"] == gold["logits"]
    key = ("node", "pulses", "failures", "cycles")
    program_equal = ([tuple(r[k] for k in key) for r in f["reports"]]
                     == [tuple(p[k] for k in key) for p in gold["program"]])
    first = [i for i, (a, b) in enumerate(zip(f["logits"], gold["logits"], strict=True))
             if a != b][:5]
    report = {"sim": sim, "images": rtl["images"], "batch": rtl["batch"],
              "runs": len(f["runs"]), "accuracy": accuracy(f["logits"], y),
              "logits_equal": logits_equal, "classes_equal": classes_equal,
              "host_logits_equal": host_equal, "program_equal": program_equal,
              "first_different_images": first,
              "firmware_cycles_per_image": f["cycles_per_image"],
              "host_cycles_per_image": h["cycles_per_image"],
              "setup_cycles": f["setup_cycles"],
              "setup_cycles_per_run": [r["setup_cycles"] for r in f["runs"]],
              "release_to_done": [r["release_to_done"] for r in f["runs"]],
              "or1k_size": fw.size, "image_bytes": len(fw.image),
              "ram_bytes": rtl.get("ram_bytes"),
              "seconds": {**rtl["seconds"], "whole": round(seconds, 1)}}

    def eq(ok):
        return "equal" if ok else "DIFFERENT"

    n, runs = rtl["images"], len(f["runs"])
    other = seconds - rtl["seconds"]["rtl"] - rtl["seconds"]["golden"]
    lines = [
        f"| firmware on the RTL ({sim}, block `soc`): accuracy, {n} images | "
        f"{100 * report['accuracy']:.2f} % |",
        f"| firmware (RTL) vs golden: every logit / class / programming report | "
        f"{eq(logits_equal)} / {eq(classes_equal)} / {eq(program_equal)} |",
        f"| host driver (RTL, same SoC) vs golden: every logit | {eq(host_equal)} |",
        f"| firmware (RTL): cycles per image ({runs} run(s) of at most {rtl['batch']}) | "
        f"{f['cycles_per_image']:.0f} |",
        f"| host driver (RTL, same chip): cycles per image | {h['cycles_per_image']:.0f} |",
        f"| firmware (RTL): setup cycles, weights by the write-verify engine + configure | "
        f"{f['setup_cycles']} |",
        f"| firmware (RTL): setup cycles of each later run (configure) | "
        f"{', '.join(str(r['setup_cycles']) for r in f['runs'][1:]) or '-'} |",
        f"| firmware for the core: text / data / bss (or1k-elf-size), program memory | "
        f"{fw.size['text']} / {fw.size['data']} / {fw.size['bss']} bytes, "
        f"{rtl.get('ram_bytes', 0) // 1024} KiB |",
        f"| firmware RTL run: wall time (Verilog, build, start / simulation / golden "
        f"replay) | {seconds:.0f} s ({other:.0f} / {rtl['seconds']['rtl']:.0f} / "
        f"{rtl['seconds']['golden']:.0f} s) |",
    ]
    return report, lines


def sweep(job, cfg):
    """Accuracy against the device's cycle-to-cycle and device-to-device spreads (scaled
    together) and against the stuck-cell rate, on the golden model."""
    base = {f: getattr(cfg.device, f) for f in NOISE_FIELDS}
    noise = []
    for scale in (0, 1, 2, 4, 6):
        c = with_device(cfg, **{f: min(64, v * scale) for f, v in base.items()})
        r, _ = golden_run(job, c, f"spread x{scale}", batched=True)
        noise.append((scale, accuracy(r["logits"], job.y)))
    stuck = []
    for pct in (0, 1, 2, 5, 10):
        c = with_device(cfg, stuck_rate_q14=round(pct / 100 * 16384))
        r, _ = golden_run(job, c, f"stuck {pct} %", batched=True)
        stuck.append((pct, accuracy(r["logits"], job.y)))
    # MVM read noise (device.mvm_read_noise, off in the presets): per MVM, bit-plane and
    # column pair, keyed by the crossbar's MVM count, so a batch cannot reproduce it and the
    # images run through the driver.
    read = []
    for level in READ_NOISE_LEVELS:
        c = with_device(cfg, mvm_read_noise=level)
        r, _ = golden_run(job, c, f"read noise {level}", batched=level == 0)
        read.append((level, accuracy(r["logits"], job.y)))
    return noise, stuck, read


def plots(job, logits, noise, stuck, read, ideal_acc):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, ax = plt.subplots(figsize=(5.5, 5))
    ConfusionMatrixDisplay.from_predictions(job.y, np.argmax(np.asarray(logits), 1), ax=ax,
                                            colorbar=False)
    ax.set_title(f"digits on the chip (golden model), {accuracy(logits, job.y):.1%}")
    fig.tight_layout()
    fig.savefig(REPORTS / "demo_confusion.png", dpi=120)
    plt.close(fig)

    if not noise:
        return
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
    a1.plot([s for s, _ in noise], [100 * a for _, a in noise], "o-")
    a1.set_xlabel("device spreads (x default)")
    a1.set_ylabel("test accuracy (%)")
    a2.plot([p for p, _ in stuck], [100 * a for _, a in stuck], "o-", color="C3")
    a2.set_xlabel("stuck cells (%)")
    a3.plot([v for v, _ in read], [100 * a for _, a in read], "o-", color="C2")
    a3.set_xlabel("MVM read noise: mvm_read_noise (sigma 0.58 x it, uS)")
    for a in (a1, a2, a3):
        a.axhline(100 * ideal_acc, color="gray", ls="--", lw=1, label="quantized ideal")
        a.grid(alpha=0.3)
    a1.legend(loc="lower left")
    fig.suptitle("Accuracy against variability (golden model, M-ISPVA programming)")
    fig.tight_layout()
    fig.savefig(REPORTS / "demo_variability.png", dpi=120)
    plt.close(fig)


def firmware_run(job, cfg, gold):
    """The firmware on the golden model (natively built, weights through the write-verify
    engine, images in SRAM-sized batches): its report, table lines, and whether every
    logit equals the host driver's (``gold``)."""
    import shutil

    from sim.chip import ChipModel
    from sw.firmware import build_or1k, build_table, c_table, run_native

    c = job.compiled
    n = len(job.y)
    out = ROOT / "build" / "fw" / f"demo-{cfg.name}"
    t0 = time.monotonic()
    run = run_native(c, job.x_codes, ChipModel(cfg), out / "native", timeout=1 << 16)
    seconds = time.monotonic() - t0
    if run.logits is None:
        sys.exit(f"[demo] the firmware stopped: {run.error.name}, detail "
                 f"0x{run.detail[0]:x} 0x{run.detail[1]:x}")
    equal = run.logits.tolist() == gold["logits"]
    program_equal = [(r["node"], r["pulses"], r["failures"], r["cycles"])
                     for r in run.reports] == [(p["node"], p["pulses"], p["failures"],
                                                p["cycles"]) for p in gold["program"]]
    # Bus accesses per image: a second run of the images alone (weights already in).
    from sw.firmware import Weights

    again = run_native(c, job.x_codes, ChipModel(cfg), out / "native",
                       weights=Weights.BACKDOOR, timeout=1 << 16)
    base = run_native(c, job.x_codes[:0], ChipModel(cfg), out / "native",
                      weights=Weights.BACKDOOR, timeout=1 << 16)
    per_image = (again.reads + again.writes - base.reads - base.writes) / max(n, 1)
    report = {"logits_equal": equal, "program_equal": program_equal,
              "accuracy": accuracy(run.logits, job.y), "seconds": round(seconds, 1),
              "bus_accesses_per_image": per_image}
    lines = [f"| firmware (golden model): accuracy | {100 * report['accuracy']:.2f} % |",
             f"| firmware vs host driver: every logit / programming report | "
             f"{'equal' if equal else 'DIFFERENT'} / "
             f"{'equal' if program_equal else 'DIFFERENT'} |",
             f"| firmware: bus accesses per image (golden model) | {per_image:.0f} |"]
    if shutil.which("or1k-elf-gcc"):
        size = build_or1k(c_table(build_table(c)), out / "or1k", cfg.cpu.ram_bytes).size
        report["or1k_size"] = size
        lines.append(f"| firmware size, or1k-elf-gcc -O2 (text incl. table / bss) | "
                     f"{size['text']} / {size['bss']} bytes |")
    return report, lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="default")
    ap.add_argument("--sim", default="verilator", choices=["verilator", "icarus", "golden"])
    ap.add_argument("--images", type=int, default=None, help="test images (default: all 360)")
    ap.add_argument("--model", default=str(DEFAULT_MODEL), help="ONNX file of the network")
    ap.add_argument("--no-sweep", action="store_true", help="skip the variability sweep")
    ap.add_argument("--driver", default="host", choices=["host", "firmware"],
                    help="firmware: also run the on-chip firmware (sw/fw/infer, "
                         "docs/firmware.md) on the golden model, and on the RTL (block soc) "
                         "instead of the host driver program")
    args = ap.parse_args(argv)
    try:
        cfg = preset(args.config)
    except ConfigError as e:
        sys.exit(f"error: {e}")
    REPORTS.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    job = prepare(args.model, cfg, args.images)
    c = job.compiled
    n = len(job.y)
    print(f"[demo] {Path(args.model).name} on {cfg.name}, {n} test images")
    print("[demo] " + c.summary().replace("\n", "\n[demo] "))
    float_acc = float(np.mean(job.network.predict(job.split.x_test[:n]) == job.y))
    ideal_acc = accuracy(ideal_forward(c, job.x_codes)[-1], job.y)

    rtl_job = fw_rtl = None
    if args.sim != "golden" and args.driver == "firmware":
        rtl_job, fw_rtl = firmware_rtl_job(job, cfg, args.sim, args.model, args.images)
        print(f"[demo] firmware on the RTL ({args.sim}, block soc, {cfg.cpu.ram_bytes // 1024}"
              f" KiB program memory) in the background: generate, build (first time: "
              f"10-15 minutes on Verilator), program the weights from the core, run {n} "
              f"images in runs of {rtl_job.params['batch']}, then the host driver; log in "
              f"build/reports/demo_rtl.log", flush=True)
        if args.sim == "icarus":
            print("[demo] warning: Icarus simulates about 100 cycles/s; the firmware's "
                  "write-verify programming alone is about 10^6 cycles (hours), and each "
                  "image tens of thousands: prefer --sim verilator", flush=True)
        rtl_job.start()
    elif args.sim != "golden":
        print(f"[demo] RTL on {args.sim} in the background: generate, build (first time: "
              f"minutes), program, run {n} images; log in build/reports/demo_rtl.log",
              flush=True)
        rtl_job = RtlRun(cfg, args.sim, args.model, args.images, n)
        rtl_job.start()
    gold, _ = golden_run(job, cfg, "golden")
    gold_acc = accuracy(gold["logits"], job.y)
    stuck1, _ = golden_run(job, with_device(cfg, stuck_rate_q14=164), "1 % stuck",
                           batched=True)
    annealed, _ = golden_run(job, cfg, "annealed", anneal=ANNEAL_STRENGTH, batched=True)
    rows = {
        "float": float_acc,
        "quantized ideal": ideal_acc,
        "chip, default variability": gold_acc,
        "chip, 1 % stuck cells": accuracy(stuck1["logits"], job.y),
        f"chip, after an anneal (relax {ANNEAL_STRENGTH})": accuracy(annealed["logits"], job.y),
    }
    aware = noise_aware_rows(args, cfg)
    rows.update(aware)
    energy, energy_lines = energy_rows(c, None, gold["counters"], job.x_codes, gold["program"])
    latency, bottleneck, per_layer = model_cycles(c)
    report = {
        "config": cfg.name, "model": Path(args.model).name, "images": n,
        "accuracy": rows, "pipelined": gold["pipelined"], "window": gold["window"],
        "program": gold["program"],
        "cycles_model": {"latency": latency, "per_image_bound": bottleneck,
                         "per_layer_mvm": per_layer},
        "energy": energy,
    }
    noise, stuck, read = ([], [], []) if args.no_sweep else sweep(job, cfg)
    report["sweep"] = {"spread_scale": noise, "stuck_percent": stuck, "mvm_read_noise": read}
    plots(job, gold["logits"], noise, stuck, read, ideal_acc)
    rtl = None
    fw_rtl_lines = []
    if rtl_job and fw_rtl:
        out = rtl_job.wait()
        out["ram_bytes"] = cfg.cpu.ram_bytes
        report["rtl_firmware"], fw_rtl_lines = firmware_rtl_report(
            out, gold, job.y, fw_rtl, args.sim, rtl_job.seconds)
    elif rtl_job:
        rtl = rtl_job.wait()
        agree = rtl["logits"] == gold["logits"]
        same_program = rtl["program"] == gold["program"]
        report["rtl"] = {"sim": args.sim, "cycles": rtl["cycles"], "seconds": rtl["seconds"],
                         "images_per_s": rtl.get("images_per_s"),
                         "logits_equal": agree, "program_equal": same_program}

    fw_lines = []
    if args.driver == "firmware":
        report["firmware"], fw_lines = firmware_run(job, cfg, gold)
    lines = [f"| {k} | {100 * v:.2f} % |" for k, v in rows.items()]
    prog = gold["program"]
    per_tile = ", ".join(f"{p['layer']}: {p['pulses']} pulses, {p['failures']} failed"
                         for p in prog)
    lines += [
        f"| programming: pulses / failed cells | {sum(p['pulses'] for p in prog)} / "
        f"{sum(p['failures'] for p in prog)} ({per_tile}) |",
        f"| programming: tile busy cycles | {sum(p['cycles'] for p in prog)} |",
        f"| MVM cycles per layer (spec) | {per_layer} |",
    ]
    if rtl:
        cy = rtl["cycles"]
        per_image = "-" if cy["per_image"] is None else f"{cy['per_image']:.1f}"
        lines += [
            f"| RTL latency, one image (cycles) | {cy['latency']:.0f} |",
            f"| RTL throughput, back to back (cycles / image) | {per_image} |",
            f"| RTL simulation ({args.sim}): images / s of wall time | "
            f"{report['rtl']['images_per_s'] or 0:.2f} |",
            f"| RTL vs golden: every logit of every image | "
            f"{'equal' if report['rtl']['logits_equal'] else 'DIFFERENT'} |",
        ]
    lines += fw_lines + fw_rtl_lines
    lines.append(f"| energy per inference / per MAC (estimate, `docs/energy.md`) | "
                 f"{energy['energy_per_inference_nj']:.2f} nJ / "
                 f"{energy['energy_per_mac_fj']:.0f} fJ |")
    table = "| figure | value |\n|---|---|\n" + "\n".join(lines)
    print(table)
    print("\n".join(energy_lines))
    report["seconds"] = round(time.monotonic() - t0, 1)
    (REPORTS / "demo.json").write_text(json.dumps(report, indent=2) + "\n")
    (REPORTS / "demo.md").write_text(
        f"# Demo: {report['model']} on `{cfg.name}`\n\n{n} test images of the digits split.\n\n"
        f"{table}\n\n" + "\n".join(energy_lines) + "\n\n![confusion](demo_confusion.png)\n"
        + ("![variability](demo_variability.png)\n" if noise else ""))
    print(f"[demo] wrote build/reports/demo.json, demo.md and plots in {report['seconds']} s")
    if rtl and not (report["rtl"]["logits_equal"] and report["rtl"]["program_equal"]):
        sys.exit("[demo] the RTL and the golden model disagree")
    fw = report.get("firmware")
    if fw and not (fw["logits_equal"] and fw["program_equal"]):
        sys.exit("[demo] the firmware and the host driver disagree")
    fr = report.get("rtl_firmware")
    if fr and not all(fr[k] for k in ("logits_equal", "classes_equal", "host_logits_equal",
                                      "program_equal")):
        sys.exit(f"[demo] the firmware on the RTL and the golden model disagree (images "
                 f"{fr['first_different_images']}...)")


if __name__ == "__main__":
    main()
