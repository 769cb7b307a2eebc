/*
 * Minimal start-up for building the firmware with or1k-elf-gcc without the SoC's crt0
 * (branch cpu, sw/fw/crt0.S, which the RTL runs use). The same conventions: reset at
 * 0x100, stack at the top of RAM, .bss cleared, main(), then `_exit` (a jump to itself
 * with `l.nop 1` in its delay slot) with main's result in r3; every other vector calls
 * or1k_exception(vector, sp), which does not return here.
 */
    .section .vectors, "ax"
    .org 0x100
    .global _reset
_reset:
    l.movhi r1, hi(_stack_top)
    l.j     _start
    l.ori   r1, r1, lo(_stack_top)

#define VECTOR(addr)          \
    .org addr;                \
    l.ori   r3, r0, addr;     \
    l.jal   or1k_exception;   \
    l.or    r4, r1, r1;       \
    l.j     _exit;            \
    l.nop

VECTOR(0x200)
VECTOR(0x600)
VECTOR(0x700)
VECTOR(0x800)
VECTOR(0xc00)
VECTOR(0xe00)

    .text
_start:
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
