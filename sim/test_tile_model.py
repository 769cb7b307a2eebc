"""Golden model of the tile against independent references (no simulator needed)."""

from fractions import Fraction

import numpy as np
import pytest

from hdl.spec.config import ConfigError, preset
from hdl.spec.tile import (
    TileCounter,
    TileError,
    TileField,
    TileOp,
    adc_floor,
    adc_schedule,
    mvm_floor,
    mvm_latency,
)
from sim.tile import TileCommand, TileModel, requantize

F = TileField


def _model(**changes):
    fields = dict(array={"rows": 8, "cols": 8}, input_bits=8, adc_bits=12, adc_count=2)
    cfg = preset("tiny").replace(**dict(fields, **changes))
    return TileModel(cfg)


@pytest.mark.parametrize("p", [1, 3, 4, 8])
@pytest.mark.parametrize("signed", [0, 1])
def test_bit_serial_mvm_equals_integer_matmul(p, signed):
    """Without clipping and with unit gain, shift-adding the planes' ADC codes is exactly
    ``v_read * x @ (G+ - G-)`` for unsigned and two's-complement inputs."""
    rng = np.random.default_rng(p * 10 + signed)
    m = _model()
    a = m.cfg.array
    g = rng.integers(0, 21, (a.rows, a.cols))   # |I| <= 8 * 20 * 10 < 2**11: no clipping
    m.xb.load_array(g)
    lo, hi = (-(1 << (p - 1)), (1 << (p - 1))) if signed else (0, 1 << p)
    x = rng.integers(lo, hi, a.rows)
    m.inputs[:] = x & ((1 << p) - 1)
    m.desc.update({F.IN_BITS: p, F.IN_SIGNED: signed, F.OUT_RAW: 1})
    v, out, clips = m.mvm_values()
    want = a.v_read_mvm * (x @ (g[:, 0::2] - g[:, 1::2]))
    assert clips == 0
    assert (v == want).all() and (out == want).all()


def test_clipping_is_counted():
    m = _model(adc_bits=4)
    m.xb.load_array(np.tile([255, 0], (8, 4)))
    m.inputs[:] = 0xFF
    _, _, clips = m.mvm_values()
    assert clips == 8 * 4  # every plane, every pair: 8 * 255 * 10 >> 0 is far above 7


def test_requantize_rounds_half_away_from_zero_and_saturates():
    m = _model()
    rng = np.random.default_rng(1)
    for _ in range(300):
        d = dict(m.desc)
        d.update({F.OUT_MULT: int(rng.integers(0, 1 << 16)), F.OUT_SHIFT: int(rng.integers(0, 20)),
                  F.OUT_BITS: int(rng.integers(1, 9)), F.OUT_SIGNED: int(rng.integers(0, 2)),
                  F.ACTIVATION: int(rng.integers(0, 2))})
        v = int(rng.integers(-(1 << 20), 1 << 20))
        exact = Fraction(v * d[F.OUT_MULT], 1 << d[F.OUT_SHIFT])
        mag = int(abs(exact) + Fraction(1, 2))  # floor(|x| + 1/2): half away from zero
        y = mag if exact >= 0 else -mag
        if d[F.ACTIVATION]:
            y = max(y, 0)
        ob = d[F.OUT_BITS]
        lo, hi = (-(1 << (ob - 1)), (1 << (ob - 1)) - 1) if d[F.OUT_SIGNED] else (0, (1 << ob) - 1)
        assert int(requantize(m.cfg, [v], d)[0]) == min(max(y, lo), hi), (v, d)


def test_latency_formula_regimes():
    """Read-bound: one plane per crossbar read (+1 idle cycle); conversion-bound: one plane
    per ADC pass; both never slower than the no-overlap floor for P >= 2."""
    # default reads all 64 rows at once: a 4-cycle read, conversion-bound, the ADCs never
    # wait; 42 cycles above the ADC floor (the first read, the outputs, the overhead).
    default = preset("default")
    assert adc_schedule(default) == (4, 4, 36, 36 - 8 - 4, 36)
    assert mvm_latency(default, 8, 32) == 4 + 7 * 36 + 36 + 32 + 6 == 330
    assert adc_floor(default) == 8 * 4 * 9 == 288
    # The same array read one row per cycle (as fpga): 67-cycle read, read-bound.
    read_bound = default.replace(array={"read_rows": 1})
    t_read, rounds, t_conv, gap, period = adc_schedule(read_bound)
    assert (t_read, rounds, t_conv, gap, period) == (67, 4, 36, 1, 68)
    assert mvm_latency(read_bound, 8, 32) == 67 + 7 * 68 + 36 + 32 + 6
    assert mvm_floor(read_bound) == 8 * (67 + 36)
    conv_bound = preset("tiny").replace(adc_count=1, adc_bits=8)  # 8 x 9 = 72 > 8 + 3
    t_read, rounds, t_conv, gap, period = adc_schedule(conv_bound)
    assert (t_read, t_conv, gap, period) == (11, 72, 72 - 8 - 11, 72)
    for cfg in (default, read_bound, conv_bound):
        for p in range(2, cfg.input_bits + 1):
            assert mvm_latency(cfg, p, cfg.array.pairs) < mvm_floor(cfg, p) + cfg.array.pairs + 6
            assert mvm_latency(cfg, p, cfg.array.pairs) >= adc_floor(cfg, p)


def test_mvm_read_noise_one_crossbar_mvm_per_plane():
    """With MVM read noise, each plane is one crossbar MVM: an MVM command advances the
    crossbar's MVM count by IN_BITS, mvm_values (the next MVM's) changes nothing, and the
    same inputs give other sums the next time."""
    m = _model(device={"mvm_read_noise": 40}, adc_bits=12)
    a = m.cfg.array
    m.xb.load_array(np.random.default_rng(2).integers(0, 121, (a.rows, a.cols)))
    m.inputs[:] = np.random.default_rng(3).integers(0, 256, a.rows)
    m.desc.update({F.IN_BITS: 5, F.OUT_RAW: 1})
    ahead = m.mvm_values()
    assert m.xb.mvms == 0 and (m.mvm_values()[0] == ahead[0]).all()
    r = m.execute(TileCommand(TileOp.MVM))
    assert m.xb.mvms == 5
    assert [o.value for o in r.outputs] == list(ahead[1])
    assert (m.mvm_values()[0] != ahead[0]).any()


def test_refusals_and_counters():
    m = _model()
    assert m.execute(TileCommand(15)).error == TileError.BAD_OP
    assert m.execute(TileCommand(TileOp.CONFIG, addr=F.OUT_COUNT, value=0)).error == \
        TileError.BAD_VALUE
    assert m.execute(TileCommand(TileOp.WRITE_INPUT, addr=8)).error == TileError.BAD_ADDRESS
    assert m.counters[TileCounter.ERRORS] == 3
    assert m.counters[TileCounter.LAST_ERROR] == TileError.BAD_ADDRESS
    r = m.execute(TileCommand(TileOp.MVM))
    assert r.error == 0 and len(r.outputs) == m.cfg.array.pairs
    assert m.counters[TileCounter.CONVERSIONS] == 8 * m.cfg.array.pairs
    assert m.counters[TileCounter.BUSY] == 3 + r.cycles


@pytest.mark.parametrize("changes,match", [
    ({"tile": {"psum_bits": 12}}, r"ChipConfig\.tile\.psum_bits = 12: must be in 17\.\.32"),
    ({"tile": {"bias_bits": 30}}, r"ChipConfig\.tile\.bias_bits = 30: must be in 2\.\.24"),
    ({"tile": {"mult_bits": 0}}, r"ChipConfig\.tile\.mult_bits = 0"),
    ({"tile": {"counter_bits": 64}}, r"ChipConfig\.tile\.counter_bits = 64"),
    ({"tile": {"psum_bits": "24"}}, r"ChipConfig\.tile\.psum_bits = '24': must be an integer"),
])
def test_tile_config_errors_name_the_field(changes, match):
    with pytest.raises(ConfigError, match=match):
        preset("default").replace(**changes)
