/*
 * The firmware's chip driver: the C counterpart of sim/driver.py's packet calls, over the
 * HAL (hal.h). Every function returns 0 or an FwError code; the first error is kept in
 * `fw_fault` (code and two detail words) for the mailbox.
 */
#ifndef FW_CHIP_H
#define FW_CHIP_H

#include <stdint.h>

#include "fw_table.h"
#include "hal.h"

/* A packet popped from the response queue. */
struct fw_packet {
    uint32_t head;
    uint8_t src_x, src_y, mtype;    /* (aux is not needed: answers are told apart by
                                       their source and the request type in their info) */
    uint16_t n;                      /* body words */
    uint32_t body[FW_MAX_PACKET];
};

struct fw_fault {
    uint32_t error, detail0, detail1;
};

extern struct fw_fault fw_fault;

/* Record the first error; returns `error`. */
uint32_t fw_fail(uint32_t error, uint32_t detail0, uint32_t detail1);

/* Check ID, VERSION and CFG_DIGEST against the table; clear the error log. */
uint32_t chip_open(const struct fw_net *net);
/* Queue one packet to tile `t` (it leaves when its last word is in the command queue). */
uint32_t chip_send(const struct fw_net *net, const struct fw_tile *t, uint32_t mtype,
                   uint32_t aux, const uint32_t *body, uint32_t n);
/* Wait (at most `polls` reads of IRQ_STATUS) for a whole packet and pop it. A bus error in
 * the error log ends the wait with FW_ERR_BUS. */
uint32_t chip_receive(const struct fw_net *net, struct fw_packet *p, uint32_t polls);

/* Activation SRAM word `i`. */
static inline uint32_t asram_read(uint32_t i)
{
    return chip_read32(RRAM_ASRAM_BASE + (i << 2));
}

static inline void asram_write(uint32_t i, uint32_t v)
{
    chip_write32(RRAM_ASRAM_BASE + (i << 2), v);
}

#endif /* FW_CHIP_H */
