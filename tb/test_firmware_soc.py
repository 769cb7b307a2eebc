# amaranth: UnusedElaboratable=no
"""The on-chip firmware on the RTL: block ``soc`` (the OpenRISC core, its program memory
and the whole chip, ``hdl/soc.py``) on ``chip-small``, Icarus and Verilator.

One cocotb test, :func:`cocotb_firmware`, through the SoC's external Wishbone port:

1. **firmware**: the firmware (``sw/fw/infer``, built with ``or1k-elf-gcc -O2`` and the
   SoC's crt0) written into the program memory through ``EXT_CPU_MEM`` while the core is
   held in reset, the images and the mailbox into the activation SRAM, the core released
   (``EXT_CPU_CTRL.RUN``); the test waits for the mailbox's STATUS (read every few
   thousand cycles). Weights (parameter): PROGRAM (the write-verify engine, on the chip as
   it powers on), BACKDOOR (LOAD_CELL), PRELOADED (the host loads them first);
2. **host driver**: then ``sw.runtime.Runtime`` runs the same images on the same chip
   through the same port, timed, for the cycle comparison.

The golden model goes through the same history with the firmware built natively
(``sw.firmware.NativeFirmware``), so every SRAM word the firmware wrote (status, classes,
clips, logits, programming reports) must be equal; the chip cycle counts it measured are
reported (the golden model has none). The logits are also compared with the host driver's,
the programming reports with ``Runtime.program``'s on a fresh model, and, with back-door
weights, the logits with the compiler's arithmetic.
"""

import json
from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles

from hdl.spec.host import BusCause
from hdl.spec.or1k import EXT_CPU_CTRL, EXT_CPU_MEM, CpuCtrl
from sim import regs
from sim.driver import Driver, ModelBackend
from sw.compiler import compile_network, ideal_forward
from sw.firmware import (
    MAILBOX_WORDS,
    FwError,
    FwStatus,
    Mailbox,
    NativeFirmware,
    Weights,
    build_or1k,
    build_table,
    c_table,
    mailbox_layout,
    mailbox_words,
    read_mailbox,
)
from sw.network import random_network
from sw.runtime import Runtime
from tb.bus import ClockedTB
from tb.configs import config as config_named
from tb.harness import run_cocotb, simulators, test_param

ROOT = Path(__file__).resolve().parent.parent
#: The network: 16 inputs, 8 hidden (tile to tile, NI_EXPECT), 4 outputs; 3 images.
SIZES = (16, 8, 4)
IMAGES = 3
SEED = 5
#: IRQ_STATUS polls per wait on the RTL (a write-verify run of a tile is the longest).
POLLS = 1 << 20
#: Cycles between two reads of the mailbox's STATUS, and the most the test waits.
POLL_CYCLES = 2000
MAX_CYCLES = 20_000_000


def job(cfg):
    """The compiled network and the images (deterministic: the runner and the cocotb test
    rebuild the same)."""
    rng = np.random.default_rng(SEED)
    net = random_network(rng, list(SIZES), bias_sigma=0.2)
    compiled = compile_network(net, cfg, rng.uniform(0, 1, (256, SIZES[0])))
    x = rng.integers(0, 1 << cfg.input_bits, (IMAGES, SIZES[0]))
    return compiled, x


def job_from(cfg, spec):
    """The job a run names: ``None`` the random network above, ``{"model": path, "images":
    n}`` a network from ONNX on the digits' test images (``sw.job.prepare``, the demo's
    job, ``scripts/demo.py``)."""
    if spec is None:
        return job(cfg)
    from sw.job import prepare

    j = prepare(spec["model"], cfg, spec["images"])
    return j.compiled, j.x_codes


def batches(n, per):
    """``[(first, count), ...]``: ``n`` images in runs of at most ``per`` (what the SRAM
    holds beside the mailbox, ``sw.firmware.batch_images``); one run when ``n`` is 0."""
    if per < 1:
        raise ValueError(f"batch = {per}: the activation SRAM holds no image")
    return [(k, min(per, n - k)) for k in range(0, n, per)] or [(0, 0)]


def golden(compiled, x, weights, table_source, build_dir, per):
    """The same history on the golden model: (PRELOADED: the back-door load), the firmware
    built natively, once per batch (the first with ``weights``, the others PRELOADED, as
    the RTL run), then the host driver's images. Returns the SRAM after each batch, the
    host's logits and clips, and (PROGRAM) ``Runtime.program``'s reports on a fresh
    model."""
    import asyncio

    cfg = compiled.cfg
    backend = ModelBackend(cfg)
    drv = Driver(backend, cfg)
    model = backend.model
    if weights == Weights.PRELOADED:
        asyncio.run(drv.open())
        asyncio.run(Runtime(drv, compiled).load())
    fw = NativeFirmware(table_source, build_dir)
    srams = []
    for b, (k, count) in enumerate(batches(len(x), per)):
        layout = mailbox_layout(compiled, count)
        for i, v in mailbox_words(layout, x[k:k + count], weights if b == 0
                                  else Weights.PRELOADED, POLLS).items():
            assert model.write(regs.ASRAM_BASE + 4 * i, v)
        fw.run(model)
        srams.append(list(model.asram))

    async def host(d):
        rt = Runtime(d, compiled)
        await d.open()
        await rt.configure()
        return await rt.infer(x)

    result = asyncio.run(host(drv))
    fresh = []
    if weights == Weights.PROGRAM:
        async def program(d):
            await d.open()
            return await Runtime(d, compiled).program()

        fresh = asyncio.run(program(Driver(ModelBackend(cfg), cfg)))
    return srams, result, fresh


async def _started(dut):
    """The SoC out of reset with its external port idle (the core held: RUN = 0)."""
    tb = ClockedTB(dut)
    for s in ("wb_cyc", "wb_stb", "wb_we", "wb_adr", "wb_sel", "wb_dat_w"):
        getattr(dut, s).value = 0
    await tb.reset()
    return tb


def _image_words():
    """The firmware image (parameter ``bin``) as big-endian program-memory words."""
    image = Path(test_param("bin")).read_bytes()
    return [int.from_bytes(image[i:i + 4].ljust(4, b"\0"), "big")
            for i in range(0, len(image), 4)]


@cocotb.test()
async def cocotb_firmware(dut):
    """The firmware, then the host driver, on one SoC; both against the golden model.

    Parameters (``run_cocotb(params=...)``): ``bin``, ``table``, ``native``, ``result``,
    ``weights`` (a :class:`Weights` name); optional ``job`` (:func:`job_from`; default the
    random 16-8-4 network), ``batch`` (images per firmware run, default all in one),
    ``poll_cycles`` (between two reads of STATUS), ``max_cycles`` (per run).

    Progress goes to the log (``RTL: k / n images``, read by ``scripts/demo.py``)."""
    import time

    from cocotb.triggers import RisingEdge, Timer

    from tb.wb_backend import RtlBackend

    tb = await _started(dut)
    cfg = tb.cfg
    weights = Weights[test_param("weights")]
    compiled, x = job_from(cfg, test_param("job", None))
    n = len(x)
    per = test_param("batch", max(n, 1))
    poll = test_param("poll_cycles", POLL_CYCLES)
    max_cycles = test_param("max_cycles", MAX_CYCLES)
    drv = Driver(RtlBackend(dut, cfg, pipelined=False, irq_timeout=5_000_000), cfg)
    period = tb.PERIOD_NS
    wall0 = time.monotonic()

    def cycle():
        return round(get_sim_time("ns") / period)

    # 1. The firmware, on the chip as it powers on (PRELOADED: the host loads the weights
    # by the back door first).
    assert await drv.read(EXT_CPU_CTRL) == 0, "the core runs before it is released"
    if weights == Weights.PRELOADED:
        await drv.open()
        await Runtime(drv, compiled).load()
    words = _image_words()
    runs, srams, layouts, run_cycles = [], [], [], []
    for b, (k, count) in enumerate(batches(n, per)):
        # Every run from a fresh image, written while the core is held in reset: the
        # previous run's stores (its .data, if any) must not reach this one; crt0 clears
        # .bss and sets the stack itself.
        await drv.write(EXT_CPU_CTRL, 0)
        for i, w in enumerate(words):
            await drv.write(EXT_CPU_MEM + 4 * i, w)
        assert await drv.read(EXT_CPU_MEM + 4 * 0x40) == words[0x40]
        layout = mailbox_layout(compiled, count)
        flags = weights if b == 0 else Weights.PRELOADED
        for i, v in mailbox_words(layout, x[k:k + count], flags, POLLS).items():
            await drv.write(regs.ASRAM_BASE + 4 * i, v)
        dut._log.info("RTL: firmware run %d (%s, images %d..%d) released at cycle %d "
                      "(%.0f s)", b, flags.name, k, k + count - 1, cycle(),
                      time.monotonic() - wall0)
        await drv.write(EXT_CPU_CTRL, 1 << CpuCtrl.RUN)
        t0 = cycle()
        status, done, polls = FwStatus.IDLE, -1, 0
        while cycle() - t0 < max_cycles:
            # A timer, not ClockCycles: no Python callback per clock edge while the core
            # runs; each read of the mailbox takes the chip's host port for one transfer.
            await Timer(poll * period, "ns")
            await RisingEdge(dut.clk)
            status = FwStatus(await drv.read(regs.ASRAM_BASE + 4 * Mailbox.STATUS))
            progress = await drv.read(regs.ASRAM_BASE + 4 * Mailbox.PROGRESS)
            polls += 1
            # A line per image done, and one every 500 000 cycles meanwhile (programming).
            if progress != done or polls % max(1, 500_000 // poll) == 0:
                done = progress
                dut._log.info("RTL: %d / %d images (firmware, %d cycles into run %d, "
                              "%.0f s)", k + progress, n, cycle() - t0, b,
                              time.monotonic() - wall0)
            if status in (FwStatus.DONE, FwStatus.ERROR):
                break
        run_cycles.append(cycle() - t0)
        sram = [await drv.read(regs.ASRAM_BASE + 4 * i) for i in range(layout.end)]
        run = read_mailbox(lambda i, s=sram: s[i], compiled, layout)
        assert run.status == FwStatus.DONE, \
            f"firmware run {b}: {run.status.name}, {run.error.name}, detail {run.detail} " \
            f"after {run_cycles[-1]} cycles (progress {run.progress})"
        runs.append(run)
        srams.append(sram)
        layouts.append(layout)
    fw_logits = np.concatenate([r.logits for r in runs])
    fw_classes = np.concatenate([r.classes for r in runs])
    fw_clips = np.concatenate([r.clips for r in runs])

    # 2. The host driver on the same chip (the core parked at _exit): the images, timed.
    dut._log.info("RTL: host driver, %d images (%.0f s)", n, time.monotonic() - wall0)
    rt = Runtime(drv, compiled)
    await drv.open()
    await rt.configure()
    t0 = cycle()
    host_done = [0]

    def step(k):
        host_done[0] += k
        if host_done[0] % 10 == 0 or host_done[0] == n:
            dut._log.info("RTL: host driver, %d / %d images done (%.0f s)", host_done[0], n,
                          time.monotonic() - wall0)

    logits_h, clips_h = await rt.infer(x, step)
    host_cycles = cycle() - t0
    wall_rtl = time.monotonic() - wall0

    # The golden model through the same history: every SRAM word the firmware wrote but
    # the cycle counts, and the host's results after it.
    gsrams, (logits_g, clips_g), fresh = golden(
        compiled, x, weights, Path(test_param("table")).read_text(),
        Path(test_param("native")), per)
    cyc = {Mailbox.CYCLES_SETUP, Mailbox.CYCLES_IMAGES}
    for b, (sram, gsram, layout) in enumerate(zip(srams, gsrams, layouts, strict=True)):
        for i in range(layout.end):
            if i not in cyc:
                assert sram[i] == gsram[i], f"run {b}, SRAM word {i}: RTL 0x{sram[i]:08x}, " \
                                            f"golden 0x{gsram[i]:08x}"
    assert np.array_equal(logits_h, logits_g) and np.array_equal(clips_h, clips_g)
    assert np.array_equal(fw_logits, logits_h), f"firmware {fw_logits}, host {logits_h}"
    assert np.array_equal(fw_clips, clips_h)
    assert np.array_equal(fw_classes, np.argmax(logits_h, axis=1))
    reports = runs[0].reports
    if weights == Weights.PROGRAM:
        # The programming reports equal Runtime.program's on a fresh golden model.
        got = [(r["node"], r["pulses"], r["failures"], r["cycles"]) for r in reports]
        assert got == [(r.node, r.pulses, r.failures, r.cycles) for r in fresh], (got, fresh)
        assert all(r["pulses"] > 0 for r in reports)
    else:
        assert np.array_equal(fw_logits, ideal_forward(compiled, x)[-1])
    image_cycles = sum(r.cycles[1] for r in runs)
    result = {"weights": weights.name, "images": n, "batch": per,
              "host": {"cycles": host_cycles, "cycles_per_image": host_cycles / max(n, 1),
                       "logits": logits_h.tolist()},
              "firmware": {"setup_cycles": runs[0].cycles[0],
                           "image_cycles": image_cycles,
                           "cycles_per_image": image_cycles / max(n, 1),
                           "runs": [{"images": lay.images, "setup_cycles": r.cycles[0],
                                     "image_cycles": r.cycles[1], "release_to_done": c}
                                    for r, lay, c in zip(runs, layouts, run_cycles,
                                                         strict=True)],
                           "release_to_done": run_cycles[0],
                           "image_bytes": Path(test_param("bin")).stat().st_size,
                           "logits": fw_logits.tolist(), "classes": fw_classes.tolist(),
                           "clips": fw_clips.tolist(),
                           "reports": [{k: v for k, v in r.items() if k != "node_ok"}
                                       for r in reports]},
              "seconds": {"rtl": round(wall_rtl, 1),
                          "golden": round(time.monotonic() - wall0 - wall_rtl, 1)}}
    Path(test_param("result")).write_text(json.dumps(result, indent=1))
    dut._log.info("firmware vs host driver: setup %d cycles, %.0f vs %.0f cycles per image, "
                  "%d runs, every logit equal", runs[0].cycles[0], image_cycles / max(n, 1),
                  host_cycles / max(n, 1), len(runs))


@cocotb.test()
async def cocotb_bus_error(dut):
    """A table claiming longer packets than the chip takes: the core's first oversized head
    ends with ERR (BAD_HEAD), the bus-error exception (``or1k_exception``) reports it in
    the mailbox; the same words as the native firmware on the golden model, which finds
    the error log's entry by polling."""
    from tb.wb_backend import RtlBackend

    tb = await _started(dut)
    cfg = tb.cfg
    compiled, x = job(cfg)
    drv = Driver(RtlBackend(dut, cfg, pipelined=False), cfg)
    for i, w in enumerate(_image_words()):
        await drv.write(EXT_CPU_MEM + 4 * i, w)
    layout = mailbox_layout(compiled, len(x))
    for i, v in mailbox_words(layout, x, Weights.PRELOADED, POLLS).items():
        await drv.write(regs.ASRAM_BASE + 4 * i, v)
    await drv.write(EXT_CPU_CTRL, 1 << CpuCtrl.RUN)
    for _ in range(MAX_CYCLES // POLL_CYCLES):
        await ClockCycles(dut.clk, POLL_CYCLES)
        if await drv.read(regs.ASRAM_BASE + 4 * Mailbox.STATUS) in (FwStatus.DONE,
                                                                    FwStatus.ERROR):
            break
    sram = [await drv.read(regs.ASRAM_BASE + 4 * i) for i in range(MAILBOX_WORDS)]
    run = read_mailbox(lambda i: sram[i], compiled, layout)
    assert run.status == FwStatus.ERROR and run.error == FwError.BUS, run
    assert run.detail[0] & 0xF == BusCause.BAD_HEAD and run.detail[1] == regs.CMD_DATA, run
    model = ModelBackend(cfg).model
    for i, v in mailbox_words(layout, x, Weights.PRELOADED, POLLS).items():
        assert model.write(regs.ASRAM_BASE + 4 * i, v)
    NativeFirmware(Path(test_param("table")).read_text(), Path(test_param("native"))).run(model)
    assert sram == model.asram[:len(sram)], f"RTL {sram}\ngolden {model.asram[:len(sram)]}"


@cocotb.test()
async def cocotb_profile(dut):
    """Where the core's cycles go: the firmware with PRELOADED weights, every retired
    instruction's PC and cycle, summed per function (``nm``), written to ``result``."""
    from cocotb.triggers import First, ReadOnly, RisingEdge

    from tb.wb_backend import RtlBackend

    tb = await _started(dut)
    cfg = tb.cfg
    compiled, x = job(cfg)
    drv = Driver(RtlBackend(dut, cfg, pipelined=False), cfg)
    await drv.open()
    await Runtime(drv, compiled).load()
    for i, w in enumerate(_image_words()):
        await drv.write(EXT_CPU_MEM + 4 * i, w)
    layout = mailbox_layout(compiled, len(x))
    for i, v in mailbox_words(layout, x, Weights.PRELOADED, POLLS).items():
        await drv.write(regs.ASRAM_BASE + 4 * i, v)
    funcs = sorted((a, n) for n, a in test_param("symbols").items())
    end = test_param("end")
    trace = []

    async def collect():
        cycle = 0
        while True:
            await RisingEdge(dut.clk)
            cycle += 1
            await ReadOnly()
            if int(dut.retire__valid.value):
                pc = int(dut.retire__pc.value)
                trace.append((cycle, pc))
                if pc == end:
                    return

    await drv.write(EXT_CPU_CTRL, 1 << CpuCtrl.RUN)
    task = cocotb.start_soon(collect())
    await First(task.complete, ClockCycles(dut.clk, MAX_CYCLES))
    import bisect

    per = {}
    for (c0, pc), (c1, _) in zip(trace, trace[1:], strict=False):
        k = bisect.bisect_right([a for a, _ in funcs], pc) - 1
        name = funcs[k][1] if k >= 0 else "?"
        n, cyc = per.get(name, (0, 0))
        per[name] = (n + 1, cyc + c1 - c0)
    total = trace[-1][0] - trace[0][0]
    Path(test_param("result")).write_text(json.dumps(
        {"instructions": len(trace), "cycles": total,
         "functions": dict(sorted(per.items(), key=lambda kv: -kv[1][1]))}, indent=1))


#: (weights, simulator) the regression runs: Icarus is about 5x slower than Verilator on
#: the SoC, so it runs the shortest case (weights preloaded by the host); the back door is
#: covered natively (sw/test_firmware.py), so its RTL runs are ``slow``.
CASES = [("PROGRAM", "verilator"), ("PRELOADED", "verilator"), ("PRELOADED", "icarus"),
         pytest.param("BACKDOOR", "verilator", marks=pytest.mark.slow),
         pytest.param("BACKDOOR", "icarus", marks=pytest.mark.slow),
         pytest.param("PROGRAM", "icarus", marks=pytest.mark.slow)]


@pytest.mark.sim
@pytest.mark.parametrize("weights,sim", CASES)
def test_firmware_soc(weights, sim):
    if sim not in simulators():
        pytest.skip(f"SIM={sim} not selected")
    cfg = config_named("chip-small")
    compiled, _ = job(cfg)
    # One directory per case: pytest-xdist workers run the cases at the same time.
    out = ROOT / "build" / "fw" / f"soc-{cfg.name}" / f"{weights}-{sim}"
    source = c_table(build_table(compiled), f"{SIZES} on {cfg.name}")
    fw = build_or1k(source, out / "or1k", cfg.cpu.ram_bytes)
    result = out / f"result-{weights}-{sim}.json"
    result.unlink(missing_ok=True)
    run_cocotb("soc", cfg, "tb.test_firmware_soc", "cocotb_firmware", sim,
               params={"bin": str(fw.elf.with_suffix(".bin")), "weights": weights,
                       "table": str(out / "or1k" / "net_table.c"),
                       "native": str(out / "native"), "result": str(result)})
    r = json.loads(result.read_text())
    print(f"{weights} on {sim}: firmware {r['firmware']}, host {r['host']}, "
          f"firmware size {fw.size}")


@pytest.mark.sim
@pytest.mark.parametrize("sim", simulators())
def test_firmware_soc_bus_error(sim):
    cfg = config_named("chip-small")
    compiled, _ = job(cfg)
    out = ROOT / "build" / "fw" / f"soc-{cfg.name}" / f"bus-error-{sim}"
    table = build_table(compiled)
    table.max_packet_flits = 16         # the chip takes 8
    fw = build_or1k(c_table(table), out / "or1k", cfg.cpu.ram_bytes)
    run_cocotb("soc", cfg, "tb.test_firmware_soc", "cocotb_bus_error", sim,
               params={"bin": str(fw.elf.with_suffix(".bin")),
                       "table": str(out / "or1k" / "net_table.c"),
                       "native": str(out / "native")})


@pytest.mark.sim
@pytest.mark.slow
def test_firmware_profile():
    """Instructions and cycles per firmware function on the RTL (Verilator), for
    docs/firmware.md."""
    cfg = config_named("chip-small")
    compiled, _ = job(cfg)
    out = ROOT / "build" / "fw" / f"soc-{cfg.name}" / "profile"
    fw = build_or1k(c_table(build_table(compiled), f"{SIZES} on {cfg.name}"), out / "or1k",
                    cfg.cpu.ram_bytes)
    funcs = {n: a for n, a in fw.symbols.items() if not n.startswith(("_", "."))}
    funcs.update({"crt0": 0x100})
    result = out / "profile.json"
    run_cocotb("soc", cfg, "tb.test_firmware_soc", "cocotb_profile", "verilator",
               params={"bin": str(fw.elf.with_suffix(".bin")), "symbols": funcs,
                       "end": fw.symbols["_exit"], "result": str(result)})
    r = json.loads(result.read_text())
    print(f"{r['instructions']} instructions in {r['cycles']} cycles")
    for name, (n, cyc) in list(r["functions"].items())[:12]:
        print(f"  {name:24} {n:7} instructions {cyc:8} cycles")
