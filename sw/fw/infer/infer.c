/*
 * The firmware's runtime (infer.h): Runtime.program / load / configure / infer of
 * sw/runtime.py, one image at a time, with the same packets in the same order. No
 * multiplication or division: offsets are running sums.
 */
#include "chip.h"
#include "infer.h"

/* Answers are counted per tile and request kind, as Runtime stashes them per (source,
 * request): answers of one tile to one kind of request arrive in order. */
enum { K_BUF, K_MVM, K_PROGRAM, K_CSR_WRITE, K_CSR_READ, K_KINDS };
/* Row stride of the per-tile arrays: a power of two, so indexing needs no multiply. */
#define K_STRIDE 8
/* Report words kept per tile (node, pulses, failures, cycles): a power of two too. */
#define FW_REPORT_STRIDE 4
_Static_assert(K_KINDS <= K_STRIDE && FW_REPORT_WORDS <= FW_REPORT_STRIDE, "strides");

static const uint8_t kind_request[K_KINDS] = {
    RRAM_MSG_BUF_WRITE, RRAM_MSG_START_MVM, RRAM_MSG_START_PROGRAM, RRAM_MSG_CSR_WRITE,
    RRAM_MSG_CSR_READ,
};

static const struct fw_net *net;
static uint32_t polls;                  /* IRQ_STATUS reads before a wait times out */
static uint16_t got[FW_MAX_TILES][K_STRIDE];
static uint32_t csr_value;              /* the last CSR_READ answer (one outstanding) */
static uint32_t buf_answers;            /* BUF_WRITE answers taken (programming) */
static uint32_t clips;                  /* START_MVM answer values of the image */
static uint32_t data_words;             /* output words taken into out[] */
static uint32_t out_limit;
static int32_t out[FW_MAX_VALUES];
static int32_t codes[FW_MAX_VALUES];
static uint32_t before[FW_MAX_TILES][FW_REPORT_STRIDE];
static struct fw_packet pkt;
static uint32_t body[FW_MAX_PACKET];

#define TRY(x) do { uint32_t e_ = (x); if (e_) return e_; } while (0)

static uint32_t kind_of(uint32_t request)
{
    switch (request) {
    case RRAM_MSG_BUF_WRITE: return K_BUF;
    case RRAM_MSG_START_MVM: return K_MVM;
    case RRAM_MSG_START_PROGRAM: return K_PROGRAM;
    case RRAM_MSG_CSR_WRITE: return K_CSR_WRITE;
    case RRAM_MSG_CSR_READ: return K_CSR_READ;
    default: return K_KINDS;
    }
}

/* Table index of the tile at each mesh position (y << FW_COORD_BITS | x), n_tiles where
 * there is none: the answer's source to its tile in one load. */
static uint8_t tile_at[1u << (2 * FW_COORD_BITS)];

static uint32_t tile_of(uint32_t x, uint32_t y)
{
    return tile_at[(y << FW_COORD_BITS | x) & ((1u << (2 * FW_COORD_BITS)) - 1u)];
}

static uint32_t unexpected(void)
{
    return fw_fail(FW_ERR_UNEXPECTED, pkt.head, pkt.n ? pkt.body[0] : 0);
}

/* Take one packet from the response queue and account for it. A timeout's DETAIL0 is
 * filled in by the caller (timed_out), which knows what it waited for. */
static uint32_t take(void)
{
    TRY(chip_receive(net, &pkt, polls));
    uint32_t t = tile_of(pkt.src_x, pkt.src_y);
    if (t >= net->n_tiles)
        return unexpected();
    if (pkt.mtype == RRAM_MSG_ACTIVATIONS || pkt.mtype == RRAM_MSG_PARTIAL_SUMS) {
        if (pkt.n == 0)
            return unexpected();
        uint32_t off = pkt.body[0] & 0xFFFFu & ~RRAM_QUEUE_OFFSET;
        for (uint32_t i = 1; i < pkt.n; i++, off++) {
            if (off >= out_limit)
                return unexpected();
            out[off] = (int32_t)pkt.body[i];
            data_words++;
        }
        return FW_ERR_NONE;
    }
    if (pkt.n != RRAM_RESPONSE_WORDS)
        return unexpected();
    uint32_t info = pkt.body[1];
    uint32_t request = (info >> 24) & 0xFu, error = (info >> 16) & 0xFFu;
    if (pkt.mtype == RRAM_MSG_ERROR)
        return fw_fail(FW_ERR_TILE, net->tiles[t].node | request << 8 | error << 16,
                       pkt.body[0]);
    uint32_t k = kind_of(request);
    if ((pkt.mtype != RRAM_MSG_DONE && pkt.mtype != RRAM_MSG_CSR_DATA) || k == K_KINDS)
        return unexpected();
    got[t][k]++;
    if (k == K_CSR_READ)
        csr_value = pkt.body[0];
    if (k == K_BUF)
        buf_answers++;
    if (k == K_MVM)
        clips += pkt.body[0];
    return FW_ERR_NONE;
}

/* `e` from take(); a timeout names what we waited for (node | request << 8). */
static uint32_t timed_out(uint32_t e, uint32_t waiting)
{
    if (e == FW_ERR_TIMEOUT)
        fw_fault.detail0 = waiting;
    return e;
}

/* The next answer of tile `t` to a request of kind `k`. */
static uint32_t answer(uint32_t t, uint32_t k)
{
    uint16_t *g = &got[t][k];
    while (*g == 0) {
        uint32_t e = take();
        if (e)
            return timed_out(e, net->tiles[t].node | (uint32_t)kind_request[k] << 8);
    }
    (*g)--;
    return FW_ERR_NONE;
}

static uint32_t answers(uint32_t t, uint32_t k, uint32_t n)
{
    for (; n; n--)
        TRY(answer(t, k));
    return FW_ERR_NONE;
}

/* Register set of cell `c` (row-major): two cells a byte, the even one in bits 3:0. */
static uint32_t target(const struct fw_tile *tp, uint32_t c)
{
    return (tp->targets[c >> 1] >> ((c & 1u) << 2)) & 0xFu;
}

static uint32_t chunk_words(void)
{
    return net->max_packet_flits - 2u;
}

/* BUF_WRITE of body[1 .. m] (body[0] = start) to tile `t`'s buffer `buf`. */
static uint32_t post_chunk(uint32_t t, uint32_t buf, uint32_t start, uint32_t m)
{
    body[0] = start;
    return chip_send(net, &net->tiles[t], RRAM_MSG_BUF_WRITE, buf, body, m + 1u);
}

/* Runtime._buffer: values[0 .. n-1] from element `start` on, then every answer. */
static uint32_t buffer(uint32_t t, uint32_t buf, const int32_t *values, uint32_t n,
                       uint32_t start)
{
    uint32_t chunk = chunk_words(), posted = 0;
    for (uint32_t k = 0; k < n; k += chunk) {
        uint32_t m = n - k < chunk ? n - k : chunk;
        for (uint32_t i = 0; i < m; i++)
            body[1 + i] = (uint32_t)values[k + i];
        TRY(post_chunk(t, buf, start + k, m));
        posted++;
    }
    return answers(t, K_BUF, posted);
}

static uint32_t request(uint32_t t, uint32_t mtype, uint32_t aux, const uint32_t *words,
                        uint32_t n)
{
    TRY(chip_send(net, &net->tiles[t], mtype, aux, words, n));
    return answer(t, kind_of(mtype));
}

/* The counters a program report needs: every counter read in order, as Driver.counters
 * does (a read is a tile command, so the BUSY difference depends on them). */
static uint32_t read_counters(uint32_t t, uint32_t *report)
{
    for (uint32_t c = 0; c < RRAM_TILE_COUNTERS; c++) {
        TRY(request(t, RRAM_MSG_CSR_READ, RRAM_TILE_COUNTER_BASE + c, 0, 0));
        uint32_t v = csr_value;
        if (c == FW_REPORT_PULSES_COUNTER)
            report[FW_REPORT_PULSES] = v;
        if (c == FW_REPORT_FAILURES_COUNTER)
            report[FW_REPORT_FAILURES] = v;
        if (c == FW_REPORT_CYCLES_COUNTER)
            report[FW_REPORT_CYCLES] = v;
    }
    report[FW_REPORT_NODE] = net->tiles[t].node;
    return FW_ERR_NONE;
}

/* Runtime.program: every tile's targets and PROGRAM run streamed, at most program_room
 * BUF_WRITE answers owed, then the runs collected in tile order. */
static uint32_t program(uint32_t reports)
{
    uint32_t chunk = chunk_words(), posted = 0, after[FW_REPORT_STRIDE];
    for (uint32_t t = 0; t < net->n_tiles; t++)
        TRY(read_counters(t, before[t]));
    buf_answers = 0;
    for (uint32_t t = 0; t < net->n_tiles; t++) {
        const struct fw_tile *tp = &net->tiles[t];
        for (uint32_t k = 0; k < tp->n_targets; k += chunk) {
            uint32_t m = tp->n_targets - k < chunk ? tp->n_targets - k : chunk;
            while (posted - buf_answers >= net->program_room)
                TRY(timed_out(take(), tp->node | RRAM_MSG_BUF_WRITE << 8));
            for (uint32_t i = 0, c = k; i < m; i++, c++)
                body[1 + i] = target(tp, c);
            TRY(post_chunk(t, RRAM_BUF_TARGETS, k, m));
            posted++;
        }
        TRY(chip_send(net, tp, RRAM_MSG_START_PROGRAM, 0, tp->program, tp->program_words));
    }
    while (buf_answers < posted)
        TRY(timed_out(take(), RRAM_MSG_BUF_WRITE << 8));
    for (uint32_t t = 0; t < net->n_tiles; t++) {
        got[t][K_BUF] = 0;
        TRY(answer(t, K_PROGRAM));
        TRY(read_counters(t, after));
        if (reports) {
            asram_write(reports + FW_REPORT_NODE, after[FW_REPORT_NODE]);
            for (uint32_t w = FW_REPORT_NODE + 1; w < FW_REPORT_WORDS; w++)
                asram_write(reports + w, after[w] - before[t][w]);
            reports += FW_REPORT_WORDS;
        }
    }
    return FW_ERR_NONE;
}

/* Runtime.load (back door): every cell's level code by LOAD_CELL, row by row. */
static uint32_t load(void)
{
    for (uint32_t t = 0; t < net->n_tiles; t++) {
        const struct fw_tile *tp = &net->tiles[t];
        uint32_t cell = 0;
        for (uint32_t r = 0; r < tp->target_rows; r++) {
            for (uint32_t c = 0; c < tp->target_cols; c++, cell++)
                codes[c] = net->levels[target(tp, cell)];
            TRY(buffer(t, RRAM_BUF_CELLS, codes, tp->target_cols, r << 8));
        }
    }
    return FW_ERR_NONE;
}

/* Runtime.configure: descriptor fields, bias, NI_EXPECT (CSR_WRITE requests, answered). */
static uint32_t configure(void)
{
    for (uint32_t t = 0; t < net->n_tiles; t++) {
        const struct fw_tile *tp = &net->tiles[t];
        for (uint32_t f = 0; f < RRAM_TILE_FIELDS; f++)
            TRY(request(t, RRAM_MSG_CSR_WRITE, RRAM_TILE_FIELD_BASE + f, &tp->desc[f], 1));
        TRY(buffer(t, RRAM_BUF_BIAS, tp->bias, tp->n_bias, 0));
        uint32_t expect = tp->expect;
        TRY(request(t, RRAM_MSG_CSR_WRITE, RRAM_TILE_NI_EXPECT, &expect, 1));
    }
    return FW_ERR_NONE;
}

/* One image: input codes in codes[], logits left in codes[0 .. n_classes - 1]. Segments
 * of layers from a host-fed one to the next relay or the end, as Runtime.infer. */
static uint32_t infer(void)
{
    uint32_t seg = 0;
    clips = 0;
    while (seg < net->n_layers) {
        uint32_t end = seg;
        while (!net->layers[end].relay && end + 1u < net->n_layers)
            end++;
        const struct fw_layer *lp = &net->layers[seg];
        const struct fw_layer *le = &net->layers[end];
        for (uint32_t t = lp->first_tile; t < lp->first_tile + lp->n_tiles; t++) {
            const struct fw_tile *tp = &net->tiles[t];
            TRY(buffer(t, RRAM_BUF_INPUT, &codes[tp->row0], tp->n_rows, 0));
        }
        for (uint32_t t = lp->first_tile; t < lp->first_tile + lp->n_tiles; t++)
            if (net->tiles[t].expect == 0)
                TRY(chip_send(net, &net->tiles[t], RRAM_MSG_START_MVM, 0, 0, 0));
        uint32_t expected = 0;
        for (uint32_t t = le->first_tile; t < le->first_tile + le->n_tiles; t++)
            if (net->tiles[t].desc[RRAM_TILE_FIELD_DEST] == net->host_node)
                expected += net->tiles[t].n_out;
        out_limit = le->n_outputs;
        for (uint32_t i = 0; i < out_limit; i++)
            out[i] = 0;
        data_words = 0;
        for (uint32_t t = lp->first_tile; t < le->first_tile + le->n_tiles; t++)
            TRY(answer(t, K_MVM));
        while (data_words < expected)
            TRY(timed_out(take(), net->host_node | RRAM_MSG_ACTIVATIONS << 8));
        for (uint32_t i = 0; i < out_limit; i++)
            codes[i] = out[i];
        seg = end + 1u;
    }
    return FW_ERR_NONE;
}

/* Every check of the table that does not need the chip. */
static uint32_t check_table(void)
{
    if (net->magic != FW_TABLE_MAGIC)
        return fw_fail(FW_ERR_TABLE, FW_TABLE_MAGIC_BAD, net->magic);
    if (net->version != FW_TABLE_VERSION)
        return fw_fail(FW_ERR_TABLE, FW_TABLE_VERSION_BAD, net->version);
    if (net->n_tiles > FW_MAX_TILES || net->n_tiles == 0 || net->n_layers == 0)
        return fw_fail(FW_ERR_TABLE, FW_TABLE_TILES_BAD, net->n_tiles);
    if (net->max_packet_flits > FW_MAX_PACKET || net->max_packet_flits < 3u)
        return fw_fail(FW_ERR_TABLE, FW_TABLE_PACKET_BAD, net->max_packet_flits);
    if (net->n_inputs > FW_MAX_VALUES || net->n_classes > FW_MAX_VALUES)
        return fw_fail(FW_ERR_TABLE, FW_TABLE_VALUES_BAD, net->n_inputs);
    for (uint32_t l = 0; l < net->n_layers; l++) {
        const struct fw_layer *lp = &net->layers[l];
        if (lp->n_outputs > FW_MAX_VALUES || lp->n_inputs > FW_MAX_VALUES
                || lp->first_tile + lp->n_tiles > net->n_tiles)
            return fw_fail(FW_ERR_TABLE, FW_TABLE_LAYER_BAD | l << 8, lp->n_outputs);
    }
    for (uint32_t i = 0; i < sizeof tile_at; i++)
        tile_at[i] = (uint8_t)net->n_tiles;
    for (uint32_t t = 0; t < net->n_tiles; t++) {
        const struct fw_tile *tp = &net->tiles[t];
        if (tp->x >= net->mesh_width || tp->y >= net->mesh_height
                || tp->node == net->host_node || tp->x >> FW_COORD_BITS
                || tp->y >> FW_COORD_BITS)
            return fw_fail(FW_ERR_TABLE, FW_TABLE_NODE_BAD | t << 8, tp->node);
        tile_at[(uint32_t)tp->y << FW_COORD_BITS | tp->x] = (uint8_t)t;
        if (tp->row0 + tp->n_rows > FW_MAX_VALUES || tp->program_words > FW_WV_WORDS_MAX
                || tp->layer >= net->n_layers || tp->target_cols > FW_MAX_VALUES)
            return fw_fail(FW_ERR_TABLE, FW_TABLE_TILE_BAD | t << 8, tp->node);
    }
    return FW_ERR_NONE;
}

/* Words of `n` records of `size` words from `base` fit below `limit`. */
static uint32_t fits(uint32_t base, uint32_t size, uint32_t n, uint32_t limit)
{
    uint32_t end = base;
    for (; n; n--) {
        end += size;
        if (end > limit)
            return 0;
    }
    return end <= limit;
}

static uint32_t run(void)
{
    TRY(check_table());
    TRY(chip_open(net));
    uint32_t t0 = chip_read32(RRAM_CYCLES_OFFSET);
    uint32_t asram = (chip_read32(RRAM_CFG_ASRAM_OFFSET) & RRAM_CFG_ASRAM_WORDS_MASK)
                     >> RRAM_CFG_ASRAM_WORDS_LSB;
    uint32_t n = asram_read(FW_MB_IMAGES), inputs = asram_read(FW_MB_INPUTS);
    uint32_t results = asram_read(FW_MB_RESULTS), reports = asram_read(FW_MB_REPORTS);
    uint32_t flags = asram_read(FW_MB_FLAGS);
    uint32_t in_words = ((uint32_t)net->n_inputs + 3u) >> 2;
    uint32_t res_words = FW_RESULT_LOGITS + (uint32_t)net->n_classes;
    polls = asram_read(FW_MB_TIMEOUT);
    if (polls == 0)
        polls = FW_DEFAULT_POLLS;
    if (inputs < FW_MB_WORDS || !fits(inputs, in_words, n, asram))
        return fw_fail(FW_ERR_MAILBOX, FW_MB_INPUTS, inputs);
    if (results < FW_MB_WORDS || !fits(results, res_words, n, asram))
        return fw_fail(FW_ERR_MAILBOX, FW_MB_RESULTS, results);
    if (reports && (reports < FW_MB_WORDS
                    || !fits(reports, FW_REPORT_WORDS, net->n_tiles, asram)))
        return fw_fail(FW_ERR_MAILBOX, FW_MB_REPORTS, reports);
    uint32_t weights = (flags & FW_FLAGS_WEIGHTS_MASK) >> FW_FLAGS_WEIGHTS_LSB;
    if (weights == FW_WEIGHTS_PROGRAM)
        TRY(program(reports));
    else if (weights == FW_WEIGHTS_BACKDOOR)
        TRY(load());
    else if (weights != FW_WEIGHTS_PRELOADED)
        return fw_fail(FW_ERR_MAILBOX, FW_MB_FLAGS, flags);
    TRY(configure());
    uint32_t t1 = chip_read32(RRAM_CYCLES_OFFSET);
    asram_write(FW_MB_CYCLES_SETUP, t1 - t0);
    for (uint32_t i = 0; i < n; i++, inputs += in_words, results += res_words) {
        for (uint32_t j = 0, w = 0; j < net->n_inputs; j++) {
            if ((j & 3u) == 0)
                w = asram_read(inputs + (j >> 2));
            codes[j] = (int32_t)((w >> ((j & 3u) << 3)) & 0xFFu);
        }
        TRY(infer());
        uint32_t best = 0;
        for (uint32_t c = 1; c < net->n_classes; c++)
            if (codes[c] > codes[best])
                best = c;
        asram_write(results + FW_RESULT_CLASS, best);
        asram_write(results + FW_RESULT_CLIPS, clips);
        for (uint32_t c = 0; c < net->n_classes; c++)
            asram_write(results + FW_RESULT_LOGITS + c, (uint32_t)codes[c]);
        asram_write(FW_MB_PROGRESS, i + 1u);
    }
    asram_write(FW_MB_CYCLES_IMAGES, chip_read32(RRAM_CYCLES_OFFSET) - t1);
    return FW_ERR_NONE;
}

uint32_t fw_main(const struct fw_net *table)
{
    net = table;
    fw_fault.error = fw_fault.detail0 = fw_fault.detail1 = 0;
    buf_answers = clips = data_words = out_limit = 0;
    for (uint32_t t = 0; t < FW_MAX_TILES; t++)
        for (uint32_t k = 0; k < K_KINDS; k++)
            got[t][k] = 0;
    asram_write(FW_MB_ERROR, 0);
    asram_write(FW_MB_DETAIL0, 0);
    asram_write(FW_MB_DETAIL1, 0);
    asram_write(FW_MB_PROGRESS, 0);
    asram_write(FW_MB_CYCLES_SETUP, 0);
    asram_write(FW_MB_CYCLES_IMAGES, 0);
    asram_write(FW_MB_STATUS, FW_STATUS_RUNNING);
    uint32_t e = run();
    if (e) {
        asram_write(FW_MB_ERROR, fw_fault.error);
        asram_write(FW_MB_DETAIL0, fw_fault.detail0);
        asram_write(FW_MB_DETAIL1, fw_fault.detail1);
        asram_write(FW_MB_STATUS, FW_STATUS_ERROR);
    } else {
        asram_write(FW_MB_STATUS, FW_STATUS_DONE);
    }
    return e;
}
