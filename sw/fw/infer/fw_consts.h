/*
 * On-chip firmware constants. Generated from sw/firmware.py by
 * `python -m sw.firmware --write-consts`: do not edit. docs/firmware.md explains them.
 */
#ifndef FW_CONSTS_H
#define FW_CONSTS_H

#define FW_CHIP_BASE                     0x80000000u  /* the chip's Wishbone port on the core's bus */
#define FW_TABLE_MAGIC                   0x524E4554u
#define FW_TABLE_VERSION                 1u
#define FW_MAX_TILES                     16u
#define FW_MAX_VALUES                    128u
#define FW_MAX_PACKET                    64u
#define FW_WV_WORDS_MAX                  8u
#define FW_DEFAULT_POLLS                 0x4000000u
#define FW_MB_WORDS                      16u
#define FW_COORD_BITS                    3u  /* bits of a mesh coordinate (hdl/spec/noc.py) */
#define FW_FLAGS_WEIGHTS_LSB             0u
#define FW_FLAGS_WEIGHTS_MASK            0x3u
#define FW_REPORT_WORDS                  4u

/* Packet head fields, least significant first (hdl/spec/noc.py head_fields); their
 * positions and widths are per configuration, in the table. */
#define FW_HEAD_DEST_X                    0u
#define FW_HEAD_DEST_Y                    1u
#define FW_HEAD_SRC_X                     2u
#define FW_HEAD_SRC_Y                     3u
#define FW_HEAD_MTYPE                     4u
#define FW_HEAD_LENGTH                    5u
#define FW_HEAD_AUX                       6u
#define FW_HEAD_FIELDS                   7u

#define FW_REPORT_PULSES_COUNTER         4u  /* TileCounter.PULSES */
#define FW_REPORT_FAILURES_COUNTER       5u  /* TileCounter.FAILS */
#define FW_REPORT_CYCLES_COUNTER         0u  /* TileCounter.BUSY */

/* FwStatus: Mailbox ``STATUS``: the host writes IDLE before it releases the core. */
#define FW_STATUS_IDLE                     0u
#define FW_STATUS_RUNNING                  1u
#define FW_STATUS_DONE                     2u
#define FW_STATUS_ERROR                    3u

/* FwError: Mailbox ``ERROR``, with what ``DETAIL0`` / ``DETAIL1`` hold. */
#define FW_ERR_NONE                     0u
#define FW_ERR_CHIP                     1u
#define FW_ERR_TABLE                    2u
#define FW_ERR_MAILBOX                  3u
#define FW_ERR_BUS                      4u
#define FW_ERR_TILE                     5u
#define FW_ERR_TIMEOUT                  6u
#define FW_ERR_UNEXPECTED               7u
#define FW_ERR_EXCEPTION                8u

/* Mailbox: Words at the start of the activation SRAM (word indices). */
#define FW_MB_STATUS                   0u
#define FW_MB_ERROR                    1u
#define FW_MB_DETAIL0                  2u
#define FW_MB_DETAIL1                  3u
#define FW_MB_IMAGES                   4u
#define FW_MB_INPUTS                   5u
#define FW_MB_RESULTS                  6u
#define FW_MB_REPORTS                  7u
#define FW_MB_FLAGS                    8u
#define FW_MB_TIMEOUT                  9u
#define FW_MB_PROGRESS                 10u
#define FW_MB_CYCLES_SETUP             11u
#define FW_MB_CYCLES_IMAGES            12u

/* Weights: Mailbox ``FLAGS[1:0]``: how the weights get into the arrays. */
#define FW_WEIGHTS_PROGRAM                  0u
#define FW_WEIGHTS_BACKDOOR                 1u
#define FW_WEIGHTS_PRELOADED                2u

/* Result: Words of one image's result; the logits follow from LOGITS on (signed 32-bit). */
#define FW_RESULT_CLASS                    0u
#define FW_RESULT_CLIPS                    1u
#define FW_RESULT_LOGITS                   2u

/* Report: Words of one tile's programming report (counter differences over the run). */
#define FW_REPORT_NODE                     0u
#define FW_REPORT_PULSES                   1u
#define FW_REPORT_FAILURES                 2u
#define FW_REPORT_CYCLES                   3u

/* TableFault: ``DETAIL0 & 0xFF`` of a TABLE error (bits 8 and up: the layer or tile index). */
#define FW_TABLE_MAGIC_BAD                1u
#define FW_TABLE_VERSION_BAD              2u
#define FW_TABLE_TILES_BAD                3u
#define FW_TABLE_PACKET_BAD               4u
#define FW_TABLE_VALUES_BAD               5u
#define FW_TABLE_LAYER_BAD                6u
#define FW_TABLE_NODE_BAD                 7u
#define FW_TABLE_TILE_BAD                 8u

#endif /* FW_CONSTS_H */
