/* System call, trap, illegal instruction and the UART's interrupt
 * on the PIC, each handled and returned from with l.rfe; the handler records the vector
 * and EPCR / EEAR / ESR, which end up in registers the trace compares. */
#include "fw.h"

static volatile unsigned seen[16][4];
static volatile unsigned count;

void or1k_exception(unsigned vector, unsigned *regs)
{
    unsigned epcr = mfspr(OR1K_SPR_EPCR0);
    unsigned i = count++;
    seen[i][0] = vector;
    seen[i][1] = epcr;
    seen[i][2] = mfspr(OR1K_SPR_EEAR0);
    seen[i][3] = mfspr(OR1K_SPR_ESR0);
    switch (vector) {
    case 0x700: /* illegal instruction */
    case 0xe00: /* trap */
        mtspr(OR1K_SPR_EPCR0, epcr + 4);
        break;
    case 0xc00: /* system call: EPCR is already the next instruction */
        regs[11] = regs[3] * 2;
        break;
    case 0x800: /* the UART's THR-empty interrupt: disable it */
        seen[i][2] = mfspr(OR1K_SPR_PICSR);
        UART_IER = 0;
        break;
    }
}

static volatile unsigned word[2] = {0x12345678, 0x9abcdef0};

int main(void)
{
    unsigned h = 0, r;
    __asm__ volatile("l.ori r3, r0, 21\n\tl.sys 7\n\tl.or %0, r11, r11"
                     : "=r"(r) : : "r3", "r11", "memory");
    h = h * 31 + r;
    __asm__ volatile("l.trap 3" ::: "memory");
    __asm__ volatile(".word 0xfc000000" ::: "memory"); /* l.cust8: illegal */
    /* interrupt: PIC line of the UART unmasked, SR[IEE] set, then IER enables THR-empty */
    mtspr(OR1K_SPR_PICMR, 1u << OR1K_PIC_UART);
    mtspr(OR1K_SPR_SR, mfspr(OR1K_SPR_SR) | 4);
    UART_IER = 2;
    __asm__ volatile("l.nop" ::: "memory");
    mtspr(OR1K_SPR_SR, mfspr(OR1K_SPR_SR) & ~4u);
    for (unsigned i = 0; i < count; i++)
        for (int k = 0; k < 4; k++)
            h = h * 31 + seen[i][k];
    h = h * 31 + word[0] + word[1] + count;
    uart_puthex(h);
    uart_putc('\n');
    return h;
}
