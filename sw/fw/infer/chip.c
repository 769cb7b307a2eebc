/* The firmware's chip driver (chip.h). */
#include "chip.h"

struct fw_fault fw_fault;

uint32_t fw_fail(uint32_t error, uint32_t detail0, uint32_t detail1)
{
    if (fw_fault.error == FW_ERR_NONE) {
        fw_fault.error = error;
        fw_fault.detail0 = detail0;
        fw_fault.detail1 = detail1;
    }
    return error;
}

/* The head layout of the table's configuration, unpacked once by chip_open. */
static uint8_t head_lsb[FW_HEAD_FIELDS];
static uint32_t head_mask[FW_HEAD_FIELDS];

static inline uint32_t field(uint32_t word, uint32_t f)
{
    return (word >> head_lsb[f]) & head_mask[f];
}

uint32_t chip_open(const struct fw_net *net)
{
    for (uint32_t f = 0; f < FW_HEAD_FIELDS; f++) {
        head_lsb[f] = net->head_lsb[f];
        head_mask[f] = (1u << net->head_width[f]) - 1u;
    }
    uint32_t v = chip_read32(RRAM_ID_OFFSET);
    if (v != RRAM_ID_VALUE)
        return fw_fail(FW_ERR_CHIP, RRAM_ID_OFFSET, v);
    v = chip_read32(RRAM_VERSION_OFFSET);
    if ((v & RRAM_VERSION_MAJOR_MASK) >> RRAM_VERSION_MAJOR_LSB != RRAM_VERSION_MAJOR)
        return fw_fail(FW_ERR_CHIP, RRAM_VERSION_OFFSET, v);
    v = chip_read32(RRAM_CFG_DIGEST_OFFSET);
    if (v != net->cfg_digest)
        return fw_fail(FW_ERR_CHIP, RRAM_CFG_DIGEST_OFFSET, v);
    /* Start from an empty error log: any later entry is ours. */
    chip_write32(RRAM_CTRL_OFFSET, RRAM_CTRL_CLEAR_ERRLOG_MASK);
    chip_write32(RRAM_IRQ_STATUS_OFFSET, RRAM_IRQ_STATUS_BUS_ERROR_MASK);
    return FW_ERR_NONE;
}

uint32_t chip_send(const struct fw_net *net, const struct fw_tile *t, uint32_t mtype,
                   uint32_t aux, const uint32_t *body, uint32_t n)
{
    /* The source fields stay 0: the host node writes its own. */
    (void)net;
    uint32_t head = (uint32_t)t->x << head_lsb[FW_HEAD_DEST_X]
                  | (uint32_t)t->y << head_lsb[FW_HEAD_DEST_Y]
                  | mtype << head_lsb[FW_HEAD_MTYPE]
                  | (n + 1u) << head_lsb[FW_HEAD_LENGTH]
                  | aux << head_lsb[FW_HEAD_AUX];
    chip_write32(RRAM_CMD_DATA_OFFSET, head);
    for (uint32_t i = 0; i < n; i++)
        chip_write32(RRAM_CMD_DATA_OFFSET, body[i]);
    return FW_ERR_NONE;
}

static uint32_t bus_error(void)
{
    return fw_fail(FW_ERR_BUS, chip_read32(RRAM_ERR_CAUSE_OFFSET),
                   chip_read32(RRAM_ERR_ADDR_OFFSET));
}

uint32_t chip_receive(const struct fw_net *net, struct fw_packet *p, uint32_t polls)
{
    uint32_t s = 0;
    for (uint32_t k = 0;; k++) {
        s = chip_read32(RRAM_IRQ_STATUS_OFFSET);
        if (s & RRAM_IRQ_STATUS_BUS_ERROR_MASK)
            return bus_error();
        if (s & RRAM_IRQ_STATUS_RESP_MASK)
            break;
        if (k >= polls)
            return fw_fail(FW_ERR_TIMEOUT, 0, k);
    }
    (void)net;
    uint32_t head = chip_read32(RRAM_RESP_DATA_OFFSET);
    uint32_t len = field(head, FW_HEAD_LENGTH), n = 0;
    p->head = head;
    p->src_x = (uint8_t)field(head, FW_HEAD_SRC_X);
    p->src_y = (uint8_t)field(head, FW_HEAD_SRC_Y);
    p->mtype = (uint8_t)field(head, FW_HEAD_MTYPE);
    /* Pop the whole packet even if it is too long for us, so the queue stays in step. */
    for (uint32_t i = 1; i < len; i++) {
        uint32_t w = chip_read32(RRAM_RESP_DATA_OFFSET);
        if (n < FW_MAX_PACKET)
            p->body[n++] = w;
    }
    p->n = (uint16_t)n;
    if (len == 0 || len - 1u > FW_MAX_PACKET)
        return fw_fail(FW_ERR_UNEXPECTED, head, len);
    return FW_ERR_NONE;
}
