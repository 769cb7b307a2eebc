/*
 * RRAM compute-in-memory chip: host register map.
 * Generated from hdl/spec/regmap.py by `make docs` (scripts/gen_regs.py): do not edit.
 */
#ifndef RRAM_REGS_H
#define RRAM_REGS_H

#include <stdint.h>

#define RRAM_ADDR_BITS                           20u  /* Wishbone byte-address width */
#define RRAM_ID_VALUE                            0x5252414Du  /* ID register: ASCII "RRAM" */
#define RRAM_VERSION_MAJOR                       1u
#define RRAM_VERSION_MINOR                       0u
#define RRAM_VERSION_VALUE                       0x00010000u  /* VERSION register */

/* Registers: byte offsets, and per field its LSB, width and (shifted) mask. */

/* ID (RO): constant 0x5252414D, ASCII "RRAM" */
#define RRAM_ID_OFFSET                           0x000u

/* VERSION (RO): register-map version */
#define RRAM_VERSION_OFFSET                      0x004u
#define RRAM_VERSION_MINOR_LSB                   0u
#define RRAM_VERSION_MINOR_WIDTH                 16u
#define RRAM_VERSION_MINOR_MASK                  0x0000FFFFu
#define RRAM_VERSION_MAJOR_LSB                   16u
#define RRAM_VERSION_MAJOR_WIDTH                 16u
#define RRAM_VERSION_MAJOR_MASK                  0xFFFF0000u

/*
 * CFG_DIGEST (RO): first 32 bits of the SHA-256 of the ChipConfig JSON the RTL was generated
 * from
 */
#define RRAM_CFG_DIGEST_OFFSET                   0x008u

/* CFG_MESH (RO): mesh */
#define RRAM_CFG_MESH_OFFSET                     0x00Cu
#define RRAM_CFG_MESH_WIDTH_LSB                  0u
#define RRAM_CFG_MESH_WIDTH_WIDTH                4u
#define RRAM_CFG_MESH_WIDTH_MASK                 0x0000000Fu
#define RRAM_CFG_MESH_HEIGHT_LSB                 4u
#define RRAM_CFG_MESH_HEIGHT_WIDTH               4u
#define RRAM_CFG_MESH_HEIGHT_MASK                0x000000F0u
#define RRAM_CFG_MESH_HOST_LSB                   8u
#define RRAM_CFG_MESH_HOST_WIDTH                 6u
#define RRAM_CFG_MESH_HOST_MASK                  0x00003F00u

/* CFG_ARRAY (RO): crossbar array of every tile */
#define RRAM_CFG_ARRAY_OFFSET                    0x010u
#define RRAM_CFG_ARRAY_ROWS_LSB                  0u
#define RRAM_CFG_ARRAY_ROWS_WIDTH                16u
#define RRAM_CFG_ARRAY_ROWS_MASK                 0x0000FFFFu
#define RRAM_CFG_ARRAY_COLS_LSB                  16u
#define RRAM_CFG_ARRAY_COLS_WIDTH                16u
#define RRAM_CFG_ARRAY_COLS_MASK                 0xFFFF0000u

/* CFG_DATAPATH (RO): tile datapath */
#define RRAM_CFG_DATAPATH_OFFSET                 0x014u
#define RRAM_CFG_DATAPATH_G_BITS_LSB             0u
#define RRAM_CFG_DATAPATH_G_BITS_WIDTH           8u
#define RRAM_CFG_DATAPATH_G_BITS_MASK            0x000000FFu
#define RRAM_CFG_DATAPATH_INPUT_BITS_LSB         8u
#define RRAM_CFG_DATAPATH_INPUT_BITS_WIDTH       4u
#define RRAM_CFG_DATAPATH_INPUT_BITS_MASK        0x00000F00u
#define RRAM_CFG_DATAPATH_ADC_BITS_LSB           12u
#define RRAM_CFG_DATAPATH_ADC_BITS_WIDTH         4u
#define RRAM_CFG_DATAPATH_ADC_BITS_MASK          0x0000F000u
#define RRAM_CFG_DATAPATH_ADC_COUNT_LSB          16u
#define RRAM_CFG_DATAPATH_ADC_COUNT_WIDTH        8u
#define RRAM_CFG_DATAPATH_ADC_COUNT_MASK         0x00FF0000u
#define RRAM_CFG_DATAPATH_PSUM_BITS_LSB          24u
#define RRAM_CFG_DATAPATH_PSUM_BITS_WIDTH        6u
#define RRAM_CFG_DATAPATH_PSUM_BITS_MASK         0x3F000000u

/* CFG_NOC (RO): network on chip */
#define RRAM_CFG_NOC_OFFSET                      0x018u
#define RRAM_CFG_NOC_FLIT_BITS_LSB               0u
#define RRAM_CFG_NOC_FLIT_BITS_WIDTH             8u
#define RRAM_CFG_NOC_FLIT_BITS_MASK              0x000000FFu
#define RRAM_CFG_NOC_MAX_PACKET_LSB              8u
#define RRAM_CFG_NOC_MAX_PACKET_WIDTH            11u
#define RRAM_CFG_NOC_MAX_PACKET_MASK             0x0007FF00u
#define RRAM_CFG_NOC_FIFO_DEPTH_LSB              19u
#define RRAM_CFG_NOC_FIFO_DEPTH_WIDTH            8u
#define RRAM_CFG_NOC_FIFO_DEPTH_MASK             0x07F80000u

/* CFG_QUEUES (RO): queue depths */
#define RRAM_CFG_QUEUES_OFFSET                   0x01Cu
#define RRAM_CFG_QUEUES_CMD_WORDS_LSB            0u
#define RRAM_CFG_QUEUES_CMD_WORDS_WIDTH          16u
#define RRAM_CFG_QUEUES_CMD_WORDS_MASK           0x0000FFFFu
#define RRAM_CFG_QUEUES_RESP_WORDS_LSB           16u
#define RRAM_CFG_QUEUES_RESP_WORDS_WIDTH         16u
#define RRAM_CFG_QUEUES_RESP_WORDS_MASK          0xFFFF0000u

/* CFG_ASRAM (RO): activation SRAM */
#define RRAM_CFG_ASRAM_OFFSET                    0x020u
#define RRAM_CFG_ASRAM_WORDS_LSB                 0u
#define RRAM_CFG_ASRAM_WORDS_WIDTH               17u
#define RRAM_CFG_ASRAM_WORDS_MASK                0x0001FFFFu

/* SCRATCH (RW): free for software (bus tests) */
#define RRAM_SCRATCH_OFFSET                      0x030u

/* CTRL (W1P): actions */
#define RRAM_CTRL_OFFSET                         0x034u
#define RRAM_CTRL_CLEAR_COUNTERS_LSB             0u
#define RRAM_CTRL_CLEAR_COUNTERS_WIDTH           1u
#define RRAM_CTRL_CLEAR_COUNTERS_MASK            0x00000001u
#define RRAM_CTRL_CLEAR_ERRLOG_LSB               1u
#define RRAM_CTRL_CLEAR_ERRLOG_WIDTH             1u
#define RRAM_CTRL_CLEAR_ERRLOG_MASK              0x00000002u

/* STATUS (RO): queue and window state */
#define RRAM_STATUS_OFFSET                       0x038u
#define RRAM_STATUS_CMD_EMPTY_LSB                0u
#define RRAM_STATUS_CMD_EMPTY_WIDTH              1u
#define RRAM_STATUS_CMD_EMPTY_MASK               0x00000001u
#define RRAM_STATUS_CMD_FULL_LSB                 1u
#define RRAM_STATUS_CMD_FULL_WIDTH               1u
#define RRAM_STATUS_CMD_FULL_MASK                0x00000002u
#define RRAM_STATUS_RESP_EMPTY_LSB               2u
#define RRAM_STATUS_RESP_EMPTY_WIDTH             1u
#define RRAM_STATUS_RESP_EMPTY_MASK              0x00000004u
#define RRAM_STATUS_RESP_FULL_LSB                3u
#define RRAM_STATUS_RESP_FULL_WIDTH              1u
#define RRAM_STATUS_RESP_FULL_MASK               0x00000008u
#define RRAM_STATUS_CMD_PARTIAL_LSB              4u
#define RRAM_STATUS_CMD_PARTIAL_WIDTH            1u
#define RRAM_STATUS_CMD_PARTIAL_MASK             0x00000010u

/* IRQ_ENABLE (RW): interrupt enables; irq = |(IRQ_STATUS & IRQ_ENABLE) */
#define RRAM_IRQ_ENABLE_OFFSET                   0x040u
#define RRAM_IRQ_ENABLE_RESP_LSB                 0u
#define RRAM_IRQ_ENABLE_RESP_WIDTH               1u
#define RRAM_IRQ_ENABLE_RESP_MASK                0x00000001u
#define RRAM_IRQ_ENABLE_DONE_LSB                 1u
#define RRAM_IRQ_ENABLE_DONE_WIDTH               1u
#define RRAM_IRQ_ENABLE_DONE_MASK                0x00000002u
#define RRAM_IRQ_ENABLE_ERROR_LSB                2u
#define RRAM_IRQ_ENABLE_ERROR_WIDTH              1u
#define RRAM_IRQ_ENABLE_ERROR_MASK               0x00000004u
#define RRAM_IRQ_ENABLE_BUS_ERROR_LSB            3u
#define RRAM_IRQ_ENABLE_BUS_ERROR_WIDTH          1u
#define RRAM_IRQ_ENABLE_BUS_ERROR_MASK           0x00000008u
#define RRAM_IRQ_ENABLE_DATA_LSB                 4u
#define RRAM_IRQ_ENABLE_DATA_WIDTH               1u
#define RRAM_IRQ_ENABLE_DATA_MASK                0x00000010u
#define RRAM_IRQ_ENABLE_CMD_EMPTY_LSB            5u
#define RRAM_IRQ_ENABLE_CMD_EMPTY_WIDTH          1u
#define RRAM_IRQ_ENABLE_CMD_EMPTY_MASK           0x00000020u

/* IRQ_STATUS (W1C): interrupt events (sticky) */
#define RRAM_IRQ_STATUS_OFFSET                   0x044u
#define RRAM_IRQ_STATUS_RESP_LSB                 0u
#define RRAM_IRQ_STATUS_RESP_WIDTH               1u
#define RRAM_IRQ_STATUS_RESP_MASK                0x00000001u
#define RRAM_IRQ_STATUS_DONE_LSB                 1u
#define RRAM_IRQ_STATUS_DONE_WIDTH               1u
#define RRAM_IRQ_STATUS_DONE_MASK                0x00000002u
#define RRAM_IRQ_STATUS_ERROR_LSB                2u
#define RRAM_IRQ_STATUS_ERROR_WIDTH              1u
#define RRAM_IRQ_STATUS_ERROR_MASK               0x00000004u
#define RRAM_IRQ_STATUS_BUS_ERROR_LSB            3u
#define RRAM_IRQ_STATUS_BUS_ERROR_WIDTH          1u
#define RRAM_IRQ_STATUS_BUS_ERROR_MASK           0x00000008u
#define RRAM_IRQ_STATUS_DATA_LSB                 4u
#define RRAM_IRQ_STATUS_DATA_WIDTH               1u
#define RRAM_IRQ_STATUS_DATA_MASK                0x00000010u
#define RRAM_IRQ_STATUS_CMD_EMPTY_LSB            5u
#define RRAM_IRQ_STATUS_CMD_EMPTY_WIDTH          1u
#define RRAM_IRQ_STATUS_CMD_EMPTY_MASK           0x00000020u

/* ERR_COUNT (RO): bus errors and bad received packets (saturating) */
#define RRAM_ERR_COUNT_OFFSET                    0x050u

/* ERR_CAUSE (RO): the last error */
#define RRAM_ERR_CAUSE_OFFSET                    0x054u
#define RRAM_ERR_CAUSE_CAUSE_LSB                 0u
#define RRAM_ERR_CAUSE_CAUSE_WIDTH               4u
#define RRAM_ERR_CAUSE_CAUSE_MASK                0x0000000Fu
#define RRAM_ERR_CAUSE_INFO_LSB                  8u
#define RRAM_ERR_CAUSE_INFO_WIDTH                8u
#define RRAM_ERR_CAUSE_INFO_MASK                 0x0000FF00u

/*
 * ERR_ADDR (RO): byte address of the last bus error (ASRAM_RANGE: offset of the first dropped
 * word)
 */
#define RRAM_ERR_ADDR_OFFSET                     0x058u

/*
 * CMD_DATA (WO): push a word of a packet: the head (NoC head payload, src ignored), then length
 * - 1 body words. A packet is sent once complete. Waits while full.
 */
#define RRAM_CMD_DATA_OFFSET                     0x060u

/* CMD_FREE (RO): free words in the command queue */
#define RRAM_CMD_FREE_OFFSET                     0x064u

/*
 * RESP_DATA (RC): pop a word of a received packet: the head payload, then its body words.
 * Empty: ERR (RESP_EMPTY), nothing popped.
 */
#define RRAM_RESP_DATA_OFFSET                    0x068u

/* RESP_LEVEL (RO): words in the response queue */
#define RRAM_RESP_LEVEL_OFFSET                   0x06Cu

/* CYCLES (RO): clock cycles since reset or CTRL.CLEAR_COUNTERS (32 bits, wrapping) */
#define RRAM_CYCLES_OFFSET                       0x080u

/* BUS_ACKS (RO): bus accesses that ended with ACK (32 bits, wrapping) */
#define RRAM_BUS_ACKS_OFFSET                     0x084u

/* BUS_ERRS (RO): bus accesses that ended with ERR (32 bits, wrapping) */
#define RRAM_BUS_ERRS_OFFSET                     0x088u

/* PACKETS_OUT (RO): packets sent (command queue and window) (32 bits, wrapping) */
#define RRAM_PACKETS_OUT_OFFSET                  0x08Cu

/* FLITS_OUT (RO): flits sent (32 bits, wrapping) */
#define RRAM_FLITS_OUT_OFFSET                    0x090u

/* PACKETS_IN (RO): packets received (32 bits, wrapping) */
#define RRAM_PACKETS_IN_OFFSET                   0x094u

/* FLITS_IN (RO): flits received (32 bits, wrapping) */
#define RRAM_FLITS_IN_OFFSET                     0x098u

/* DATA_WORDS (RO): words written into the SRAM by data packets (32 bits, wrapping) */
#define RRAM_DATA_WORDS_OFFSET                   0x09Cu

/* Regions. */
#define RRAM_ASRAM_BASE                          0x40000u  /* region base */
#define RRAM_ASRAM_SIZE                          0x40000u  /* region bytes */
#define RRAM_WINDOW_BASE                         0x80000u  /* region base */
#define RRAM_WINDOW_SIZE                         0x10000u  /* region bytes */
#define RRAM_WINDOW_NODE_STRIDE                  0x400u  /* window bytes per node */
#define RRAM_WINDOW_TAG                          0x100u  /* aux bit of window requests */
/* Byte address of node n's tile register r through the window. */
#define RRAM_WINDOW_ADDR(n, r) \
    (RRAM_WINDOW_BASE + (uint32_t)(n) * RRAM_WINDOW_NODE_STRIDE + 4u * (uint32_t)(r))

/* Tile CSRs through the window: register numbers (byte offset 4 * register). */
#define RRAM_TILE_FIELD_IN_BITS                  0x00u  /* RW */
#define RRAM_TILE_FIELD_IN_SIGNED                0x01u  /* RW */
#define RRAM_TILE_FIELD_ADC_SHIFT                0x02u  /* RW */
#define RRAM_TILE_FIELD_PSUM_EN                  0x03u  /* RW */
#define RRAM_TILE_FIELD_OUT_RAW                  0x04u  /* RW */
#define RRAM_TILE_FIELD_OUT_MULT                 0x05u  /* RW */
#define RRAM_TILE_FIELD_OUT_SHIFT                0x06u  /* RW */
#define RRAM_TILE_FIELD_OUT_BITS                 0x07u  /* RW */
#define RRAM_TILE_FIELD_OUT_SIGNED               0x08u  /* RW */
#define RRAM_TILE_FIELD_ACTIVATION               0x09u  /* RW */
#define RRAM_TILE_FIELD_DEST                     0x0Au  /* RW */
#define RRAM_TILE_FIELD_OFFSET                   0x0Bu  /* RW */
#define RRAM_TILE_FIELD_OUT_COUNT                0x0Cu  /* RW */
#define RRAM_TILE_COUNTER_BUSY                   0x10u  /* RO */
#define RRAM_TILE_COUNTER_MVMS                   0x11u  /* RO */
#define RRAM_TILE_COUNTER_CONVERSIONS            0x12u  /* RO */
#define RRAM_TILE_COUNTER_CLIPS                  0x13u  /* RO */
#define RRAM_TILE_COUNTER_PULSES                 0x14u  /* RO */
#define RRAM_TILE_COUNTER_FAILS                  0x15u  /* RO */
#define RRAM_TILE_COUNTER_LAST_ERROR             0x16u  /* RO */
#define RRAM_TILE_COUNTER_ERRORS                 0x17u  /* RO */
#define RRAM_TILE_NODE                           0x20u  /* RO */
#define RRAM_TILE_NI_REQUESTS                    0x21u  /* RO */
#define RRAM_TILE_NI_REJECTS                     0x22u  /* RO */
#define RRAM_TILE_NI_OUT_PACKETS                 0x23u  /* RO */
#define RRAM_TILE_NI_EXPECT                      0x24u  /* RW */
#define RRAM_TILE_NI_ARRIVED                     0x25u  /* RO */

/* Tile network interface protocol (hdl/spec/host.py, hdl/spec/tile.py). */
#define RRAM_TILE_FIELD_BASE                     0u  /* tile CSR of layer-descriptor field 0 */
#define RRAM_TILE_FIELDS                         13u  /* layer-descriptor fields */
#define RRAM_TILE_COUNTER_BASE                   16u  /* tile CSR of counter 0 */
#define RRAM_TILE_COUNTERS                       8u  /* tile counters */
/* data-packet offset bit: to the response queue, whole */
#define RRAM_QUEUE_OFFSET                        0x8000u
/* body words of every NI answer: value[31:0], info */
#define RRAM_RESPONSE_WORDS                      2u
#define RRAM_EXPECT_BITS                         16u  /* width of NI_EXPECT / NI_ARRIVED */

/* Irq: Bits of IRQ_STATUS / IRQ_ENABLE. Each is set by an event and cleared by writing 1. */
/* level: a whole packet waits in the response queue (W1C ignored) */
#define RRAM_IRQ_RESP                            0u
/* a DONE packet was put into the response queue */
#define RRAM_IRQ_DONE                            1u
/* an ERROR packet was put into the response queue */
#define RRAM_IRQ_ERROR                           2u
/* a bus access ended with ERR, or a received packet was bad (error log) */
#define RRAM_IRQ_BUS_ERROR                       3u
/* a data packet (ACTIVATIONS / PARTIAL_SUMS) was written into the SRAM */
#define RRAM_IRQ_DATA                            4u
/* the command queue became empty (everything queued has been sent) */
#define RRAM_IRQ_CMD_EMPTY                       5u

/*
 * BusCause: Error-log cause codes (``ERR_CAUSE.CAUSE``): why a bus access ended with ERR, or
 * what went wrong with a packet the host received.
 */
#define RRAM_CAUSE_NONE                          0u  /* no error logged */
#define RRAM_CAUSE_UNMAPPED                      1u  /* no register or memory at this address */
/* byte select not a byte, aligned half-word or word; or adr[1:0] disagrees */
#define RRAM_CAUSE_MISALIGNED                    2u
#define RRAM_CAUSE_READ_ONLY                     3u  /* write to a read-only register */
#define RRAM_CAUSE_WRITE_ONLY                    4u  /* read of a write-only register (CMD_DATA) */
/* a queue or window access with a byte select other than 0b1111 */
#define RRAM_CAUSE_WORD_ONLY                     5u
/* RESP_DATA read with an empty response queue (nothing is popped) */
#define RRAM_CAUSE_RESP_EMPTY                    6u
/* CMD_DATA head word: length 0 or > max_packet_flits, or dest outside */
#define RRAM_CAUSE_BAD_HEAD                      7u
/* window access to the host itself or to a node outside the mesh */
#define RRAM_CAUSE_BAD_NODE                      8u
/* the tile answered the window access with an error (INFO = its code) */
#define RRAM_CAUSE_WINDOW_ERROR                  9u
#define RRAM_CAUSE_WINDOW_TIMEOUT                10u  /* no answer within window_timeout cycles */
/* a received data packet wrote outside the SRAM (words dropped) */
#define RRAM_CAUSE_ASRAM_RANGE                   11u

/* NiError: Response error codes: the tile's own (``hdl.spec.tile.TileError``) and the NI's. */
#define RRAM_NI_ERR_NONE                         0u  /* success */
#define RRAM_NI_ERR_BAD_OP                       1u  /* the tile refused the command's opcode */
/* element, field or CSR out of range; a write to a read-only CSR */
#define RRAM_NI_ERR_BAD_ADDRESS                  2u
/* the tile refused the value (field range, activation, conductance) */
#define RRAM_NI_ERR_BAD_VALUE                    3u
/* the write-verify engine answered an error (its code in value[42:40]) */
#define RRAM_NI_ERR_ENGINE                       4u
/* the body has the wrong number of words for the message type */
#define RRAM_NI_ERR_BAD_LENGTH                   5u
/* a message type the tile does not take as a request */
#define RRAM_NI_ERR_BAD_TYPE                     6u

/* Buffer: BUF_WRITE ``aux``: which tile buffer the words go to (element ``start + i``). */
#define RRAM_BUF_INPUT                           0u  /* activation of row start + i (WRITE_INPUT) */
#define RRAM_BUF_BIAS                            1u  /* bias of pair start + i (WRITE_BIAS) */
/* partial sum of pair start + i (WRITE_PSUM) */
#define RRAM_BUF_PSUM                            2u
/* conductance code of cell (start + i) = row << 8 | col (LOAD_CELL back door) */
#define RRAM_BUF_CELLS                           3u
/* write-verify target (register set) of cell start + i = row * cols + col */
#define RRAM_BUF_TARGETS                         4u

/* MsgType: Message type carried in the head. Requests get (at most) one response each. */
/* request: read a tile CSR (aux = address); answered by CSR_DATA */
#define RRAM_MSG_CSR_READ                        0u
/* request: write a tile CSR (aux = address, one body word) */
#define RRAM_MSG_CSR_WRITE                       1u
/* request: read a tile buffer (aux = address); answered by BUF_DATA */
#define RRAM_MSG_BUF_READ                        2u
/* request: write words into a tile buffer (aux = address) */
#define RRAM_MSG_BUF_WRITE                       3u
#define RRAM_MSG_START_MVM                       4u  /* request: run the layer descriptor's MVM */
/* request: program the weight-target buffer into the array */
#define RRAM_MSG_START_PROGRAM                   5u
/* response/notification: an operation finished */
#define RRAM_MSG_DONE                            6u
/* response/notification: refused command, bad address or length */
#define RRAM_MSG_ERROR                           7u
/* data: activations for a tile's input buffer (aux = offset) */
#define RRAM_MSG_ACTIVATIONS                     8u
/* data: partial sums to accumulate (aux = offset) */
#define RRAM_MSG_PARTIAL_SUMS                    9u
#define RRAM_MSG_CSR_DATA                        10u  /* response to CSR_READ */
#define RRAM_MSG_BUF_DATA                        11u  /* response to BUF_READ */

/* UART-to-Wishbone bridge framing (hdl/spec/uart.py, docs/uart.md). */
/* CRC-8 polynomial (not reflected, no final XOR) */
#define RRAM_UART_CRC_POLY                       0x07u
#define RRAM_UART_CRC_INIT                       0x00u  /* CRC-8 initial value */
#define RRAM_UART_MAX_WORDS                      16u  /* most words in one READ or WRITE frame */
#define RRAM_UART_IRQ_BIT                        7u  /* reply header: the chip's irq line */
/* reply header: the words read follow the count */
#define RRAM_UART_WORDS_BIT                      6u
#define RRAM_UART_STATUS_MASK                    0x0Fu  /* reply header: the status */
/* a break: the line low this many bit times */
#define RRAM_UART_BREAK_BITS                     10u
#define RRAM_UART_MIN_DIVISOR                    4u  /* fewest clock cycles per bit */
/* shortest inter-byte timeout, in bit times */
#define RRAM_UART_MIN_TIMEOUT_BITS               12u

/*
 * Op: The command byte. The codes are at least 4 bits apart, so one flipped bit never turns one
 * command into another (it becomes BAD_CMD).
 */
#define RRAM_UART_OP_STATUS                      0x3Cu  /* the irq line; no bus access */
#define RRAM_UART_OP_READ                        0x5Au  /* COUNT words from ADR, ADR + 4, ... */
#define RRAM_UART_OP_WRITE                       0xA5u  /* COUNT words to ADR, ADR + 4, ... */

/*
 * Status: The reply's status (its low 4 bits). Only OK, BUS_ERR and BUS_TIMEOUT replies come
 * from an executed frame; every other status means nothing reached the bus.
 */
#define RRAM_UART_STATUS_OK                      0u  /* executed, every word ACKed */
/* a word ended with ERR (the chip's ERR_CAUSE says why); COUNT before it */
#define RRAM_UART_STATUS_BUS_ERR                 1u
/* a word got neither ACK nor ERR within the bus timeout (CYC dropped) */
#define RRAM_UART_STATUS_BUS_TIMEOUT             2u
#define RRAM_UART_STATUS_BAD_CRC                 3u  /* the CRC did not check */
#define RRAM_UART_STATUS_BAD_CMD                 4u  /* the first byte is not an Op */
#define RRAM_UART_STATUS_BAD_LENGTH              5u  /* COUNT is 0 */
/* COUNT is more than MAX_WORDS (the bridge's buffer) */
#define RRAM_UART_STATUS_OVERLONG                6u
/* the frame stopped: the line was idle for the inter-byte timeout */
#define RRAM_UART_STATUS_TIMEOUT                 7u
#define RRAM_UART_STATUS_FRAMING                 8u  /* a byte's stop bit was low */
/* the line was low for BREAK_BITS bit times or longer */
#define RRAM_UART_STATUS_BREAK                   9u

#endif /* RRAM_REGS_H */
