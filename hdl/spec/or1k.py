"""OpenRISC 1000 (ORBIS32 subset) of the on-chip CPU, defined once (pure Python).

The core (``hdl/cpu/or1k.py``), the SoC (``hdl/soc.py``), the random-program generator and
trace parser (``tb/or1k_trace.py``), the linker script (``scripts/firmware.py``) and
``docs/cpu.md`` all read this module: instruction encodings, the SPRs the core implements,
exception vectors and the memory map.

Byte order is big-endian everywhere: byte address ``4 w + 0`` is bits 31:24 of word ``w``,
and on the Wishbone buses it is the lane of ``sel[3]``.
"""

import enum

__all__ = [
    "Op", "AluOp", "ShiftOp", "ExtOp", "SfCond", "Spr", "SrBit", "Vector", "IMPLEMENTED",
    "RESET_PC", "RAM_BASE", "RAM_BYTES", "CHIP_BASE", "CHIP_BYTES", "UART_BASE", "UART_BYTES",
    "PIC_UART", "PIC_CHIP", "EXT_CPU_CTRL", "EXT_CPU_MEM", "EXT_CPU_MEM_BYTES", "CpuCtrl",
    "SR_RESET", "NOP_EXIT", "VR_VALUE", "UPR_VALUE",
]


class Op(enum.IntEnum):
    """Major opcodes: instruction bits 31:26."""
    J = 0x00
    JAL = 0x01
    BNF = 0x03
    BF = 0x04
    NOP = 0x05      # bits 25:24 = 01
    MOVHI = 0x06    # bit 16 = 0 (bit 16 = 1 is l.macrc: illegal here)
    SYS = 0x08      # l.sys (bits 25:16 = 0x000), l.trap (0x100), l.msync/psync/csync
    RFE = 0x09
    JR = 0x11
    JALR = 0x12
    LWZ = 0x21
    LWS = 0x22
    LBZ = 0x23
    LBS = 0x24
    LHZ = 0x25
    LHS = 0x26
    ADDI = 0x27
    ADDIC = 0x28
    ANDI = 0x29
    ORI = 0x2A
    XORI = 0x2B
    MULI = 0x2C
    MFSPR = 0x2D
    SHIFTI = 0x2E   # bits 7:6 = ShiftOp, bits 5:0 = amount
    SFI = 0x2F      # bits 25:21 = SfCond, bits 15:0 = signed immediate
    MTSPR = 0x30
    SW = 0x35
    SB = 0x36
    SH = 0x37
    ALU = 0x38      # bits 3:0 = AluOp, bits 9:6 = sub-operation
    SF = 0x39       # bits 25:21 = SfCond


class AluOp(enum.IntEnum):
    """Opcode 0x38, bits 3:0 (bits 9:8 are 11 for the multiply/divide group, 00 otherwise;
    l.fl1 is FF1 with bits 9:8 = 01)."""
    ADD = 0x0
    ADDC = 0x1
    SUB = 0x2
    AND = 0x3
    OR = 0x4
    XOR = 0x5
    MUL = 0x6
    SHIFT = 0x8     # bits 7:6 = ShiftOp
    DIV = 0x9
    DIVU = 0xA
    MULU = 0xB
    EXT = 0xC       # bits 9:6 = ExtOp
    EXTW = 0xD      # l.extws / l.extwz: illegal, as in QEMU 7.2
    CMOV = 0xE
    FF1 = 0xF       # bits 9:8 = 00 l.ff1, 01 l.fl1


#: AluOp values whose bits 9:8 must be 11.
MULDIV_OPS = (AluOp.MUL, AluOp.DIV, AluOp.DIVU, AluOp.MULU)


class ShiftOp(enum.IntEnum):
    SLL = 0
    SRL = 1
    SRA = 2
    ROR = 3


class ExtOp(enum.IntEnum):
    """Opcode 0x38 / AluOp.EXT, bits 9:6."""
    EXTHS = 0
    EXTBS = 1
    EXTHZ = 2
    EXTBZ = 3


class SfCond(enum.IntEnum):
    """l.sf* / l.sf*i condition: instruction bits 25:21."""
    EQ = 0x0
    NE = 0x1
    GTU = 0x2
    GEU = 0x3
    LTU = 0x4
    LEU = 0x5
    GTS = 0xA
    GES = 0xB
    LTS = 0xC
    LES = 0xD


class Spr(enum.IntEnum):
    """The special-purpose registers the core implements (group << 11 | index). Reading any
    other SPR gives 0 and writing it does nothing."""
    VR = 0x0000
    UPR = 0x0001
    SR = 0x0011
    EPCR0 = 0x0020
    EEAR0 = 0x0030
    ESR0 = 0x0040
    PICMR = 0x4800
    PICSR = 0x4802


class SrBit(enum.IntEnum):
    """Supervision register bits the core keeps (the others read 0)."""
    SM = 0      # supervisor mode (always 1 after reset; user mode is not enforced)
    TEE = 1
    IEE = 2     # external interrupts enabled
    F = 9       # compare flag
    CY = 10     # carry
    OV = 11     # overflow
    OVE = 12    # (stored; range exceptions are not implemented)
    DSX = 13    # the last exception happened in a delay slot
    FO = 15     # fixed one


#: SR bits that l.mtspr can write (FO reads 1 whatever is written).
SR_WRITABLE = sum(1 << b for b in SrBit if b != SrBit.FO)
#: SR at reset: supervisor mode and the fixed one, as QEMU's or1k.
SR_RESET = (1 << SrBit.SM) | (1 << SrBit.FO)
#: VR: version 0x12, no configuration registers beyond UPR.
VR_VALUE = 0x12000001
#: UPR: UPR present (bit 0) and programmable interrupt controller present (bit 8).
UPR_VALUE = (1 << 0) | (1 << 8)


class Vector(enum.IntEnum):
    """Exception vectors (physical addresses)."""
    RESET = 0x100
    BUS_ERROR = 0x200
    ALIGNMENT = 0x600
    ILLEGAL = 0x700
    INTERRUPT = 0x800
    SYSCALL = 0xC00
    TRAP = 0xE00


RESET_PC = int(Vector.RESET)

#: Instruction mnemonics the core executes (everything else raises ILLEGAL).
IMPLEMENTED = (
    "l.j l.jal l.jr l.jalr l.bf l.bnf l.nop l.movhi l.sys l.trap l.msync l.psync l.csync "
    "l.rfe l.lwz l.lws l.lbz l.lbs l.lhz l.lhs l.sw l.sh l.sb l.addi l.addic l.andi l.ori "
    "l.xori l.muli l.mfspr l.mtspr l.slli l.srli l.srai l.rori l.add l.addc l.sub l.and "
    "l.or l.xor l.mul l.mulu l.div l.divu l.sll l.srl l.sra l.ror l.exths l.extbs l.exthz "
    "l.extbz l.cmov l.ff1 l.fl1 "
    "l.sfeq l.sfne l.sfgtu l.sfgeu l.sfltu l.sfleu l.sfgts l.sfges l.sflts l.sfles "
    "l.sfeqi l.sfnei l.sfgtui l.sfgeui l.sfltui l.sfleui l.sfgtsi l.sfgesi l.sfltsi l.sflesi"
).split()

# -- memory map (CPU side) ---------------------------------------------------------------------

#: Program memory: vectors, code, data and stack, at 0 as QEMU or1k-sim's RAM.
RAM_BASE = 0x0000_0000
#: Its default size: ``hdl.spec.config.CpuConfig.ram_bytes``'s default and
#: ``Or1kSoc``'s. A chip's program memory is its configuration's ``cpu.ram_bytes``, which
#: blocks ``soc``/``cpu_soc`` and the firmware's linker script
#: (``scripts.firmware.linker_script(ram_bytes)``) both read.
RAM_BYTES = 16 * 1024
#: The chip's host register map (``hdl/spec/regmap.py``: registers, activation SRAM at
#: +0x40000, tile window at +0x80000): ``CHIP_BASE + offset`` from ``rram_regs.h``.
CHIP_BASE = 0x8000_0000
CHIP_BYTES = 1 << 20
#: A 16550 subset at QEMU or1k-sim's UART address (THR, IER, LSR), on PIC line PIC_UART.
UART_BASE = 0x9000_0000
UART_BYTES = 8
#: PIC lines: the UART's as in QEMU or1k-sim; the chip's interrupt next to it.
PIC_UART = 2
PIC_CHIP = 3

#: ``l.nop NOP_EXIT`` is the test programs' end marker (``sw/fw/crt0.S``'s ``_exit``:
#: ``l.nop 1`` in the delay slot of a jump to itself); QEMU 7.2 does not stop on it, so the
#: trace reader stops at the first jump-to-self.
NOP_EXIT = 1

# -- external port (the chip's 20-bit host map; regmap.py leaves 0xC0000-0xFFFFF free) -----

#: CPU control register (RW): bit 0 RUN (0 holds the core in reset).
EXT_CPU_CTRL = 0xC0000
#: Window onto the CPU's program memory: EXT_CPU_MEM + a is CPU address RAM_BASE + a.
EXT_CPU_MEM = 0xE0000
EXT_CPU_MEM_BYTES = 0x20000


class CpuCtrl(enum.IntEnum):
    """Bits of EXT_CPU_CTRL."""
    RUN = 0


def spr_name(n):
    """Name of SPR ``n`` (or its hex number)."""
    try:
        return Spr(n).name
    except ValueError:
        return f"spr 0x{n:04x}"
