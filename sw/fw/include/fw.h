/* Firmware support for the on-chip OpenRISC core (docs/cpu.md). Addresses come from
 * build/fw/or1k_map.h, generated from hdl/spec/or1k.py by scripts/firmware.py. */
#ifndef FW_H
#define FW_H

#include "or1k_map.h"

#define REG32(a) (*(volatile unsigned *)(a))
#define REG8(a)  (*(volatile unsigned char *)(a))

#define UART_THR REG8(OR1K_UART_BASE + 0)
#define UART_IER REG8(OR1K_UART_BASE + 1)
#define UART_LSR REG8(OR1K_UART_BASE + 5)

/* A register of the chip's host map (offsets from rram_regs.h). */
#define CHIP_REG(off) REG32(OR1K_CHIP_BASE + (off))

static inline unsigned mfspr(unsigned spr)
{
    unsigned v;
    __asm__ volatile("l.mfspr %0, %1, 0" : "=r"(v) : "r"(spr));
    return v;
}

static inline void mtspr(unsigned spr, unsigned v)
{
    __asm__ volatile("l.mtspr %0, %1, 0" : : "r"(spr), "r"(v));
}

void *memcpy(void *dst, const void *src, unsigned long n);
void *memmove(void *dst, const void *src, unsigned long n);
void *memset(void *dst, int c, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);
void uart_putc(char c);
void uart_puts(const char *s);
void uart_puthex(unsigned v);

/* Called by crt0.S for every exception but reset (weak default: end the program). */
void or1k_exception(unsigned vector, unsigned *regs);

#endif
