/* The core on the chip's host port (block soc): registers, the activation SRAM's
 * big-endian byte lanes, an unmapped host address (bus error exception, EEAR) and the
 * chip's interrupt on PIC line OR1K_PIC_CHIP. Returns 0 and leaves 0x600D0000 in SCRATCH
 * when everything was as expected (a bit per check otherwise). Not run on QEMU (its
 * or1k-sim has no chip). */
#include "fw.h"
#include "rram_regs.h"

#define ASRAM(byte) (OR1K_CHIP_BASE + RRAM_ASRAM_BASE + (byte))
#define UNMAPPED 0x3000u

static volatile unsigned seen[4][2];
static volatile unsigned count;

void or1k_exception(unsigned vector, unsigned *regs)
{
    unsigned i = count++;
    seen[i][0] = vector;
    if (vector == 0x200) {
        seen[i][1] = mfspr(OR1K_SPR_EEAR0);
        mtspr(OR1K_SPR_EPCR0, mfspr(OR1K_SPR_EPCR0) + 4);
    } else if (vector == 0x800) {
        seen[i][1] = CHIP_REG(RRAM_IRQ_STATUS_OFFSET);
        CHIP_REG(RRAM_IRQ_STATUS_OFFSET) = RRAM_IRQ_STATUS_BUS_ERROR_MASK;
    }
}

int main(void)
{
    unsigned bad = 0;
    bad |= (CHIP_REG(RRAM_ID_OFFSET) != RRAM_ID_VALUE) << 0;
    bad |= (CHIP_REG(RRAM_VERSION_OFFSET) != RRAM_VERSION_VALUE) << 1;
    CHIP_REG(RRAM_SCRATCH_OFFSET) = 0xc0ffee01;
    bad |= (CHIP_REG(RRAM_SCRATCH_OFFSET) != 0xc0ffee01) << 2;
    /* big-endian lanes: byte address 0 of a word is its bits 31:24 */
    REG32(ASRAM(0)) = 0x11223344;
    REG32(ASRAM(4)) = 0;
    REG32(ASRAM(8)) = 0;
    bad |= (REG8(ASRAM(0)) != 0x11) << 3;
    bad |= (REG8(ASRAM(3)) != 0x44) << 4;
    bad |= (*(volatile unsigned short *)ASRAM(2) != 0x3344) << 5;
    REG8(ASRAM(5)) = 0xab;
    *(volatile unsigned short *)ASRAM(10) = 0xbeef;
    /* the chip's interrupt: BUS_ERROR events, raised by an unmapped host address */
    CHIP_REG(RRAM_IRQ_ENABLE_OFFSET) = RRAM_IRQ_ENABLE_BUS_ERROR_MASK;
    mtspr(OR1K_SPR_PICMR, 1u << OR1K_PIC_CHIP);
    mtspr(OR1K_SPR_SR, mfspr(OR1K_SPR_SR) | 4);
    (void)REG32(OR1K_CHIP_BASE + UNMAPPED);
    __asm__ volatile("l.nop" ::: "memory");
    mtspr(OR1K_SPR_SR, mfspr(OR1K_SPR_SR) & ~4u);
    bad |= (count != 2) << 6;
    bad |= (seen[0][0] != 0x200) << 7;
    bad |= (seen[0][1] != OR1K_CHIP_BASE + UNMAPPED) << 8;
    bad |= (seen[1][0] != 0x800) << 9;
    bad |= !(seen[1][1] & RRAM_IRQ_STATUS_BUS_ERROR_MASK) << 10;
    CHIP_REG(RRAM_SCRATCH_OFFSET) = 0x600d0000 | bad;
    return bad;
}
