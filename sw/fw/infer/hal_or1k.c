/*
 * The core's side of the HAL: the host node's Wishbone port is memory-mapped at
 * FW_CHIP_BASE (fw_consts.h, from hdl/spec/or1k.py); chip_read32 / chip_write32 are inline
 * in hal.h. Words are 32-bit and the core is big-endian; the firmware only makes
 * whole-word accesses, so no byte order shows.
 */
#include "chip.h"
#include "hal.h"

/*
 * Exceptions (crt0 calls this for every vector but reset). A bus error on the chip's port
 * (an access the host node ended with ERR) is reported like the error log's entry: ERROR
 * BUS with ERR_CAUSE and ERR_ADDR; any other exception as EXCEPTION with the vector and
 * the address of the instruction (EPCR). Then the program ends at `_exit`.
 */
void or1k_exception(uint32_t vector, uint32_t *regs)
{
    uint32_t epcr;
    (void)regs;
    __asm__ volatile("l.mfspr %0, r0, 0x20" : "=r"(epcr));    /* EPCR0 */
    if (vector == 0x200u)
        fw_fail(FW_ERR_BUS, chip_read32(RRAM_ERR_CAUSE_OFFSET),
                chip_read32(RRAM_ERR_ADDR_OFFSET));
    else
        fw_fail(FW_ERR_EXCEPTION, vector, epcr);
    asram_write(FW_MB_ERROR, fw_fault.error);
    asram_write(FW_MB_DETAIL0, fw_fault.detail0);
    asram_write(FW_MB_DETAIL1, fw_fault.detail1);
    asram_write(FW_MB_STATUS, FW_STATUS_ERROR);
    __asm__ volatile("l.or r3, %0, r0\n\tl.j _exit\n\tl.nop" : : "r"(fw_fault.error) : "r3");
    for (;;)
        ;
}
