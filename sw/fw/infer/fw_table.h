/*
 * The network table: everything the firmware needs to put one compiled network on the chip
 * and run it, written by the compiler's emitter (sw/firmware.py, `emit_table`) as a C
 * source that defines `const struct fw_net FW_NET`, with designated initializers (a field
 * renamed here is a compile error there, never a silent misread).
 *
 * The firmware reads decisions from the table; it makes none: descriptors (OFFSET with
 * QUEUE_OFFSET already set for outputs bound for the host), NI_EXPECT, biases, the
 * write-verify targets and the START_PROGRAM command words, which layers the host feeds,
 * the response-queue room while programming, and the packet-head layout of this chip
 * configuration all come from Python (sw/runtime.py's helpers, hdl/spec/noc.py).
 * docs/firmware.md describes every field.
 */
#ifndef FW_TABLE_H
#define FW_TABLE_H

#include <stdint.h>

#include "fw_consts.h"
#include "rram_regs.h"

/* One tile: one array-sized block of a layer (sw.compiler.TilePlan). */
struct fw_tile {
    uint8_t node;            /* mesh node */
    uint8_t x, y;            /* its mesh coordinates (hdl.spec.noc.node_xy) */
    uint8_t layer;           /* index into fw_net.layers */
    uint16_t row0, n_rows;   /* layer inputs row0 .. row0 + n_rows - 1 drive array rows 0 .. */
    uint16_t out0, n_out;    /* layer outputs out0 .. out0 + n_out - 1 (OUT_COUNT) */
    uint16_t expect;         /* NI_EXPECT: data words that start its MVM (0: the host does) */
    uint32_t desc[RRAM_TILE_FIELDS];           /* written field by field, in field order */
    const int32_t *bias;     /* bias of pairs 0 .. n_bias - 1 (accumulator units) */
    uint16_t n_bias;
    const uint8_t *targets;  /* register set of every cell, row-major, two cells a byte:
                                cell c in bits 4 (c % 2) + 3 .. 4 (c % 2) of byte c / 2 */
    uint16_t target_cols;    /* cells per row (whole rows: the array's columns) */
    uint16_t target_rows;
    uint32_t n_targets;      /* target_rows * target_cols */
    uint32_t program[FW_WV_WORDS_MAX];         /* START_PROGRAM body: the PROGRAM run */
    uint8_t program_words;
};

/* One layer (sw.compiler.LayerPlan). Its tiles are tiles[first_tile .. + n_tiles - 1]. */
struct fw_layer {
    uint16_t first_tile, n_tiles;
    uint16_t n_inputs, n_outputs;
    uint8_t host_fed;        /* the host sends its inputs (first layer, or after a relay) */
    uint8_t relay;           /* its outputs come back to the host, which sends them on */
};

struct fw_net {
    uint32_t magic;          /* FW_TABLE_MAGIC */
    uint32_t version;        /* FW_TABLE_VERSION */
    uint32_t cfg_digest;     /* CFG_DIGEST of the chip configuration compiled for */
    uint8_t mesh_width, mesh_height, host_node;
    uint8_t max_packet_flits;      /* NoC packet: head + body words */
    uint16_t program_room;         /* BUF_WRITE answers owed at most while programming */
    uint8_t head_lsb[FW_HEAD_FIELDS];    /* packet head layout, FW_HEAD_* order */
    uint8_t head_width[FW_HEAD_FIELDS];
    uint16_t n_inputs;             /* input codes per image */
    uint16_t n_classes;            /* logits per image (the last layer's outputs) */
    uint8_t input_bits;            /* width of one input code */
    uint16_t n_layers, n_tiles;
    const struct fw_layer *layers;
    const struct fw_tile *tiles;
    const uint16_t *levels;        /* conductance code of each register set (back door) */
    uint8_t n_levels;
};

extern const struct fw_net FW_NET;

#endif /* FW_TABLE_H */
