/*
 * Placeholder start-up for building the firmware with or1k-elf-gcc until the SoC's own
 * crt0 exists (branch cpu): reset vector at 0x100, stack at the top of RAM, .bss cleared,
 * main(); then the halt loop. Exceptions other than reset: `l.nop 1` and halt.
 */
    .section .vectors, "ax"
    .org 0x100
_reset:
    l.movhi r1, hi(_stack_top)
    l.ori   r1, r1, lo(_stack_top)
    l.movhi r3, hi(_bss_start)
    l.ori   r3, r3, lo(_bss_start)
    l.movhi r4, hi(_bss_end)
    l.ori   r4, r4, lo(_bss_end)
1:  l.sfltu r3, r4
    l.bnf   2f
    l.nop
    l.sw    0(r3), r0
    l.j     1b
    l.addi  r3, r3, 4
2:  l.jal   main
    l.nop
3:  l.nop   1
    l.j     3b
    l.nop

    /* Bus error (0x200) and every other vector: report r3 = 0xBAD and halt. */
    .org 0x200
_bus_error:
    l.ori   r3, r0, 0xBAD
    l.nop   1
4:  l.j     4b
    l.nop
