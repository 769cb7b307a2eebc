/*
 * Entry on the CPU: crt0 sets up the stack and .bss and calls main(). The result is in the
 * mailbox (docs/firmware.md); then `l.nop 1` (the simulators' and QEMU's "exit") and a
 * halt loop.
 */
#include "infer.h"

int main(void)
{
    uint32_t e = fw_main(&FW_NET);
    __asm__ volatile("l.ori r3, %0, 0\n\tl.nop 1" : : "r"(e) : "r3");
    for (;;)
        __asm__ volatile("l.nop 0");
    return 0;
}
