/*
 * The firmware's only door to the chip: 32-bit word accesses at a byte offset of the host
 * node's Wishbone map (docs/registers.md). On the CPU (hal_or1k.c) these are volatile
 * big-endian word accesses at FW_CHIP_BASE + offset; in the native test
 * (sw/fw/native/hal_native.c) they call back into Python, which runs the golden model.
 */
#ifndef FW_HAL_H
#define FW_HAL_H

#include <stdint.h>

uint32_t chip_read32(uint32_t offset);
void chip_write32(uint32_t offset, uint32_t value);

#endif /* FW_HAL_H */
