"""Instruction traces of OpenRISC programs: QEMU's (the reference) and our core's, and the
instruction-by-instruction comparison of the two.

QEMU (``qemu-system-or1k -M or1k-sim -singlestep -d cpu,nochain``) logs, before every
instruction, its PC and all 32 registers. Entry ``k`` is the state before instruction ``k``,
so the registers after instruction ``k`` are entry ``k + 1``'s. QEMU 7.2 does not stop on
``l.nop 1``: :func:`qemu_trace` reads the log as it grows and stops QEMU once the program
reached its end marker (``_exit``, a jump to itself).

Our core reports every instruction it finishes on its retire port (``hdl/cpu/or1k.py``):
PC, the register it wrote and the value. The comparison keeps a shadow register file from
those writes and checks, for every instruction, the PC and all 32 registers against QEMU's.

Also here: :func:`random_program`, the random instruction streams of ``tb/test_cpu.py``,
drawn from the encodings of ``hdl/spec/or1k.py``.
"""

import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hdl.spec.or1k import RAM_BYTES, Spr, Vector

__all__ = ["QemuStep", "Retired", "qemu_trace", "compare", "TraceMismatch", "random_program",
           "save_steps", "load_steps", "retired_from_dut"]

QEMU = "qemu-system-or1k"
_ENTRY = re.compile(rb"PC=([0-9a-f]{8})\n((?:R\d\d=[0-9a-f]{8}[ \n])+)")
_REG = re.compile(rb"R(\d\d)=([0-9a-f]{8})")


@dataclass(frozen=True)
class QemuStep:
    """QEMU's state before one instruction."""
    pc: int
    regs: tuple


@dataclass(frozen=True)
class Retired:
    """One instruction our core finished (its retire port)."""
    pc: int
    insn: int
    rf_we: int
    rf_idx: int
    rf_value: int
    sr: int
    exception: int


class TraceMismatch(AssertionError):
    pass


def _qemu():
    path = shutil.which(QEMU)
    if path is None:
        raise FileNotFoundError(
            f"{QEMU} not found: install Debian's qemu-system-misc (make setup); the CPU trace "
            f"tests compare the core against it")
    return path


def _parse(data):
    steps = []
    for m in _ENTRY.finditer(data):
        regs = [0] * 32
        for r in _REG.finditer(m[2]):
            regs[int(r[1])] = int(r[2], 16)
        steps.append(QemuStep(int(m[1], 16), tuple(regs)))
    return steps


def qemu_trace(elf, end_pc, workdir, timeout=60.0, max_steps=500_000):
    """Run ``elf`` on QEMU's or1k-sim until the instruction at ``end_pc`` ran (and one more
    entry shows its result). Returns ``(steps, uart_output)``: the :class:`QemuStep` list up
    to and including the first step at ``end_pc`` plus the one after it, and the bytes the
    program wrote to the UART."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "qemu.log"
    uart = workdir / "qemu-uart.txt"
    for f in (log, uart):
        if f.exists():
            f.unlink()
    cmd = [_qemu(), "-M", "or1k-sim", "-m", f"{max(RAM_BYTES, 1 << 20) >> 20}M",
           "-display", "none", "-monitor", "none", "-serial", f"file:{uart}",
           "-kernel", str(elf), "-singlestep", "-d", "cpu,nochain", "-D", str(log)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    marker = b"PC=%08x\n" % end_pc
    start = time.monotonic()
    try:
        while True:
            time.sleep(0.05)
            data = log.read_bytes() if log.exists() else b""
            at = data.find(marker)
            # the end marker's entry and the one after it are complete in the log
            if at >= 0 and data.find(b"PC=", at + 3) >= 0 and data.count(b"\n", at) > 20:
                break
            if proc.poll() is not None:
                raise RuntimeError(f"QEMU exited ({proc.returncode}) before the program's end "
                                   f"0x{end_pc:08x}: {proc.stderr.read().decode()}")
            if time.monotonic() - start > timeout or data.count(b"PC=") > max_steps:
                raise TimeoutError(f"QEMU did not reach 0x{end_pc:08x} within {timeout} s / "
                                   f"{max_steps} instructions ({' '.join(cmd)})")
    finally:
        proc.terminate()
        proc.wait()
    steps = _parse(log.read_bytes())
    end = next(i for i, s in enumerate(steps) if s.pc == end_pc)
    return steps[:end + 2], (uart.read_bytes() if uart.exists() else b"")


def save_steps(path, steps, uart):
    Path(path).write_text(json.dumps({"steps": [[s.pc, list(s.regs)] for s in steps],
                                      "uart": uart.decode("latin-1")}))


def load_steps(path):
    d = json.loads(Path(path).read_text())
    return [QemuStep(pc, tuple(regs)) for pc, regs in d["steps"]], d["uart"].encode("latin-1")


def _fmt_ours(r):
    write = f"r{r.rf_idx:<2}= {r.rf_value:08x}" if r.rf_we else " " * 14
    exc = f" exception 0x{r.exception:03x}" if r.exception else ""
    return f"pc {r.pc:08x} insn {r.insn:08x} {write} sr {r.sr:05x}{exc}"


def _fmt_qemu(before, after):
    changed = [f"r{i}={after.regs[i]:08x}" for i in range(32) if before.regs[i] != after.regs[i]]
    return f"pc {before.pc:08x} {' '.join(changed)}"


def compare(qemu, ours, stop_pc=None, inclusive=True, context=6):
    """Compare our retired instructions ``ours`` with QEMU's ``qemu`` steps, instruction by
    instruction: the PC and all 32 registers after it. Stops after the instruction at
    ``stop_pc`` (default: the last QEMU step's predecessor, the program's end marker); with
    ``inclusive=False`` only that instruction's PC is compared, not its result.
    Returns the number of instructions compared; raises :class:`TraceMismatch` with both
    traces around the first difference."""
    if len(qemu) < 2:
        raise TraceMismatch(f"QEMU trace of {len(qemu)} steps: nothing to compare")
    end_pc = qemu[-2].pc if stop_pc is None else stop_pc
    # QEMU starts with r3 = its device-tree address, the core with 0; crt0 clears both.
    shadow = list(qemu[0].regs)
    shadow[0] = 0

    def fail(k, why):
        lo, hi = max(0, k - context), k + 2
        lines = [f"trace mismatch at instruction {k}: {why}", "  ours:"]
        lines += [f"  {'>' if i == k else ' '} {i:6} {_fmt_ours(ours[i])}"
                  for i in range(lo, min(hi, len(ours)))]
        lines.append("  QEMU:")
        lines += [f"  {'>' if i == k else ' '} {i:6} {_fmt_qemu(qemu[i], qemu[i + 1])}"
                  for i in range(lo, min(hi, len(qemu) - 1))]
        raise TraceMismatch("\n".join(lines))

    for k, r in enumerate(ours):
        if k + 1 >= len(qemu):
            fail(k, "QEMU's trace ended first")
        if r.pc != qemu[k].pc:
            fail(k, f"pc {r.pc:08x}, QEMU {qemu[k].pc:08x}")
        if r.pc == end_pc and not inclusive:
            return k
        if r.rf_we:
            shadow[r.rf_idx] = r.rf_value
        after = qemu[k + 1].regs
        diff = [i for i in range(32) if shadow[i] != after[i]]
        if diff:
            fail(k, ", ".join(f"r{i} = {shadow[i]:08x}, QEMU {after[i]:08x}" for i in diff))
        if r.pc == end_pc:
            return k + 1
    raise TraceMismatch(f"our trace ended after {len(ours)} instructions without reaching "
                        f"0x{end_pc:08x}")


# -- random instruction streams ------------------------------------------------------------------

_RR = ["l.add", "l.addc", "l.sub", "l.and", "l.or", "l.xor", "l.mul", "l.mulu", "l.sll",
       "l.srl", "l.sra", "l.ror", "l.cmov"]
_RI_S = ["l.addi", "l.addic", "l.xori", "l.muli"]
_RI_Z = ["l.andi", "l.ori"]
_SH_I = ["l.slli", "l.srli", "l.srai", "l.rori"]
_R1 = ["l.exths", "l.extbs", "l.exthz", "l.extbz", "l.ff1", "l.fl1"]
_SF = ["eq", "ne", "gtu", "geu", "ltu", "leu", "gts", "ges", "lts", "les"]
_LOADS = [("l.lwz", 4), ("l.lws", 4), ("l.lhz", 2), ("l.lhs", 2), ("l.lbz", 1), ("l.lbs", 1)]
_STORES = [("l.sw", 4), ("l.sh", 2), ("l.sb", 1)]
#: Registers the random code writes: not r0, r1 (stack), r2 (the data buffer), r9 (link).
_DEST = [r for r in range(3, 32) if r != 9]
_BUF_BYTES = 256


def random_program(rng, length):
    """Assembly text of a ``main`` that runs ``length`` random instructions of the
    implemented subset (ALU, immediates, shifts, compares and flag-using branches with their
    delay slots, loads and stores of every width on a buffer, multiply and divide, SR reads
    that expose the flags) on random register values, then returns."""
    reg = _DEST
    out = ["    .data", "    .align 4", "rbuf:"]
    out += [f"    .word 0x{rng.getrandbits(32):08x}" for _ in range(_BUF_BYTES // 4)]
    out += ["    .text", "    .global main", "main:",
            "    l.movhi r2, hi(rbuf)", "    l.ori r2, r2, lo(rbuf)"]
    for r in reg:
        v = rng.choice([rng.getrandbits(32), rng.getrandbits(8), -rng.getrandbits(4) & 0xFFFFFFFF,
                        0x80000000, 0x7FFFFFFF, 0])
        out += [f"    l.movhi r{r}, 0x{v >> 16:04x}", f"    l.ori r{r}, r{r}, 0x{v & 0xFFFF:04x}"]
    label = 0
    n = 0

    def one():
        kind = rng.choices(["rr", "ri", "sh", "r1", "sf", "ld", "st", "div", "spr", "movhi",
                            "exc"], [30, 16, 8, 6, 10, 10, 8, 4, 3, 2, 1])[0]
        d, a, b = rng.choice(reg), rng.choice(reg + [0]), rng.choice(reg + [0])
        if kind == "rr":
            return [f"    {rng.choice(_RR)} r{d}, r{a}, r{b}"]
        if kind == "ri":
            op = rng.choice(_RI_S + _RI_Z)
            imm = rng.randrange(-32768, 32768) if op in _RI_S else rng.randrange(65536)
            return [f"    {op} r{d}, r{a}, {imm}"]
        if kind == "sh":
            return [f"    {rng.choice(_SH_I)} r{d}, r{a}, {rng.randrange(32)}"]
        if kind == "r1":
            return [f"    {rng.choice(_R1)} r{d}, r{a}"]
        if kind == "sf":
            c = rng.choice(_SF)
            if rng.random() < 0.5:
                return [f"    l.sf{c} r{a}, r{b}"]
            imm = rng.randrange(-32768, 32768)
            return [f"    l.sf{c}i r{a}, {imm}"]
        if kind == "ld":
            op, size = rng.choice(_LOADS)
            return [f"    {op} r{d}, {rng.randrange(_BUF_BYTES // size) * size}(r2)"]
        if kind == "st":
            op, size = rng.choice(_STORES)
            return [f"    {op} {rng.randrange(_BUF_BYTES // size) * size}(r2), r{b}"]
        if kind == "div":
            # A positive or zero divisor: QEMU 7.2 itself dies on INT_MIN / -1 (SIGFPE).
            t = rng.choice([r for r in reg if r != d])
            k = rng.choice([0, 1, 3, rng.randrange(1, 65536)])
            return [f"    l.ori r{t}, r0, {k}", f"    {rng.choice(['l.div', 'l.divu'])} "
                    f"r{d}, r{a}, r{t}"]
        if kind == "exc":
            # an exception the handler below returns from: system call, trap, illegal
            # instruction (l.cust8). Not misaligned accesses: QEMU 7.2 performs them.
            return [rng.choice([
                f"    l.sys {rng.randrange(65536)}", f"    l.trap {rng.randrange(65536)}",
                f"    .word 0x{0xFC000000 | rng.getrandbits(26):08x}"])]
        if kind == "spr":
            return [f"    l.mfspr r{d}, r0, 17"]      # SR: F, CY, OV as QEMU has them
        return [f"    l.movhi r{d}, 0x{rng.getrandbits(16):04x}"]

    # Two QEMU 7.2 flag quirks the core does not copy (docs/cpu.md): l.sub's SR[OV] is
    # sign((a ^ b) & (res ^ b)), not the signed overflow, and l.mulu's SR[CY] is "the
    # *signed* 64-bit product's high word is not 0", not the unsigned carry. Before an
    # instruction reads a flag that such an instruction may have written last, the stream
    # rewrites it with an instruction on which both agree: l.muli rD, r0, 0 writes only OV
    # (0), l.mulu rD, r0, r0 only CY (0).
    ov_writers = {"l.add", "l.addc", "l.addi", "l.addic", "l.mul", "l.muli", "l.div"}
    cy_writers = {"l.add", "l.addc", "l.addi", "l.addic", "l.sub", "l.divu"}
    sub_ov = mulu_cy = False

    def emit(lines, skippable=False):
        nonlocal sub_ov, mulu_cy
        for line in lines:
            op = line.split()[0]
            reads_ov = op == "l.mfspr"
            reads_cy = op in ("l.mfspr", "l.addc", "l.addic")
            d = line.split()[1].rstrip(",") if reads_cy else None
            if reads_ov and sub_ov:
                out.append(f"    l.muli {d}, r0, 0")
                sub_ov = sub_ov and skippable
            if reads_cy and mulu_cy:
                out.append(f"    l.mulu {d}, r0, r0")
                mulu_cy = mulu_cy and skippable
            if op == "l.sub":
                sub_ov = True
            elif op in ov_writers and not skippable:
                sub_ov = False
            if op == "l.mulu":
                mulu_cy = True
            elif op in cy_writers and not skippable:
                mulu_cy = False
            out.append(line)

    while n < length:
        if rng.random() < 0.12:
            # a forward branch (taken or not) over a few instructions, delay slot filled
            label += 1
            out.append(f"    {rng.choice(['l.bf', 'l.bnf', 'l.j'])} 9{label}f")
            # the delay slot: one instruction that needs no flag fix-up before it (the
            # fix-up would take the slot and push the instruction past the branch)
            slot = one()
            # and no exception: the handler returns past the faulting instruction, which in
            # a delay slot is the branch (EPCR0), so it would run the slot again
            while (len(slot) > 1 or slot[0].split()[0] in ("l.mfspr", "l.addc", "l.addic")
                   or _raises(slot[0])):
                slot = one()
            emit(slot)
            for _ in range(rng.randrange(0, 4)):
                emit(one(), skippable=True)
            out.append(f"9{label}:")
            n += 2
        elif rng.random() < 0.03:
            label += 1
            out += [f"    l.jal 9{label}f", "    l.nop", f"9{label}:"]
            n += 2
        else:
            lines = one()
            emit(lines)
            n += len(lines)
    # l.jal above overwrote the link register: end at _exit directly (crt0.S)
    out += ["    l.j _exit", "    l.ori r3, r3, 0", ""]
    # crt0.S saves the registers, calls this with r3 = vector, restores them, l.rfe (which
    # also restores SR): return past the faulting instruction (EPCR0 + 4) except after
    # l.sys, whose EPCR0 is already the next instruction.
    out += ["    .global or1k_exception", "or1k_exception:",
            f"    l.mfspr r11, r0, {Spr.EPCR0}", f"    l.sfeqi r3, {Vector.SYSCALL}",
            "    l.bf 1f", "    l.nop", "    l.addi r11, r11, 4",
            f"1:  l.mtspr r0, r11, {Spr.EPCR0}", "    l.jr r9", "    l.nop", ""]
    return "\n".join(out)


def _raises(line):
    """Whether a generated instruction line raises an exception."""
    return line.split()[0] in ("l.sys", "l.trap", ".word")


def retired_from_dut(dut):
    """The retire port's fields now (call after ReadOnly in a cycle its ``valid`` is high)."""
    return Retired(int(dut.retire__pc.value), int(dut.retire__insn.value),
                   int(dut.retire__rf_we.value), int(dut.retire__rf_idx.value),
                   int(dut.retire__rf_value.value), int(dut.retire__sr.value),
                   int(dut.retire__exception.value))
