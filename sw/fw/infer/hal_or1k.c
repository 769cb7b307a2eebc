/*
 * The HAL on the chip's OpenRISC core: the host node's Wishbone port is memory-mapped at
 * FW_CHIP_BASE (fw_consts.h, from the SoC's memory map). Words are 32-bit and the core is
 * big-endian; the firmware only makes whole-word accesses, so no byte order shows.
 */
#include "hal.h"
#include "fw_consts.h"

uint32_t chip_read32(uint32_t offset)
{
    return *(volatile uint32_t *)(FW_CHIP_BASE + offset);
}

void chip_write32(uint32_t offset, uint32_t value)
{
    *(volatile uint32_t *)(FW_CHIP_BASE + offset) = value;
}
