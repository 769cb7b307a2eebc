"""A small multi-cycle OpenRISC 1000 core (ORBIS32 integer subset, ``hdl/spec/or1k.py``).

One instruction at a time, no pipeline: **Fetch** (instruction Wishbone cycle) ->
**Execute** (decode, register read, ALU, branch, SPRs; most instructions retire here) ->
**Memory** (loads and stores: one data Wishbone cycle), **Multiply** (2 cycles: the product
between registers, then write-back) or **Divide** (32 cycles, one quotient bit each).

The instruction bus carries the next cycle's pc (``pc_next``) in every state, so a memory
that reads its address every cycle has the next instruction when the fetch starts: the SoC
acknowledges such a fetch at once. With it an ALU instruction takes 2 cycles, a load or
store in the program memory 4, a multiply 4 (``docs/cpu.md``).

Delay slots: a jump or branch records its target (taken or not: a branch not taken goes to
``pc + 8``); the instruction after it executes, then the core goes to the target.
Interrupts are taken at an instruction boundary that is not a delay slot.

Exceptions as QEMU's or1k takes them: ESR0 <- SR, EPCR0 <- the faulting instruction
(the next one after l.sys; the branch when it faulted in a delay slot, with SR[DSX]),
EEAR0 <- the faulting address (the instruction's own for an illegal instruction),
SR[SM] <- 1, SR[IEE, TEE] <- 0, PC <- the vector.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import enum as aenum
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.spec.or1k import (
    RESET_PC,
    SR_RESET,
    SR_WRITABLE,
    UPR_VALUE,
    VR_VALUE,
    AluOp,
    ExtOp,
    Op,
    SfCond,
    ShiftOp,
    Spr,
    SrBit,
    Vector,
)

__all__ = ["Or1kCore", "wishbone_master_signature", "retire_signature"]


def wishbone_master_signature():
    """A Wishbone classic master (32-bit data, byte selects, word address ``adr``), seen from
    the master. Big-endian lanes: ``sel[3]`` is the byte at address ``4 adr + 0``."""
    return wiring.Signature({
        "cyc": Out(1), "stb": Out(1), "we": Out(1), "adr": Out(30), "sel": Out(4),
        "dat_w": Out(32), "dat_r": In(32), "ack": In(1), "err": In(1),
    })


def retire_signature():
    """What the core reports for every instruction it finishes (valid one cycle, registered):
    an instruction that raised an exception is reported too, with ``exception`` its vector
    (an interrupt is not an instruction and is not reported)."""
    return wiring.Signature({
        "valid": Out(1), "pc": Out(32), "insn": Out(32),
        "rf_we": Out(1), "rf_idx": Out(5), "rf_value": Out(32),
        "sr": Out(32), "exception": Out(12),
    })


class _State(aenum.Enum, shape=3):
    FETCH = 0
    EXECUTE = 1
    MEMORY = 2
    DIVIDE = 3
    MULTIPLY = 4


class Or1kCore(wiring.Component):
    """OpenRISC 1000 core, ORBIS32 integer subset.

    Parameters
    ----------
    reset_pc : int
        Address of the first instruction (the reset vector, 0x100).

    Attributes
    ----------
    ibus : wishbone_master_signature
        Instruction fetches (reads of whole words).
    dbus : wishbone_master_signature
        Loads and stores.
    irq : In(32)
        The PIC's interrupt lines, level sensitive: PICSR reads them, PICMR masks them.
    retire : retire_signature
        Trace of the instructions it finishes, for testbenches.

    Raises
    ------
    ValueError
        ``reset_pc`` not a word address in 32 bits.
    """

    def __init__(self, reset_pc=RESET_PC):
        if not (isinstance(reset_pc, int) and 0 <= reset_pc < 2**32 and reset_pc % 4 == 0):
            raise ValueError(f"reset_pc = {reset_pc!r}: must be a word-aligned 32-bit address")
        self._reset_pc = reset_pc
        super().__init__({
            "ibus": Out(wishbone_master_signature()),
            "dbus": Out(wishbone_master_signature()),
            "irq": In(32),
            "retire": Out(retire_signature()),
        })

    @property
    def reset_pc(self):
        return self._reset_pc

    def elaborate(self, platform):
        m = Module()

        # -- submodules: the register file (two asynchronous read ports, one write port;
        # distributed RAM on an FPGA). r0 is never written, so it reads 0.
        m.submodules.rf = rf = Memory(shape=32, depth=32, init=[0] * 32)
        rd_a = rf.read_port(domain="comb")
        rd_b = rf.read_port(domain="comb")
        wr = rf.write_port()

        # -- architectural state
        state = Signal(_State)
        pc = Signal(32, init=self._reset_pc)
        # The pc of the next cycle: every change of pc goes through it, and the instruction
        # bus carries it as the address, so a memory can read the next instruction while
        # the current one finishes (the SoC then acknowledges a fetch with no wait state).
        pc_next = Signal(32)
        insn = Signal(32)
        in_delay = Signal()         # the instruction at pc is a delay slot
        delay_target = Signal(32)   # where to go after the delay slot
        sr = Signal(17, init=SR_RESET)
        epcr = Signal(32)
        eear = Signal(32)
        esr = Signal(17)
        picmr = Signal(32)
        fetching = Signal()         # an instruction fetch is on the bus (cannot be dropped)

        flag = sr[SrBit.F]
        carry = sr[SrBit.CY]

        # -- decode
        opc = insn[26:32]
        f_rd = insn[21:26]
        f_ra = insn[16:21]
        f_rb = insn[11:16]
        imm = insn[0:16]
        simm = Signal(signed(32))
        m.d.comb += simm.eq(imm.as_signed())
        store_imm = Cat(insn[0:11], insn[21:26]).as_signed()
        jump_off = Cat(Const(0, 2), insn[0:26]).as_signed()
        alu_op = insn[0:4]
        sub_op = insn[6:10]         # shift type (7:6) and ext kinds (9:6)
        hi_op = insn[8:10]          # 11 for multiply/divide

        m.d.comb += [rd_a.addr.eq(f_ra), rd_b.addr.eq(f_rb)]
        a = rd_a.data
        b = rd_b.data

        # -- the operation of the instruction in Execute (combinational)
        result = Signal(32)         # value for rD (or r9 for l.jal/l.jalr)
        rf_we = Signal()
        rf_idx = Signal(5)
        illegal = Signal()
        exc_vector = Signal(12)     # synchronous exception raised by the instruction, 0 if none
        is_branch = Signal()        # a jump/branch: the next instruction is its delay slot
        branch_target = Signal(32)
        set_flag = Signal()
        flag_value = Signal()
        set_cy = Signal()
        cy_value = Signal()
        set_ov = Signal()
        ov_value = Signal()
        to_memory = Signal()
        mem_we = Signal()
        mem_size = Signal(2)        # 0 byte, 1 half, 2 word
        mem_signed = Signal()
        mem_addr = Signal(32)
        to_divide = Signal()
        div_signed = Signal()
        to_multiply = Signal()
        spr_write = Signal()
        spr_addr = Signal(16)
        is_rfe = Signal()

        # Adder shared by add/addi/addc/addic/sub: a + (b or ~b) + carry-in, 33 bits.
        add_b = Signal(32)
        add_cin = Signal()
        add_sum = Signal(33)
        m.d.comb += add_sum.eq(a + add_b + add_cin)
        add_ov = (a[31] == add_b[31]) & (add_sum[31] != a[31])

        # One 33 x 33 signed multiplier for l.mul/l.muli (signed) and l.mulu (unsigned),
        # between registers: Execute latches the operands, Multiply latches the product in
        # its first cycle and writes it back in its second (the one-cycle multiply of the
        # first version was the SoC's critical path, 27 ns).
        mul_b = Signal(32)          # the second operand in Execute: rB or the immediate
        mul_unsigned = Signal()
        mul_a_r = Signal(32)
        mul_b_r = Signal(32)
        mul_unsigned_r = Signal()
        mul_done = Signal()         # Multiply: the product is in product_r
        product = Signal(signed(66))
        product_r = Signal(64)
        m.d.comb += product.eq(Cat(mul_a_r, mul_a_r[31] & ~mul_unsigned_r).as_signed()
                               * Cat(mul_b_r, mul_b_r[31] & ~mul_unsigned_r).as_signed())
        prod_lo = product_r[0:32]
        prod_hi = product_r[32:64]
        mul_ov = prod_hi != Mux(prod_lo[31], 0xFFFF_FFFF, 0)
        mul_cy = prod_hi != 0

        # Compares (l.sf* with rB, l.sf*i with the sign-extended immediate).
        cmp_b = Mux(opc == Op.SFI, simm.as_unsigned(), b)
        cond = insn[21:26]
        # One 33-bit subtraction serves the eight orderings: a < b when a - b is negative,
        # the operands extended by their sign bits (signed) or by 0 (unsigned).
        cmp_signed = cond.matches(SfCond.GTS, SfCond.GES, SfCond.LTS, SfCond.LES)
        cmp_diff = Signal(33)
        m.d.comb += cmp_diff.eq(Cat(a, a[31] & cmp_signed) - Cat(cmp_b, cmp_b[31] & cmp_signed))
        cmp_eq = a == cmp_b
        cmp_lt = cmp_diff[32]
        cmp_value = Signal()
        with m.Switch(cond):
            with m.Case(SfCond.EQ):
                m.d.comb += cmp_value.eq(cmp_eq)
            with m.Case(SfCond.NE):
                m.d.comb += cmp_value.eq(~cmp_eq)
            with m.Case(SfCond.GTU, SfCond.GTS):
                m.d.comb += cmp_value.eq(~cmp_lt & ~cmp_eq)
            with m.Case(SfCond.GEU, SfCond.GES):
                m.d.comb += cmp_value.eq(~cmp_lt)
            with m.Case(SfCond.LTU, SfCond.LTS):
                m.d.comb += cmp_value.eq(cmp_lt)
            with m.Case(SfCond.LEU, SfCond.LES):
                m.d.comb += cmp_value.eq(cmp_lt | cmp_eq)
        cond_ok = Signal()
        m.d.comb += cond_ok.eq(cond.matches(*[c.value for c in SfCond]))

        # Shifts (register amount or immediate): only the low 5 bits count, as QEMU.
        sh_amount = Mux(opc == Op.SHIFTI, insn[0:5], b[0:5])
        sh_kind = insn[6:8]
        # One right shifter for the four kinds: a 64-bit word (fill : operand) shifted
        # right, the low half kept. The fill is 0 (SRL, SLL), the sign (SRA) or the operand
        # itself (ROR); SLL shifts the bit-reversed operand right and reverses the result.
        sh_left = sh_kind == ShiftOp.SLL
        sh_in = Mux(sh_left, a[::-1], a)
        sh_fill = Signal(32)
        with m.Switch(sh_kind):
            with m.Case(ShiftOp.SRA):
                m.d.comb += sh_fill.eq(a[31].replicate(32))
            with m.Case(ShiftOp.ROR):
                m.d.comb += sh_fill.eq(a)
        sh_out = (Cat(sh_in, sh_fill) >> sh_amount)[0:32]
        sh_result = Signal(32)
        m.d.comb += sh_result.eq(Mux(sh_left, sh_out[::-1], sh_out))

        # l.ff1: 1 + index of the lowest set bit; l.fl1: 1 + index of the highest; 0 if none.
        # One circuit for both (hi_op 1 is l.fl1): the lowest set bit of the operand, or of
        # its bit reversal, isolated (x & -x) and encoded; fl1 = 32 - that index.
        find_last = hi_op == 1
        find_x = Mux(find_last, a[::-1], a)
        find_low = Signal(32)
        m.d.comb += find_low.eq(find_x & -find_x)
        find_idx = Signal(5)
        for k in range(5):
            m.d.comb += find_idx[k].eq(Cat(find_low[i] for i in range(32) if i >> k & 1).any())
        ff1 = Signal(32)        # l.ff1 or l.fl1, as hi_op selects
        m.d.comb += ff1.eq(Mux(a == 0, 0, Mux(find_last, 32 - find_idx, find_idx + 1)))

        # SPR reads.
        spr_rdata = Signal(32)
        picsr = self.irq
        with m.Switch(spr_addr):
            with m.Case(Spr.VR):
                m.d.comb += spr_rdata.eq(VR_VALUE)
            with m.Case(Spr.UPR):
                m.d.comb += spr_rdata.eq(UPR_VALUE)
            with m.Case(Spr.SR):
                m.d.comb += spr_rdata.eq(sr)
            with m.Case(Spr.EPCR0):
                m.d.comb += spr_rdata.eq(epcr)
            with m.Case(Spr.EEAR0):
                m.d.comb += spr_rdata.eq(eear)
            with m.Case(Spr.ESR0):
                m.d.comb += spr_rdata.eq(esr)
            with m.Case(Spr.PICMR):
                m.d.comb += spr_rdata.eq(picmr)
            with m.Case(Spr.PICSR):
                m.d.comb += spr_rdata.eq(picsr)

        m.d.comb += [rf_idx.eq(f_rd), add_b.eq(b), mul_b.eq(b),
                     mem_addr.eq(a + simm)]
        link = pc + 8

        with m.Switch(opc):
            with m.Case(Op.J):
                m.d.comb += [is_branch.eq(1), branch_target.eq(pc + jump_off)]
            with m.Case(Op.JAL):
                m.d.comb += [is_branch.eq(1), branch_target.eq(pc + jump_off),
                             rf_we.eq(1), rf_idx.eq(9), result.eq(link)]
            with m.Case(Op.BF):
                m.d.comb += [is_branch.eq(1),
                             branch_target.eq(Mux(flag, pc + jump_off, pc + 8))]
            with m.Case(Op.BNF):
                m.d.comb += [is_branch.eq(1),
                             branch_target.eq(Mux(flag, pc + 8, pc + jump_off))]
            with m.Case(Op.NOP):
                m.d.comb += illegal.eq(insn[24:26] != 1)
            with m.Case(Op.MOVHI):
                m.d.comb += [illegal.eq(insn[16]), rf_we.eq(1), result.eq(Cat(Const(0, 16), imm))]
            with m.Case(Op.SYS):
                with m.Switch(insn[16:26]):
                    with m.Case(0x000):
                        m.d.comb += exc_vector.eq(Vector.SYSCALL)
                    with m.Case(0x100):
                        m.d.comb += exc_vector.eq(Vector.TRAP)
                    with m.Case(0x200, 0x280, 0x300):
                        pass    # l.msync, l.psync, l.csync: nothing to wait for here
                    with m.Default():
                        m.d.comb += illegal.eq(1)
            with m.Case(Op.RFE):
                m.d.comb += is_rfe.eq(1)
            with m.Case(Op.JR):
                m.d.comb += [is_branch.eq(1), branch_target.eq(b)]
            with m.Case(Op.JALR):
                m.d.comb += [is_branch.eq(1), branch_target.eq(b),
                             rf_we.eq(1), rf_idx.eq(9), result.eq(link)]
            with m.Case(Op.LWZ, Op.LWS):
                m.d.comb += [to_memory.eq(1), mem_size.eq(2)]
            with m.Case(Op.LBZ):
                m.d.comb += [to_memory.eq(1), mem_size.eq(0)]
            with m.Case(Op.LBS):
                m.d.comb += [to_memory.eq(1), mem_size.eq(0), mem_signed.eq(1)]
            with m.Case(Op.LHZ):
                m.d.comb += [to_memory.eq(1), mem_size.eq(1)]
            with m.Case(Op.LHS):
                m.d.comb += [to_memory.eq(1), mem_size.eq(1), mem_signed.eq(1)]
            with m.Case(Op.SW):
                m.d.comb += [to_memory.eq(1), mem_we.eq(1), mem_size.eq(2),
                             mem_addr.eq(a + store_imm)]
            with m.Case(Op.SH):
                m.d.comb += [to_memory.eq(1), mem_we.eq(1), mem_size.eq(1),
                             mem_addr.eq(a + store_imm)]
            with m.Case(Op.SB):
                m.d.comb += [to_memory.eq(1), mem_we.eq(1), mem_size.eq(0),
                             mem_addr.eq(a + store_imm)]
            with m.Case(Op.ADDI):
                m.d.comb += [add_b.eq(simm), rf_we.eq(1), result.eq(add_sum[0:32]),
                             set_cy.eq(1), cy_value.eq(add_sum[32]),
                             set_ov.eq(1), ov_value.eq(add_ov)]
            with m.Case(Op.ADDIC):
                m.d.comb += [add_b.eq(simm), add_cin.eq(carry), rf_we.eq(1),
                             result.eq(add_sum[0:32]),
                             set_cy.eq(1), cy_value.eq(add_sum[32]),
                             set_ov.eq(1), ov_value.eq(add_ov)]
            with m.Case(Op.ANDI):
                m.d.comb += [rf_we.eq(1), result.eq(a & imm)]
            with m.Case(Op.ORI):
                m.d.comb += [rf_we.eq(1), result.eq(a | imm)]
            with m.Case(Op.XORI):
                m.d.comb += [rf_we.eq(1), result.eq(a ^ simm.as_unsigned())]
            with m.Case(Op.MULI):
                m.d.comb += [mul_b.eq(simm), to_multiply.eq(1)]
            with m.Case(Op.MFSPR):
                m.d.comb += [spr_addr.eq(a | imm), rf_we.eq(1), result.eq(spr_rdata)]
            with m.Case(Op.SHIFTI):
                m.d.comb += [rf_we.eq(1), result.eq(sh_result)]
            with m.Case(Op.SFI, Op.SF):
                m.d.comb += [illegal.eq(~cond_ok), set_flag.eq(1), flag_value.eq(cmp_value)]
            with m.Case(Op.MTSPR):
                m.d.comb += [spr_addr.eq(a | Cat(insn[0:11], insn[21:26])), spr_write.eq(1)]
            with m.Case(Op.ALU):
                self._alu(m, alu_op, hi_op, sub_op, a, b, carry, add_b, add_cin, add_sum,
                          add_ov, mul_unsigned, to_multiply, sh_result, ff1,
                          flag, result, rf_we, illegal, set_cy, cy_value, set_ov, ov_value,
                          to_divide, div_signed)
            with m.Default():
                m.d.comb += illegal.eq(1)

        misaligned = Signal()
        with m.Switch(mem_size):
            with m.Case(1):
                m.d.comb += misaligned.eq(mem_addr[0])
            with m.Case(2):
                m.d.comb += misaligned.eq(mem_addr[0:2] != 0)

        # -- divider: restoring, one quotient bit per cycle, on magnitudes.
        div_rem = Signal(32)
        div_quo = Signal(32)        # the dividend shifts out as the quotient shifts in
        div_den = Signal(32)
        div_neg = Signal()          # negate the quotient at the end
        div_count = Signal(6)
        trial = Signal(33)
        m.d.comb += trial.eq(Cat(div_quo[31], div_rem) - div_den)

        # -- buses
        ibus, dbus = self.ibus, self.dbus
        mem_lane = Signal(2)        # byte offset of the access
        mem_addr_r = Signal(32)
        mem_size_r = Signal(2)
        mem_signed_r = Signal()
        mem_we_r = Signal()
        store_data = Signal(32)
        m.d.comb += [
            pc_next.eq(pc),
            ibus.adr.eq(pc_next[2:32]),
            ibus.sel.eq(0b1111),
            dbus.adr.eq(mem_addr_r[2:32]),
            dbus.we.eq(mem_we_r),
            mem_lane.eq(mem_addr_r[0:2]),
        ]
        # Big-endian lanes: the byte at offset k is bits 31-8k .. 24-8k, sel bit 3-k.
        with m.Switch(mem_size_r):
            with m.Case(0):
                m.d.comb += [dbus.sel.eq(Const(0b1000, 4) >> mem_lane),
                             dbus.dat_w.eq(store_data[0:8].replicate(4))]
            with m.Case(1):
                m.d.comb += [dbus.sel.eq(Mux(mem_lane[1], 0b0011, 0b1100)),
                             dbus.dat_w.eq(store_data[0:16].replicate(2))]
            with m.Default():
                m.d.comb += [dbus.sel.eq(0b1111), dbus.dat_w.eq(store_data)]
        load_value = Signal(32)
        with m.Switch(mem_size_r):
            with m.Case(0):
                byte = dbus.dat_r.word_select(~mem_lane, 8)
                m.d.comb += load_value.eq(Mux(mem_signed_r, byte.as_signed(), byte))
            with m.Case(1):
                half = Mux(mem_lane[1], dbus.dat_r[0:16], dbus.dat_r[16:32])
                m.d.comb += load_value.eq(Mux(mem_signed_r, half.as_signed(), half))
            with m.Default():
                m.d.comb += load_value.eq(dbus.dat_r)

        # -- interrupts: level lines masked by PICMR, enabled by SR[IEE], taken before a
        # fetch starts (a fetch on the bus must end before the core can leave it).
        irq_pending = Signal()
        m.d.comb += irq_pending.eq(((self.irq & picmr) != 0) & sr[SrBit.IEE])
        take_irq = Signal()
        m.d.comb += take_irq.eq((state == _State.FETCH) & ~fetching & irq_pending & ~in_delay)

        # -- retirement and exception entry (shared by every state)
        ret = self.retire
        m.d.sync += ret.valid.eq(0)
        m.d.comb += [wr.addr.eq(rf_idx), wr.data.eq(result)]

        def retire(exception=0):
            m.d.sync += [ret.valid.eq(1), ret.pc.eq(pc), ret.insn.eq(insn),
                         ret.exception.eq(exception), ret.rf_we.eq(0)]

        def report_write(idx, value):
            m.d.sync += [ret.rf_we.eq(idx != 0), ret.rf_idx.eq(idx), ret.rf_value.eq(value)]

        def next_pc():
            # After the instruction at pc: its delay slot, the delayed target, or pc + 4.
            with m.If(in_delay):
                m.d.comb += pc_next.eq(delay_target)
                m.d.sync += in_delay.eq(0)
            with m.Else():
                m.d.comb += pc_next.eq(pc + 4)

        def write_back_long(value, unsigned, cy, ov):
            # The last cycle of l.mul* (MULTIPLY) or l.div* (DIVIDE): rD, then SR[CY] for
            # the unsigned kinds or SR[OV] for the signed ones, as QEMU.
            retire()
            with m.If(f_rd != 0):
                m.d.comb += [wr.en.eq(1), wr.data.eq(value)]
                report_write(f_rd, value)
            with m.If(unsigned):
                m.d.sync += sr[SrBit.CY].eq(cy)
            with m.Else():
                m.d.sync += sr[SrBit.OV].eq(ov)
            next_pc()
            m.d.sync += state.eq(_State.FETCH)

        def enter_exception(vector, epc, delay, ea=None):
            m.d.comb += pc_next.eq(vector)
            m.d.sync += [
                esr.eq(sr), epcr.eq(epc), in_delay.eq(0),
                sr.eq((sr | (1 << SrBit.SM)) & ~((1 << SrBit.IEE) | (1 << SrBit.TEE)
                                                  | (1 << SrBit.DSX))
                      | Mux(delay, 1 << SrBit.DSX, 0)),
                state.eq(_State.FETCH),
            ]
            if ea is not None:
                m.d.sync += eear.eq(ea)

        # The address an exception of the instruction at pc reports: the branch (pc - 4)
        # when it is in a delay slot.
        epc_here = Mux(in_delay, pc - 4, pc)

        with m.Switch(state):
            with m.Case(_State.FETCH):
                with m.If(take_irq):
                    enter_exception(Vector.INTERRUPT, pc, 0)
                with m.Else():
                    m.d.comb += [ibus.cyc.eq(1), ibus.stb.eq(1)]
                    m.d.sync += fetching.eq(1)
                    # Two separate conditions: the next pc (the bus address) must not
                    # depend on ACK, which a memory may give in the same cycle.
                    with m.If(ibus.err):
                        m.d.sync += [fetching.eq(0), insn.eq(0)]
                        m.d.sync += [ret.valid.eq(1), ret.pc.eq(pc), ret.insn.eq(0),
                                     ret.exception.eq(Vector.BUS_ERROR), ret.rf_we.eq(0)]
                        enter_exception(Vector.BUS_ERROR, epc_here, in_delay, ea=pc)
                    with m.If(ibus.ack & ~ibus.err):
                        m.d.sync += [insn.eq(ibus.dat_r), fetching.eq(0),
                                     state.eq(_State.EXECUTE)]

            with m.Case(_State.EXECUTE):
                with m.If(illegal):
                    retire(Vector.ILLEGAL)
                    enter_exception(Vector.ILLEGAL, epc_here, in_delay, ea=pc)
                with m.Elif(exc_vector == Vector.SYSCALL):
                    retire(Vector.SYSCALL)
                    enter_exception(Vector.SYSCALL, Mux(in_delay, pc, pc + 4), in_delay)
                with m.Elif(exc_vector == Vector.TRAP):
                    retire(Vector.TRAP)
                    enter_exception(Vector.TRAP, epc_here, in_delay)
                with m.Elif(to_memory & misaligned):
                    retire(Vector.ALIGNMENT)
                    enter_exception(Vector.ALIGNMENT, epc_here, in_delay, ea=mem_addr)
                with m.Elif(to_memory):
                    m.d.sync += [mem_addr_r.eq(mem_addr), mem_size_r.eq(mem_size),
                                 mem_signed_r.eq(mem_signed), mem_we_r.eq(mem_we),
                                 store_data.eq(b), state.eq(_State.MEMORY)]
                with m.Elif(to_multiply):
                    m.d.sync += [mul_a_r.eq(a), mul_b_r.eq(mul_b),
                                 mul_unsigned_r.eq(mul_unsigned), mul_done.eq(0),
                                 state.eq(_State.MULTIPLY)]
                with m.Elif(to_divide):
                    a_neg = div_signed & a[31]
                    b_neg = div_signed & b[31]
                    m.d.sync += [
                        div_rem.eq(0),
                        div_quo.eq(Mux(a_neg, -a, a)),
                        div_den.eq(Mux(b_neg, -b, b)),
                        div_neg.eq(a_neg ^ b_neg),
                        div_count.eq(0),
                        state.eq(_State.DIVIDE),
                    ]
                with m.Elif(is_rfe):
                    retire()
                    m.d.comb += pc_next.eq(epcr)
                    m.d.sync += [sr.eq(esr | (1 << SrBit.FO)), in_delay.eq(0),
                                 state.eq(_State.FETCH)]
                with m.Else():
                    retire()
                    with m.If(rf_we & (rf_idx != 0)):
                        m.d.comb += wr.en.eq(1)
                        report_write(rf_idx, result)
                    with m.If(set_flag):
                        m.d.sync += sr[SrBit.F].eq(flag_value)
                    with m.If(set_cy):
                        m.d.sync += sr[SrBit.CY].eq(cy_value)
                    with m.If(set_ov):
                        m.d.sync += sr[SrBit.OV].eq(ov_value)
                    with m.If(spr_write):
                        self._spr_write(m, spr_addr, b, sr, epcr, eear, esr, picmr)
                    with m.If(is_branch):
                        m.d.comb += pc_next.eq(pc + 4)
                        m.d.sync += [in_delay.eq(1),
                                     delay_target.eq(branch_target)]
                    with m.Else():
                        next_pc()
                    m.d.sync += state.eq(_State.FETCH)

            with m.Case(_State.MEMORY):
                m.d.comb += [dbus.cyc.eq(1), dbus.stb.eq(1)]
                with m.If(dbus.ack):
                    retire()
                    with m.If(~mem_we_r & (f_rd != 0)):
                        m.d.comb += [wr.en.eq(1), wr.data.eq(load_value)]
                        report_write(f_rd, load_value)
                    next_pc()
                    m.d.sync += state.eq(_State.FETCH)
                with m.Elif(dbus.err):
                    retire(Vector.BUS_ERROR)
                    enter_exception(Vector.BUS_ERROR, epc_here, in_delay, ea=mem_addr_r)

            with m.Case(_State.DIVIDE):
                # One bit of the quotient per cycle: shift the next dividend bit into the
                # remainder, subtract the divisor if it fits.
                fits = ~trial[32]
                m.d.sync += [
                    div_rem.eq(Mux(fits, trial[0:32], Cat(div_quo[31], div_rem[0:31]))),
                    div_quo.eq(Cat(fits, div_quo[0:31])),
                    div_count.eq(div_count + 1),
                ]
                with m.If(div_count == 31):
                    quotient = Cat(fits, div_quo[0:31])
                    value = Signal(32)
                    zero = b == 0
                    # Division by zero: QEMU divides by 1 (the result is rA) and sets
                    # SR[OV] (l.div) or SR[CY] (l.divu).
                    m.d.comb += value.eq(Mux(zero, a, Mux(div_neg, -quotient, quotient)))
                    write_back_long(value, ~div_signed, cy=zero, ov=zero)

            with m.Case(_State.MULTIPLY):
                with m.If(~mul_done):
                    m.d.sync += [product_r.eq(product[0:64]), mul_done.eq(1)]
                with m.Else():
                    # l.mul, l.muli: SR[OV] (the product does not fit in 32 signed bits);
                    # l.mulu: SR[CY] (nor in 32 unsigned bits), as QEMU.
                    write_back_long(prod_lo, mul_unsigned_r, cy=mul_cy, ov=mul_ov)

        m.d.sync += pc.eq(pc_next)

        # The retire report carries the SR after the instruction (read one cycle later).
        m.d.comb += ret.sr.eq(sr)
        m.d.comb += div_signed.eq(alu_op == AluOp.DIV)
        return m

    @staticmethod
    def _alu(m, alu_op, hi_op, sub_op, a, b, carry, add_b, add_cin, add_sum, add_ov,
             mul_unsigned, to_multiply, sh_result, ff1, flag, result, rf_we,
             illegal, set_cy, cy_value, set_ov, ov_value, to_divide, div_signed):
        """Opcode 0x38: register-register operations (bits 3:0, with bits 9:6)."""
        plain = hi_op == 0
        muldiv = hi_op == 3
        m.d.comb += rf_we.eq(1)
        with m.Switch(alu_op):
            with m.Case(AluOp.ADD, AluOp.ADDC):
                m.d.comb += [illegal.eq(~plain), result.eq(add_sum[0:32]),
                             add_cin.eq((alu_op == AluOp.ADDC) & carry),
                             set_cy.eq(1), cy_value.eq(add_sum[32]),
                             set_ov.eq(1), ov_value.eq(add_ov)]
            with m.Case(AluOp.SUB):
                # a - b = a + ~b + 1; the borrow (CY) is the inverted carry out.
                m.d.comb += [illegal.eq(~plain), add_b.eq(~b), add_cin.eq(1),
                             result.eq(add_sum[0:32]),
                             set_cy.eq(1), cy_value.eq(~add_sum[32]),
                             set_ov.eq(1), ov_value.eq(add_ov)]
            with m.Case(AluOp.AND):
                m.d.comb += [illegal.eq(~plain), result.eq(a & b)]
            with m.Case(AluOp.OR):
                m.d.comb += [illegal.eq(~plain), result.eq(a | b)]
            with m.Case(AluOp.XOR):
                m.d.comb += [illegal.eq(~plain), result.eq(a ^ b)]
            with m.Case(AluOp.MUL):
                m.d.comb += [illegal.eq(~muldiv), to_multiply.eq(1)]
            with m.Case(AluOp.MULU):
                m.d.comb += [illegal.eq(~muldiv), mul_unsigned.eq(1), to_multiply.eq(1)]
            with m.Case(AluOp.DIV, AluOp.DIVU):
                m.d.comb += [illegal.eq(~muldiv), to_divide.eq(1)]
            with m.Case(AluOp.SHIFT):
                m.d.comb += [illegal.eq(~plain), result.eq(sh_result)]
            with m.Case(AluOp.EXT):
                with m.Switch(sub_op):
                    with m.Case(ExtOp.EXTHS):
                        m.d.comb += result.eq(a[0:16].as_signed())
                    with m.Case(ExtOp.EXTBS):
                        m.d.comb += result.eq(a[0:8].as_signed())
                    with m.Case(ExtOp.EXTHZ):
                        m.d.comb += result.eq(a[0:16])
                    with m.Case(ExtOp.EXTBZ):
                        m.d.comb += result.eq(a[0:8])
                    with m.Default():
                        m.d.comb += illegal.eq(1)
            with m.Case(AluOp.CMOV):
                m.d.comb += [illegal.eq(~plain), result.eq(Mux(flag, a, b))]
            with m.Case(AluOp.FF1):
                # ff1 is l.fl1's value when hi_op = 1
                m.d.comb += [illegal.eq(hi_op[1]), result.eq(ff1)]
            with m.Default():
                m.d.comb += illegal.eq(1)

    @staticmethod
    def _spr_write(m, spr_addr, value, sr, epcr, eear, esr, picmr):
        """l.mtspr: the SPRs that can be written; others ignore the write."""
        with m.Switch(spr_addr):
            with m.Case(Spr.SR):
                m.d.sync += sr.eq((value & SR_WRITABLE) | (1 << SrBit.FO))
            with m.Case(Spr.EPCR0):
                m.d.sync += epcr.eq(value)
            with m.Case(Spr.EEAR0):
                m.d.sync += eear.eq(value)
            with m.Case(Spr.ESR0):
                m.d.sync += esr.eq((value & SR_WRITABLE) | (1 << SrBit.FO))
            with m.Case(Spr.PICMR):
                m.d.sync += picmr.eq(value)
