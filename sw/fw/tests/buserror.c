/* A load and a store to an unmapped address end with ERR: the bus error exception (0x200)
 * with EEAR = the address. QEMU's or1k-sim ignores unmapped accesses (reads 0), so the
 * trace is compared up to the first faulting load (symbol `bus_fault`) and the rest is
 * checked by the program itself: it returns 0 when both faults were taken as expected. */
#include "fw.h"

static volatile unsigned seen[4][3];
static volatile unsigned count;

void or1k_exception(unsigned vector, unsigned *regs)
{
    unsigned i = count++;
    seen[i][0] = vector;
    seen[i][1] = mfspr(OR1K_SPR_EPCR0);
    seen[i][2] = mfspr(OR1K_SPR_EEAR0);
    mtspr(OR1K_SPR_EPCR0, seen[i][1] + 4);
}

extern char bus_fault[], bus_fault_store[];

int main(void)
{
    unsigned v;
    __asm__ volatile("l.movhi r5, 0x7000\n\tl.ori r5, r5, 0x0010\n\t"
                     ".global bus_fault\nbus_fault:\n\tl.lwz %0, 0(r5)\n\t"
                     "l.ori r6, r0, 0x55\n\t"
                     ".global bus_fault_store\nbus_fault_store:\n\tl.sb 3(r5), r6"
                     : "=r"(v) : : "r5", "r6", "memory");
    unsigned bad = 0;
    bad |= (count != 2);
    bad |= (seen[0][0] != 0x200) << 1;
    bad |= (seen[0][1] != (unsigned)bus_fault) << 2;
    bad |= (seen[0][2] != 0x70000010) << 3;
    bad |= (seen[1][0] != 0x200) << 4;
    bad |= (seen[1][1] != (unsigned)bus_fault_store) << 5;
    bad |= (seen[1][2] != 0x70000013) << 6;
    return bad;
}
