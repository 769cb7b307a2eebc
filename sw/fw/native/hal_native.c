/*
 * The HAL of the native test (sw/test_firmware.py): the firmware built for the host as a
 * shared library whose bus accesses call back into Python (ctypes), which runs them on the
 * golden model of the chip (sim/chip.py).
 */
#include <stdint.h>

#include "hal.h"

typedef uint32_t (*fw_read_fn)(uint32_t offset);
typedef void (*fw_write_fn)(uint32_t offset, uint32_t value);

static fw_read_fn read_cb;
static fw_write_fn write_cb;

void fw_native_hal(fw_read_fn r, fw_write_fn w)
{
    read_cb = r;
    write_cb = w;
}

uint32_t chip_read32(uint32_t offset)
{
    return read_cb(offset);
}

void chip_write32(uint32_t offset, uint32_t value)
{
    write_cb(offset, value);
}
