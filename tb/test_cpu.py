# amaranth: UnusedElaboratable=no
"""The OpenRISC core against QEMU, instruction by instruction, on Icarus and Verilator.

Block ``cpu_soc`` (``hdl/soc.py`` without the chip: a build of seconds) is built once per
simulator; every program is loaded into its program memory through the external Wishbone
port while the core is held in reset (EXT_CPU_CTRL.RUN = 0), then the core is released and
its retire port compared with QEMU's single-step trace of the same ELF
(``tb/or1k_trace.py``): the PC and all 32 registers after every instruction, and the
console output. Programs: ``sw/fw/tests/*.c`` (``make firmware``) and random instruction
streams seeded from ``COCOTB_RANDOM_SEED`` (printed).

Block ``soc`` (with the chip, ``chip-small``) runs one program that reads the chip's
registers through CHIP_BASE and stores the result: the CPU and the external port share
the host port (slow: the chip's build).

Each run writes its numbers (instructions, cycles, CPI, program size) to
``build/fw/results/<program>-<sim>.json`` (``docs/cpu.md`` quotes them).
"""

import hashlib
import json
import os
import random
from dataclasses import astuple
from pathlib import Path

import cocotb
import pytest
from cocotb.simtime import get_sim_time
from cocotb.triggers import ClockCycles, First, ReadOnly, RisingEdge

from hdl.spec.or1k import EXT_CPU_CTRL, EXT_CPU_MEM, CpuCtrl
from tb.bus import ClockedTB
from tb.configs import config as config_named
from tb.harness import run_cocotb, simulators, test_param
from tb.or1k_trace import (
    TraceMismatch,
    compare,
    load_steps,
    qemu_trace,
    random_program,
    retired_from_dut,
    save_steps,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "build" / "fw" / "results"
MAX_CYCLES = 2_000_000


class SocTB(ClockedTB):
    """The SoC's external port as a Wishbone classic master, and its retire port."""

    async def start(self):
        d = self.dut
        for s in ("wb_cyc", "wb_stb", "wb_we", "wb_adr", "wb_sel", "wb_dat_w"):
            getattr(d, s).value = 0
        await self.reset()

    async def access(self, addr, data=None, sel=0xF):
        d = self.dut
        d.wb_adr.value = addr
        d.wb_sel.value = sel
        d.wb_we.value = int(data is not None)
        d.wb_dat_w.value = data or 0
        d.wb_cyc.value = 1
        d.wb_stb.value = 1
        for _ in range(1000):
            await RisingEdge(d.clk)
            await ReadOnly()
            if d.wb_ack.value or d.wb_err.value:
                ok, value = bool(d.wb_ack.value), int(d.wb_dat_r.value)
                break
        else:
            raise AssertionError(f"external access to 0x{addr:05x}: no ACK/ERR in 1000 cycles")
        await RisingEdge(d.clk)
        d.wb_cyc.value = 0
        d.wb_stb.value = 0
        return ok, value

    async def load(self, image):
        """Hold the core, write ``image`` into program memory, read it back."""
        ok, _ = await self.access(EXT_CPU_CTRL, 0)
        assert ok, "EXT_CPU_CTRL write ended with ERR"
        words = [int.from_bytes(image[i:i + 4].ljust(4, b"\0"), "big")
                 for i in range(0, len(image), 4)]
        for i, w in enumerate(words):
            ok, _ = await self.access(EXT_CPU_MEM + 4 * i, w)
            assert ok, f"program memory write {i} ended with ERR"
        for i in sorted({0x40, len(words) // 2, len(words) - 1}):
            ok, v = await self.access(EXT_CPU_MEM + 4 * i)
            assert ok and v == words[i], f"program word {i}: read 0x{v:08x}, wrote 0x{words[i]:08x}"
        ok, v = await self.access(EXT_CPU_CTRL)
        assert ok and v == 0, f"EXT_CPU_CTRL reads {v} while the core is held"

    async def run(self, end_pc, traffic=None):
        """Release the core; collect its retired instructions up to ``end_pc`` and the
        console output. Returns ``(retired, uart, cycles)``. ``traffic`` (the loaded
        image): meanwhile, the external port keeps reading the program memory window
        (which shares its port with the core's loads and stores) and checks the words;
        or (a dict) keeps reading those external addresses and checks their values."""
        d = self.dut
        retired, uart = [], bytearray()
        done = []

        async def host_traffic(image):
            words = len(image) // 4
            reads = 0
            while not done:
                if isinstance(image, dict):             # fixed addresses -> values
                    addr, want = self.rng.choice(list(image.items()))
                else:
                    i = self.rng.randrange(0x40, words)     # code and read-only data
                    addr, want = EXT_CPU_MEM + 4 * i, int.from_bytes(image[4 * i:4 * i + 4],
                                                                     "big")
                ok, v = await self.access(addr)
                assert ok and v == want, \
                    f"0x{addr:05x} read 0x{v:08x} while the core ran, expected 0x{want:08x}"
                reads += 1
                # A random pause (0-2 cycles): back-to-back reads can fall into step with
                # the core's 2- and 4-cycle instructions and never meet its loads.
                pause = self.rng.randrange(3)
                if pause:
                    await ClockCycles(d.clk, pause)
            d._log.info("%d external-port reads while the core ran", reads)
            assert reads > 100, f"only {reads} external reads while the program ran"

        async def trace():
            while True:
                await RisingEdge(d.retire__valid)
                await ReadOnly()
                r = retired_from_dut(d)
                retired.append(r)
                if r.pc == end_pc:
                    return

        async def console():
            while True:
                await RisingEdge(d.uart_tx_valid)
                await ReadOnly()
                uart.append(int(d.uart_tx_data.value))

        ok, _ = await self.access(EXT_CPU_CTRL, 1 << CpuCtrl.RUN)
        assert ok
        t0 = get_sim_time("ns")
        cocotb.start_soon(console())
        task = cocotb.start_soon(trace())
        host = cocotb.start_soon(host_traffic(traffic)) if traffic else None
        await First(task.complete, ClockCycles(d.clk, MAX_CYCLES))
        done.append(True)
        if not task.done():
            task.cancel()
            last = retired[-1].pc if retired else None
            raise AssertionError(f"the program did not reach 0x{end_pc:08x} in {MAX_CYCLES} "
                                 f"cycles ({len(retired)} instructions, last pc {last})")
        cycles = round((get_sim_time("ns") - t0) / self.PERIOD_NS)
        if host is not None:
            await host                  # its last access ends, its checks ran
        else:
            await RisingEdge(d.clk)     # out of the read-only phase the trace ended in
        return retired, bytes(uart), cycles


@cocotb.test()
async def cocotb_program(dut):
    """Load a program, run it, compare its trace with QEMU's (``test_param``s from
    :func:`_run_program`)."""
    tb = SocTB(dut)
    await tb.start()
    image = Path(test_param("bin")).read_bytes()
    steps, q_uart = load_steps(test_param("trace"))
    end, stop = test_param("end"), test_param("stop")
    await tb.load(image)
    retired, uart, cycles = await tb.run(end, traffic=image if test_param("traffic") else None)
    try:
        n = compare(steps, retired, stop_pc=stop, inclusive=stop is None)
    except TraceMismatch as e:
        dump = Path(test_param("result")).with_suffix(".trace.json")
        dump.write_text(json.dumps([list(astuple(r)) for r in retired]))
        raise AssertionError(f"{e}\n(our whole trace: {dump})") from None
    shadow = [0] * 32
    for r in retired:
        if r.rf_we:
            shadow[r.rf_idx] = r.rf_value
    expect_exit = test_param("expect_exit")
    if expect_exit is not None:
        assert shadow[3] == expect_exit, \
            f"exit code r3 = 0x{shadow[3]:x}, expected 0x{expect_exit:x}"
    if stop is None:
        assert uart == q_uart, f"console {uart!r}, QEMU {q_uart!r}"
    dut._log.info("%d instructions compared with QEMU; %d retired in %d cycles: CPI %.2f; "
                  "console %r", n, len(retired), cycles, cycles / len(retired), uart)
    Path(test_param("result")).write_text(json.dumps({
        "compared": n, "retired": len(retired), "cycles": cycles,
        "cpi": cycles / len(retired), "size": len(image), "console": uart.decode("latin-1")}))


@cocotb.test()
async def cocotb_soc_chip(dut):
    """Block ``soc``: run ``sw/fw/soc/chip_access.c`` on the core in front of the chip, then
    check through the external port what it left in the chip (the port is shared)."""
    from sim import regs

    tb = SocTB(dut)
    await tb.start()
    await tb.load(Path(test_param("bin")).read_bytes())
    # meanwhile the external port keeps reading the chip's ID and VERSION: the host port's
    # arbiter sees both masters
    retired, uart, cycles = await tb.run(test_param("end"), traffic={
        regs.ID: regs.ID_VALUE, regs.VERSION: regs.VERSION_MAJOR << 16 | regs.VERSION_MINOR})
    shadow = [0] * 32
    for r in retired:
        if r.rf_we:
            shadow[r.rf_idx] = r.rf_value
    assert shadow[3] == 0, f"chip_access failed its checks: r3 = 0x{shadow[3]:x}"
    ok, v = await tb.access(regs.SCRATCH)
    assert ok and v == 0x600D0000, f"SCRATCH = 0x{v:08x}"
    expect = {0: 0x11223344, 1: 0x00AB0000, 2: 0x0000BEEF}
    for i, want in expect.items():
        ok, v = await tb.access(regs.ASRAM_BASE + 4 * i)
        assert ok and v == want, f"ASRAM word {i} = 0x{v:08x}, expected 0x{want:08x}"
    ok, v = await tb.access(EXT_CPU_CTRL)
    assert ok and v == 1, f"EXT_CPU_CTRL = {v} while the core runs"
    dut._log.info("chip_access: %d instructions in %d cycles (CPI %.2f)", len(retired), cycles,
                  cycles / len(retired))


# -- pytest runners ---------------------------------------------------------------------------

def _qemu_steps(prog):
    """QEMU's trace of ``prog`` (run once per ELF and cached beside it)."""
    digest = hashlib.sha256(prog.elf.read_bytes()).hexdigest()[:12]
    path = prog.elf.parent / "qemu" / f"{prog.name}-{digest}.json"
    if not path.exists():
        # a directory per process: pytest-xdist workers may trace the same program at once
        work = path.parent / f"{prog.name}-{os.getpid()}"
        steps, uart = qemu_trace(prog.elf, prog.symbols["_exit"], work)
        tmp = work / "trace.json"
        save_steps(tmp, steps, uart)
        tmp.replace(path)
    return path


def _run_program(prog, sim, stop=None, expect_exit=None, traffic=False):
    trace = _qemu_steps(prog)
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = RESULTS / f"{prog.name}{'-traffic' if traffic else ''}-{sim}.json"
    if result.exists():
        result.unlink()
    run_cocotb("cpu_soc", config_named("tiny"), "tb.test_cpu", "cocotb_program", sim,
               params={"bin": str(prog.bin), "trace": str(trace), "end": prog.symbols["_exit"],
                       "stop": stop, "expect_exit": expect_exit, "traffic": traffic,
                       "result": str(result)})
    r = json.loads(result.read_text())
    print(f"{prog.name} on {sim}: {r['retired']} instructions, {r['cycles']} cycles, "
          f"CPI {r['cpi']:.2f}, {r['size']} bytes")
    return r


#: C test programs compared with QEMU to their end (``buserror``, ``alignment`` and
#: ``flags`` have tests of their own: QEMU differs from their middle on).
PROGRAMS = ["arith", "memory", "control", "exceptions"]


@pytest.mark.sim
@pytest.mark.parametrize("sim", simulators())
@pytest.mark.parametrize("program", PROGRAMS)
def test_program(program, sim):
    from scripts.firmware import build_program

    _run_program(build_program(program), sim)


@pytest.mark.sim
@pytest.mark.parametrize("sim", simulators())
def test_program_under_host_traffic(sim):
    """``memory`` again while the external port keeps reading the program memory: the
    port it shares with the core's loads and stores gives the external access priority,
    the core waits, and the trace is still QEMU's."""
    from scripts.firmware import build_program

    _run_program(build_program("memory"), sim, traffic=True)


@pytest.mark.sim
@pytest.mark.parametrize("sim", simulators())
@pytest.mark.parametrize("program,fault", [("buserror", "bus_fault"),
                                           ("alignment", "align_fault")])
def test_fault_qemu_ignores(program, fault, sim):
    """Faults QEMU 7.2's or1k-sim does not raise: an unmapped access (QEMU ignores it; the
    SoC ends it with ERR: bus error) and a misaligned load or store (QEMU performs it; the
    core raises alignment). The trace is compared up to the first faulting instruction
    (symbol ``fault``), the rest is checked by the program (exit code 0)."""
    from scripts.firmware import build_program

    prog = build_program(program)
    _run_program(prog, sim, stop=prog.symbols[fault], expect_exit=0)


@pytest.mark.sim
@pytest.mark.parametrize("sim", simulators())
def test_flags(sim):
    """SR[CY] and SR[OV] as the architecture defines them: compared with QEMU where it
    agrees, then checked by the program (exit code 0) where QEMU 7.2 differs."""
    from scripts.firmware import build_program

    prog = build_program("flags")
    _run_program(prog, sim, stop=prog.symbols["qemu_differs"], expect_exit=0)


def _seed():
    env = os.environ.get("COCOTB_RANDOM_SEED")
    seed = int(env) if env else random.SystemRandom().randrange(2**31)
    print(f"random program seed {seed} (COCOTB_RANDOM_SEED={seed} reruns it)")
    return seed


def _random(sim, length, programs=1):
    from scripts.firmware import build_asm

    seed = _seed()
    for i in range(programs):
        text = random_program(random.Random(seed + i), length)
        prog = build_asm(f"random-{seed + i}-{length}", text, ROOT / "build" / "fw" / "random")
        _run_program(prog, sim)


@pytest.mark.sim
@pytest.mark.parametrize("sim", simulators())
def test_random_program(sim):
    _random(sim, 1000)


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize("sim", simulators())
def test_random_program_long(sim):
    """Twelve programs of 2 000 instructions (one is about as long as the 16 KiB program
    memory allows)."""
    _random(sim, 2000, programs=12)


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize("sim", simulators())
def test_soc_chip(sim):
    """The core and the external port on the whole chip (``chip-small``)."""
    from scripts.firmware import build_program

    prog = build_program("chip_access", group="soc")
    run_cocotb("soc", config_named("chip-small"), "tb.test_cpu", "cocotb_soc_chip", sim,
               params={"bin": str(prog.bin), "end": prog.symbols["_exit"]})


# -- without a simulator ------------------------------------------------------------------------

def test_programs_use_only_the_implemented_subset():
    """GCC -O2 with its default instruction set (and libgcc) emits nothing the core traps
    on (the exceptions test's deliberate l.cust8 aside)."""
    from hdl.spec.or1k import IMPLEMENTED
    from scripts.firmware import build_program, test_programs

    for name in test_programs():
        extra = build_program(name).mnemonics() - set(IMPLEMENTED)
        if name == "exceptions":
            extra -= {"l.cust8"}
        assert not extra, f"{name}: instructions outside the implemented subset: {extra}"


def test_random_streams_use_only_the_implemented_subset():
    """The random generator draws from the subset of hdl/spec/or1k.py (checked on the
    assembled code, 20 streams)."""
    import re

    from hdl.spec.or1k import IMPLEMENTED

    used = set()
    for seed in range(20):
        text = random_program(random.Random(seed), 400)
        used |= set(re.findall(r"^\s+(l\.\w+)", text, re.M))
    assert used - set(IMPLEMENTED) == set(), used - set(IMPLEMENTED)
    # and it exercises most of the subset (not the SPR writes, l.rfe, calls through
    # registers or exceptions: the C programs do those)
    assert len(used) >= 60, sorted(set(IMPLEMENTED) - used)


def test_standalone_boot_with_baked_firmware():
    """``Or1kSoc(image=..., run=True)``: the program memory powers on with the firmware and
    the core runs from reset without the external port (Amaranth's simulator, no HDL
    build); the console prints what QEMU's does."""
    from amaranth.sim import Simulator

    from hdl.soc import Or1kSoc
    from scripts.firmware import build_program

    prog = build_program("memory")
    _, want = load_steps(_qemu_steps(prog))
    dut = Or1kSoc(image=prog.image, run=True)
    out = bytearray()

    async def bench(ctx):
        for _ in range(20_000):
            await ctx.tick()
            if ctx.get(dut.uart_tx_valid):
                out.append(ctx.get(dut.uart_tx_data))
                if out.endswith(b"\n"):
                    return

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert bytes(out) == want, f"console {bytes(out)!r}, QEMU {want!r}"


def test_doc_lists_the_implemented_subset():
    """docs/cpu.md names every instruction of ``IMPLEMENTED`` and the memory map's bases."""
    from hdl.spec import or1k

    doc = (ROOT / "docs" / "cpu.md").read_text()
    words = set(doc.replace("`", " ").replace(",", " ").split())
    # the compare instructions are written as l.sf{eq,ne,...} and "their i forms"
    missing = [i for i in or1k.IMPLEMENTED if i not in words and not i.startswith("l.sf")]
    assert not missing, f"docs/cpu.md does not list {missing}"
    for cond in or1k.SfCond:
        assert cond.name.lower() in doc, f"docs/cpu.md: no l.sf{cond.name.lower()}"
    for base in (or1k.CHIP_BASE, or1k.UART_BASE):
        assert f"0x{base >> 16:04x}_0000" in doc.lower(), f"docs/cpu.md: no 0x{base:08x}"
    for ext in (or1k.EXT_CPU_CTRL, or1k.EXT_CPU_MEM):
        assert f"0x{ext:05X}" in doc, f"docs/cpu.md: no 0x{ext:05X}"


def test_soc_parameters():
    from hdl.soc import Or1kSoc
    from hdl.spec import or1k
    from scripts.blocks import build_block
    from scripts.firmware import linker_script

    with pytest.raises(ValueError, match="ram_bytes"):
        Or1kSoc(ram_bytes=3000)
    with pytest.raises(ValueError, match="image"):
        Or1kSoc(ram_bytes=1024, image=bytes(2048))
    # One definition of the program memory: the configuration's cpu.ram_bytes sizes the
    # blocks' SoC and the linker script (sw.firmware.build_or1k uses the same script).
    cfg = config_named("tiny").replace(cpu={"ram_bytes": 4096})
    socs = [build_block("cpu_soc", cfg), build_block("cpu_soc", config_named("tiny"))]
    for soc in socs:
        soc._MustUse__silence = True        # built to be inspected, not elaborated
    assert [s.ram_bytes for s in socs] == [4096, or1k.RAM_BYTES]
    assert "LENGTH = 0x1000 }" in linker_script(4096)
    assert f"LENGTH = 0x{or1k.RAM_BYTES:x} }}" in linker_script()
    with pytest.raises(ValueError, match=r"ram_bytes = 3000.*ChipConfig\.cpu\.ram_bytes"):
        linker_script(3000)
