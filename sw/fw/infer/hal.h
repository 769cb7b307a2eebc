/*
 * The firmware's only door to the chip: 32-bit word accesses at a byte offset of the host
 * node's Wishbone map (docs/registers.md). On the CPU these are volatile big-endian word
 * accesses at FW_CHIP_BASE + offset (inline, below); in the native test
 * (sw/fw/native/hal_native.c) they call back into Python, which runs the golden model.
 */
#ifndef FW_HAL_H
#define FW_HAL_H

#include <stdint.h>

#ifdef __or1k__
#include "fw_consts.h"

/* On the core: inline, so an access costs one load or store, not a call. */
static inline uint32_t chip_read32(uint32_t offset)
{
    return *(volatile uint32_t *)(FW_CHIP_BASE + offset);
}

static inline void chip_write32(uint32_t offset, uint32_t value)
{
    *(volatile uint32_t *)(FW_CHIP_BASE + offset) = value;
}
#else
uint32_t chip_read32(uint32_t offset);
void chip_write32(uint32_t offset, uint32_t value);
#endif

#endif /* FW_HAL_H */
