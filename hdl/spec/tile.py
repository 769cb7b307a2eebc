"""Compute tile: commands, layer-descriptor fields, counters and error codes.

Pure Python (no Amaranth): the gateware (``hdl/tile.py``) and the golden model
(``sim/tile.py``) both use these definitions, and ``docs/tile.md`` documents them.
"""

import enum

__all__ = [
    "TileOp",
    "TileField",
    "TileCounter",
    "TileError",
    "Activation",
    "TILE_FIELDS",
    "TILE_COUNTERS",
    "field_limits",
    "field_defaults",
    "pair_current_bits",
    "adc_schedule",
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


def pair_current_bits(cfg):
    """Width of a signed differential pair current (as ``hdl.crossbar.pair_current_shape``)."""
    a = cfg.array
    return (a.rows * a.g_max * a.v_read_mvm).bit_length() + 1


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


def adc_schedule(cfg):
    """Constants of the bit-serial MVM schedule (``docs/tile.md``).

    Returns ``(t_read, rounds, t_conv, gap, period)``:

    * ``t_read = rows + 3``: crossbar MVM latency (accept to response);
    * ``rounds = (cols/2) / K``: conversions per ADC per plane (column-mux positions);
    * ``t_conv = rounds * (B + 1)``: ADC time per plane (sample + B bit cycles per round);
    * ``gap = max(1, t_conv - B - t_read)``: cycles from a plane's first sample to the
      next plane's crossbar issue, so that its last sample still sees this plane's currents;
    * ``period = max(t_read + 1, t_conv)``: cycles per plane in steady state.
    """
    t_read = cfg.array.rows + 3
    rounds = cfg.array.pairs // cfg.adc_count
    t_conv = rounds * (cfg.adc_bits + 1)
    gap = max(1, t_conv - cfg.adc_bits - t_read)
    period = max(t_read + 1, t_conv)
    return t_read, rounds, t_conv, gap, period
