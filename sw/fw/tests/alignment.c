/* Misaligned loads and stores (word at 4k+1..3, half word at an odd address) take the
 * alignment exception (0x600) with EEAR = the address and nothing loaded or stored. QEMU
 * 7.2's or1k performs misaligned accesses instead, so the trace is compared up to the first
 * one (symbol `align_fault`) and the rest is checked by the program: it returns 0 when all
 * four faults were taken as expected and memory is unchanged. */
#include "fw.h"

static volatile unsigned seen[8][3];
static volatile unsigned count;
static volatile unsigned buf[4] = {0x01234567, 0x89abcdef, 0xfedcba98, 0x76543210};

void or1k_exception(unsigned vector, unsigned *regs)
{
    unsigned i = count++;
    seen[i][0] = vector;
    seen[i][1] = mfspr(OR1K_SPR_EPCR0);
    seen[i][2] = mfspr(OR1K_SPR_EEAR0);
    mtspr(OR1K_SPR_EPCR0, seen[i][1] + 4);
}

extern char align_fault[], align_lhs[], align_sw[], align_sh[];

int main(void)
{
    unsigned base = (unsigned)buf, a = 0x5a5a5a5a, b = 0xa5a5;
    __asm__ volatile(".global align_fault\nalign_fault:\n\tl.lwz %0, 5(%2)\n\t"
                     ".global align_lhs\nalign_lhs:\n\tl.lhs %1, 3(%2)\n\t"
                     ".global align_sw\nalign_sw:\n\tl.sw 10(%2), %0\n\t"
                     ".global align_sh\nalign_sh:\n\tl.sh 13(%2), %1"
                     : "+r"(a), "+r"(b) : "r"(base) : "memory");
    unsigned bad = 0;
    bad |= (count != 4) << 0;
    char *pcs[4] = {align_fault, align_lhs, align_sw, align_sh};
    unsigned eas[4] = {base + 5, base + 3, base + 10, base + 13};
    for (int i = 0; i < 4; i++) {
        bad |= (seen[i][0] != 0x600) << (1 + 3 * i);
        bad |= (seen[i][1] != (unsigned)pcs[i]) << (2 + 3 * i);
        bad |= (seen[i][2] != eas[i]) << (3 + 3 * i);
    }
    bad |= (a != 0x5a5a5a5a || b != 0xa5a5) << 13;          /* nothing loaded */
    bad |= (buf[2] != 0xfedcba98 || buf[3] != 0x76543210) << 14;   /* nothing stored */
    return bad;
}
