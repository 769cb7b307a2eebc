"""Compute tile: commands, layer-descriptor fields, counters, error codes, refusal rules and
the cycle model.

Pure Python (no Amaranth): the gateware (``hdl/tile.py``) and the golden model
(``sim/tile.py``) both use these definitions, and ``docs/tile.md`` documents them.
"""

import enum

from hdl.spec.crossbar import CrossbarOp, pair_current_bits
from hdl.spec.crossbar import latency as crossbar_latency
from hdl.spec.fields import total_width
from hdl.spec.rules import first_match
from hdl.spec.write_verify import command_fields as wv_command_fields

__all__ = [
    "TileOp",
    "TileField",
    "TileCounter",
    "TileError",
    "Activation",
    "TILE_FIELDS",
    "TILE_COUNTERS",
    "ADDR_BITS",
    "VALUE_BITS",
    "RESPONSE_VALUE_BITS",
    "command_fields",
    "response_fields",
    "output_fields",
    "field_limits",
    "field_defaults",
    "refusal_rules",
    "refusal",
    "REFUSED_LATENCY",
    "ACCESS_LATENCY",
    "FORWARD_OVERHEAD",
    "MVM_OVERHEAD",
    "adc_schedule",
    "mvm_latency",
    "mvm_floor",
    "adc_floor",
]


class TileOp(enum.IntEnum):
    """Tile commands (``addr`` and ``value`` as noted; every command gets one response)."""

    CONFIG = 0        # addr = TileField, value -> descriptor field
    READ_CONFIG = 1   # addr = TileField -> value
    WRITE_INPUT = 2   # addr = row, value = activation bit pattern (input_bits wide)
    WRITE_BIAS = 3    # addr = pair, value = signed bias (two's complement in 32 bits)
    WRITE_PSUM = 4    # addr = pair, value = signed incoming partial sum
    MVM = 5           # run the layer; outputs on `out`; answers the MVM's clipped conversions
    WV = 6            # forward the `wv` sub-command to the write-verify engine
    LOAD_CELL = 7     # back door: addr = row << 8 | col, value = conductance code
    READ_COUNTER = 8  # addr = TileCounter -> value


class TileField(enum.IntEnum):
    """Layer-descriptor fields (one register each, written by CONFIG)."""

    IN_BITS = 0       # activation width P of this layer, 1..input_bits
    IN_SIGNED = 1     # activations are two's complement: the MSB plane counts negative
    ADC_SHIFT = 2     # gain register: the ADC converts floor(I / 2**ADC_SHIFT)
    PSUM_EN = 3       # add the psum buffer (partial sums from other tiles)
    OUT_RAW = 4       # send the partial sum (acc + psum + bias) instead of requantizing
    OUT_MULT = 5      # requantization multiplier (unsigned)
    OUT_SHIFT = 6     # requantization right shift (round half away from zero)
    OUT_BITS = 7      # output width, 1..input_bits (saturation)
    OUT_SIGNED = 8    # signed output range (else 0 .. 2**OUT_BITS - 1)
    ACTIVATION = 9    # Activation
    DEST = 10         # destination node of the outputs
    OFFSET = 11       # offset of output 0 at the destination
    OUT_COUNT = 12    # outputs sent (pairs 0 .. OUT_COUNT-1), 1..cols/2


TILE_FIELDS = len(TileField)


class Activation(enum.IntEnum):
    IDENTITY = 0
    RELU = 1


class TileCounter(enum.IntEnum):
    """Performance and status counters (``counter_bits`` wide, wrapping)."""

    BUSY = 0          # cycles the controller was not idle
    MVMS = 1          # MVM commands run
    CONVERSIONS = 2   # ADC conversions (planes x cols/2 per MVM)
    CLIPS = 3         # conversions whose input was outside the ADC range
    PULSES = 4        # SET/RESET pulses the write-verify engine applied
    FAILS = 5         # cells that failed write-verify (sum over runs)
    LAST_ERROR = 6    # TileError of the last refused or failed command (sticky)
    ERRORS = 7        # commands answered with an error


TILE_COUNTERS = len(TileCounter)


class TileError(enum.IntEnum):
    NONE = 0
    BAD_OP = 1        # unknown command
    BAD_ADDRESS = 2   # field, row, pair, cell or counter index out of range
    BAD_VALUE = 3     # value out of range (incl. lengths: IN_BITS, OUT_BITS, OUT_COUNT)
    ENGINE = 4        # the write-verify engine answered an error (its code in value[42:40])


# -- stream formats --------------------------------------------------------------------------
#: Bits of a command's ``addr`` and ``value`` and of a response's ``value``.
ADDR_BITS = 16
VALUE_BITS = 32
RESPONSE_VALUE_BITS = 48


def command_fields(cfg):
    """``[(name, width | enum)]`` of the tile's command stream, LSB first. ``wv`` is the
    packed write-verify engine command a WV command forwards
    (``hdl.spec.write_verify.command_fields``; the gateware gives it that struct layout)."""
    return [("op", TileOp), ("addr", ADDR_BITS), ("value", VALUE_BITS),
            ("wv", total_width(wv_command_fields(cfg)))]


def response_fields(cfg):
    """``[(name, width | enum)]`` of the tile's response stream."""
    return [("error", TileError), ("value", RESPONSE_VALUE_BITS)]


def output_fields(cfg):
    """``[(name, width)]`` of one MVM output, LSB first: ``value`` for ``offset`` at node
    ``dest``; ``kind`` 0 is an activation, 1 a partial sum (OUT_RAW). ``value`` is two's
    complement (the gateware's field is signed)."""
    return [("dest", 8), ("offset", 16), ("kind", 1), ("value", cfg.tile.psum_bits)]


def field_limits(cfg):
    """``field -> (lo, hi)`` accepted by CONFIG."""
    t = cfg.tile
    nodes = cfg.mesh_width * cfg.mesh_height
    return {
        TileField.IN_BITS: (1, cfg.input_bits),
        TileField.IN_SIGNED: (0, 1),
        TileField.ADC_SHIFT: (0, pair_current_bits(cfg) - 1),
        TileField.PSUM_EN: (0, 1),
        TileField.OUT_RAW: (0, 1),
        TileField.OUT_MULT: (0, (1 << t.mult_bits) - 1),
        TileField.OUT_SHIFT: (0, t.psum_bits + t.mult_bits),
        TileField.OUT_BITS: (1, cfg.input_bits),
        TileField.OUT_SIGNED: (0, 1),
        TileField.ACTIVATION: (0, len(Activation) - 1),
        TileField.DEST: (0, nodes - 1),
        TileField.OFFSET: (0, 0xFFFF),
        TileField.OUT_COUNT: (1, cfg.array.pairs),
    }


def field_defaults(cfg):
    """Descriptor at reset: unsigned P-bit in and out, unit gain, identity, all outputs to
    the host."""
    return {
        TileField.IN_BITS: cfg.input_bits,
        TileField.IN_SIGNED: 0,
        TileField.ADC_SHIFT: 0,
        TileField.PSUM_EN: 0,
        TileField.OUT_RAW: 0,
        TileField.OUT_MULT: 1,
        TileField.OUT_SHIFT: 0,
        TileField.OUT_BITS: cfg.input_bits,
        TileField.OUT_SIGNED: 0,
        TileField.ACTIVATION: Activation.IDENTITY,
        TileField.DEST: cfg.host_node,
        TileField.OFFSET: 0,
        TileField.OUT_COUNT: cfg.array.pairs,
    }


# -- refusals ---------------------------------------------------------------------------------


def refusal_rules(cfg):
    """``op -> [(TileError, rule)]``: a command is refused with the error of the first rule
    (in list order: BAD_ADDRESS before BAD_VALUE) any of whose conditions holds (rules as in
    ``hdl.spec.rules``); an op missing here is refused with BAD_OP. The gateware evaluates
    the same table on its command payload (``hdl.common.refusal_code``), the golden model
    on a :class:`sim.tile.TileCommand` (:func:`refusal`).

    A refused command answers after ``REFUSED_LATENCY`` cycles and changes nothing.
    ``value`` is the raw 32-bit word: a bias or partial sum is its two's complement.
    """
    a, t = cfg.array, cfg.tile
    limits = field_limits(cfg)
    B, V = TileError.BAD_ADDRESS, TileError.BAD_VALUE

    def field_value(c):
        # CONFIG: the addressed field's value outside its range. Only the bounds that can
        # fail are compared (``value < 0`` would be a constant comparison in the gateware).
        bad = []
        for f, (lo, hi) in limits.items():
            out = c.value > hi
            if lo > 0:
                out = out | (c.value < lo)
            bad.append((c.addr == f) & out)
        return bad

    def signed_value(bits):
        # Outside -2**(bits-1) .. 2**(bits-1) - 1 as a 32-bit two's-complement word.
        half = 1 << (bits - 1)
        return lambda c: [(c.value >= half) & (c.value < (1 << VALUE_BITS) - half)]

    def pair(c):
        return [c.addr >= a.pairs]

    return {
        TileOp.CONFIG: [(B, lambda c: [c.addr >= TILE_FIELDS]), (V, field_value)],
        TileOp.READ_CONFIG: [(B, lambda c: [c.addr >= TILE_FIELDS])],
        TileOp.WRITE_INPUT: [(B, lambda c: [c.addr >= a.rows]),
                             (V, lambda c: [c.value >= 1 << cfg.input_bits])],
        TileOp.WRITE_BIAS: [(B, pair), (V, signed_value(t.bias_bits))],
        TileOp.WRITE_PSUM: [(B, pair), (V, signed_value(t.psum_bits))],
        TileOp.MVM: [],
        TileOp.WV: [],
        # addr = row << 8 | col
        TileOp.LOAD_CELL: [(B, lambda c: [c.addr >= a.rows << 8, (c.addr & 0xFF) >= a.cols]),
                           (V, lambda c: [c.value > a.g_max])],
        TileOp.READ_COUNTER: [(B, lambda c: [c.addr >= TILE_COUNTERS])],
    }


def refusal(cfg, cmd):
    """The :class:`TileError` ``cmd`` (with ``op``, ``addr``, ``value`` as ints) is refused
    with (NONE if it is accepted)."""
    rules = refusal_rules(cfg).get(cmd.op)
    if rules is None:
        return TileError.BAD_OP
    return TileError(first_match(rules, cmd, TileError.NONE))


# -- cycle model -------------------------------------------------------------------------------
#: Cycles of a refused command (accept, then the response).
REFUSED_LATENCY = 1
#: CONFIG, READ_CONFIG, WRITE_*, READ_COUNTER.
ACCESS_LATENCY = 2
#: Extra cycles of a forwarded command (WV to the engine, LOAD_CELL to the crossbar): the
#: issue cycle and the response register.
FORWARD_OVERHEAD = 2
#: Fixed cycles of an MVM around the planes and the outputs (issue of plane 0, write-back
#: of the last conversion, three output pipeline stages, the response).
MVM_OVERHEAD = 6


def adc_schedule(cfg):
    """Constants of the bit-serial MVM schedule (``docs/tile.md``).

    Returns ``(t_read, rounds, t_conv, gap, period)``:

    * ``t_read``: the crossbar's MVM latency, accept to response
      (``hdl.spec.crossbar.latency``: ``ceil(rows / read_rows) + 3``);
    * ``rounds = (cols/2) / K``: conversions per ADC per plane (column-mux positions);
    * ``t_conv = rounds * (B + 1)``: ADC time per plane (sample + B bit cycles per round);
    * ``gap = max(1, t_conv - B - t_read)``: cycles from a plane's first sample to the
      next plane's crossbar issue, so that its last sample still sees this plane's currents;
    * ``period = max(t_read + 1, t_conv)``: cycles per plane in steady state.
    """
    t_read = crossbar_latency(cfg, CrossbarOp.MVM)
    rounds = cfg.array.pairs // cfg.adc_count
    t_conv = rounds * (cfg.adc_bits + 1)
    gap = max(1, t_conv - cfg.adc_bits - t_read)
    period = max(t_read + 1, t_conv)
    return t_read, rounds, t_conv, gap, period


def mvm_latency(cfg, in_bits, out_count, stalls=0):
    """Cycles of an MVM command (accept to response) for a P = ``in_bits`` layer that sends
    ``out_count`` outputs, plus ``stalls`` cycles the output stream was not ready::

        t_read + (P - 1) * period + t_conv + out_count + MVM_OVERHEAD + stalls

    with ``t_read``, ``t_conv`` and ``period = max(t_read + 1, t_conv)`` from
    :func:`adc_schedule`.
    """
    t_read, _, t_conv, _, period = adc_schedule(cfg)
    return t_read + (in_bits - 1) * period + t_conv + out_count + MVM_OVERHEAD + stalls


def mvm_floor(cfg, in_bits=None):
    """The no-overlap bound ``P x (t_read + ((C/2)/K) x (B+1))`` of the benchmark: every
    plane read, then converted, one after the other."""
    p = cfg.input_bits if in_bits is None else in_bits
    t_read, _, t_conv, _, _ = adc_schedule(cfg)
    return p * (t_read + t_conv)


def adc_floor(cfg, in_bits=None):
    """The ADCs' own time, ``P x ((C/2)/K) x (B+1)``: every conversion of every plane, back
    to back, with no read, write-back or output cycles. No schedule beats it; the benchmark
    reports the MVM latency as a ratio to it."""
    p = cfg.input_bits if in_bits is None else in_bits
    return p * adc_schedule(cfg)[2]
