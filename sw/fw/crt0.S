/* Start-up code and exception vectors of the on-chip OpenRISC core (docs/cpu.md).
 *
 * Reset (0x100): clear every register (QEMU's or1k-sim hands over r3 = its device-tree
 * address; the core resets them to 0: clearing makes both start alike), set the stack at
 * the top of the program memory, clear .bss, call main, and stop at _exit with main's
 * result in r3. _exit is a jump to itself with `l.nop 1` in its delay slot: the end
 * marker the trace tests look for (QEMU 7.2 does not stop on l.nop 1).
 *
 * Every other vector saves the registers on the stack and calls
 *     void or1k_exception(unsigned vector, unsigned *regs)
 * (regs[i] is ri as it was; writing regs[i] changes ri on return), then l.rfe. The default
 * handler (weak) ends the program with r3 = 0xE000 + vector.
 */

#define FRAME (32 * 4)

    .section .vectors, "ax"

    .org 0x100
    .global _reset
_reset:
    l.or    r1, r0, r0
    l.or    r2, r0, r0
    l.or    r3, r0, r0
    l.or    r4, r0, r0
    l.or    r5, r0, r0
    l.or    r6, r0, r0
    l.or    r7, r0, r0
    l.or    r8, r0, r0
    l.or    r9, r0, r0
    l.or    r10, r0, r0
    l.or    r11, r0, r0
    l.or    r12, r0, r0
    l.or    r13, r0, r0
    l.or    r14, r0, r0
    l.or    r15, r0, r0
    l.or    r16, r0, r0
    l.or    r17, r0, r0
    l.or    r18, r0, r0
    l.or    r19, r0, r0
    l.or    r20, r0, r0
    l.or    r21, r0, r0
    l.or    r22, r0, r0
    l.or    r23, r0, r0
    l.or    r24, r0, r0
    l.or    r25, r0, r0
    l.or    r26, r0, r0
    l.or    r27, r0, r0
    l.or    r28, r0, r0
    l.or    r29, r0, r0
    l.or    r30, r0, r0
    l.or    r31, r0, r0
    l.movhi r1, hi(_stack_top)
    l.j     _start
    l.ori   r1, r1, lo(_stack_top)

#define VECTOR(addr)                 \
    .org addr;                       \
    l.addi  r1, r1, -FRAME;          \
    l.sw    12(r1), r3;              \
    l.j     _exception;              \
    l.ori   r3, r0, addr

VECTOR(0x200)
VECTOR(0x300)
VECTOR(0x400)
VECTOR(0x500)
VECTOR(0x600)
VECTOR(0x700)
VECTOR(0x800)
VECTOR(0x900)
VECTOR(0xa00)
VECTOR(0xb00)
VECTOR(0xc00)
VECTOR(0xd00)
VECTOR(0xe00)

    .text
    .global _start
_start:
    /* clear .bss (word aligned by the linker script) */
    l.movhi r3, hi(__bss_start)
    l.ori   r3, r3, lo(__bss_start)
    l.movhi r4, hi(__bss_end)
    l.ori   r4, r4, lo(__bss_end)
1:  l.sfltu r3, r4
    l.bnf   2f
    l.nop
    l.sw    0(r3), r0
    l.j     1b
    l.addi  r3, r3, 4
2:  l.jal   main
    l.nop
    l.or    r3, r11, r11
    .global _exit
_exit:
    l.j     _exit
    l.nop   1

/* r3 = vector, the interrupted r3 at 12(r1), r1 already lowered by FRAME */
_exception:
    l.sw    4(r1), r0           /* slot of r1: filled below */
    l.sw    8(r1), r2
    l.sw    16(r1), r4
    l.sw    20(r1), r5
    l.sw    24(r1), r6
    l.sw    28(r1), r7
    l.sw    32(r1), r8
    l.sw    36(r1), r9
    l.sw    40(r1), r10
    l.sw    44(r1), r11
    l.sw    48(r1), r12
    l.sw    52(r1), r13
    l.sw    56(r1), r14
    l.sw    60(r1), r15
    l.sw    64(r1), r16
    l.sw    68(r1), r17
    l.sw    72(r1), r18
    l.sw    76(r1), r19
    l.sw    80(r1), r20
    l.sw    84(r1), r21
    l.sw    88(r1), r22
    l.sw    92(r1), r23
    l.sw    96(r1), r24
    l.sw    100(r1), r25
    l.sw    104(r1), r26
    l.sw    108(r1), r27
    l.sw    112(r1), r28
    l.sw    116(r1), r29
    l.sw    120(r1), r30
    l.sw    124(r1), r31
    l.addi  r4, r1, FRAME
    l.sw    4(r1), r4
    l.jal   or1k_exception
    l.or    r4, r1, r1
    l.lwz   r2, 8(r1)
    l.lwz   r4, 16(r1)
    l.lwz   r5, 20(r1)
    l.lwz   r6, 24(r1)
    l.lwz   r7, 28(r1)
    l.lwz   r8, 32(r1)
    l.lwz   r9, 36(r1)
    l.lwz   r10, 40(r1)
    l.lwz   r11, 44(r1)
    l.lwz   r12, 48(r1)
    l.lwz   r13, 52(r1)
    l.lwz   r14, 56(r1)
    l.lwz   r15, 60(r1)
    l.lwz   r16, 64(r1)
    l.lwz   r17, 68(r1)
    l.lwz   r18, 72(r1)
    l.lwz   r19, 76(r1)
    l.lwz   r20, 80(r1)
    l.lwz   r21, 84(r1)
    l.lwz   r22, 88(r1)
    l.lwz   r23, 92(r1)
    l.lwz   r24, 96(r1)
    l.lwz   r25, 100(r1)
    l.lwz   r26, 104(r1)
    l.lwz   r27, 108(r1)
    l.lwz   r28, 112(r1)
    l.lwz   r29, 116(r1)
    l.lwz   r30, 120(r1)
    l.lwz   r31, 124(r1)
    l.lwz   r3, 12(r1)
    l.addi  r1, r1, FRAME
    l.rfe

    .weak   or1k_exception
or1k_exception:
    l.j     _exit
    l.ori   r3, r3, 0xe000
