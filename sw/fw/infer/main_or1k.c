/*
 * Entry on the CPU: crt0 clears .bss, sets the stack and calls main(); main's result (the
 * FwError code, 0 when every image ran) goes to r3 at crt0's `_exit` (`l.nop 1` in a jump
 * to itself). The results themselves are in the mailbox (docs/firmware.md).
 */
#include "infer.h"

int main(void)
{
    return (int)fw_main(&FW_NET);
}
