"""Golden model of the crossbar: device behavior, hash quality, order independence.

The device tests print the curves they check (run ``pytest -s sim/test_crossbar_model.py``
to see them; ``python -m scripts.device_curves`` plots them).
"""

import numpy as np
import pytest

from hdl.spec.config import V_PER_CODE, preset
from hdl.spec.crossbar import (
    PURPOSE_STATIC,
    CrossbarOp,
    latency,
    mvm_noise_max,
    pair_current_bits,
)
from sim.cellhash import bell, cell_hash, field
from sim.characterize import reset_trajectory, set_saturation_vs_gate, set_step_vs_voltage
from sim.crossbar import CrossbarCommand, CrossbarModel

CFG = preset("default")


def test_set_step_grows_with_overdrive():
    volts, steps, moved = set_step_vs_voltage(CFG)
    print("\nSET from 20 uS, one pulse, V_G = max:  V_D [V]  mean step [uS]  cells moved")
    for v, s, m in zip(volts, steps, moved, strict=True):
        print(f"  {v * V_PER_CODE:5.2f}  {s:7.2f}  {m:6.1%}")
    d = CFG.device
    below = volts < d.vth_set - 2 * d.vth_set_spread
    assert (steps[below] == 0).all(), "a SET far below threshold moved cells"
    above = volts > d.vth_set + 2 * d.vth_set_spread
    assert moved[above].min() > 0.99
    # Monotone in the drain voltage, and strictly growing once every cell is above threshold.
    assert (np.diff(steps) >= 0).all(), steps
    grown = steps[above]
    assert (np.diff(grown[grown < CFG.array.g_max - 20]) > 0).all()


# The default device varies the compliance and the HRS floor from pulse to pulse; the exact
# saturation checks run on a variant without that noise, the bound checks on the default.
QUIET = CFG.replace(device={"compliance_noise": 0, "hrs_noise": 0})


def _noise_bound(spread):
    return (30 * spread) >> 4  # the bell variate is bounded by +-30


def test_set_saturates_at_gate_controlled_compliance():
    gates, med, lim = set_saturation_vs_gate(QUIET)
    print("\nSET saturation after 30 pulses at V_D = max:  V_G [V]  median g  compliance [uS]")
    for vg, g, c in zip(gates, med, lim, strict=True):
        print(f"  {vg * V_PER_CODE:5.2f}  {g:6.1f}  {c:4d}")
    assert (np.diff(lim) > 0).all() or lim[-1] == CFG.array.g_max
    # Cells start at g_virgin; those with a higher compliance end exactly at it.
    reachable = lim > CFG.device.g_virgin
    assert (med[reachable] == lim[reachable]).all()


def test_noisy_compliance_saturates_within_its_spread():
    gates, med, lim = set_saturation_vs_gate(CFG)
    top = _noise_bound(CFG.device.compliance_noise)
    reachable = lim > CFG.device.g_virgin + top
    assert (med[reachable] >= lim[reachable]).all()
    assert (med[reachable] <= lim[reachable] + top).all()
    assert (np.diff(med[reachable]) > 0).all()


@pytest.mark.parametrize("cfg", [QUIET, CFG], ids=["quiet", "default"])
def test_set_never_exceeds_compliance_or_decreases(cfg):
    xb = CrossbarModel(cfg)
    rng = np.random.default_rng(1)
    a = cfg.array
    top = _noise_bound(cfg.device.compliance_noise)
    rows, cols = np.arange(a.rows).repeat(a.cols), np.tile(np.arange(a.cols), a.rows)
    for _ in range(20):
        vg = int(rng.integers(40, 90))
        before = xb.g.copy()
        xb.set_pulse(rows, cols, int(rng.integers(0, a.v_max + 1)), vg)
        lim = max(int(xb.compliance(vg)), 0)
        assert (xb.g >= before).all()
        assert (xb.g <= np.maximum(before, lim + top)).all()


def test_reset_moves_down_to_the_hrs_floor():
    traj = reset_trajectory(QUIET)
    print("\nRESET from 120 uS at V_S = 2.0 V: median g after each pulse:", traj.astype(int))
    assert (np.diff(traj) <= 0).all()
    assert traj[0] == 120 and traj[-1] == QUIET.device.g_hrs
    noisy = reset_trajectory(CFG)
    assert (np.diff(noisy) <= 0).all()
    low = CFG.device.g_hrs - _noise_bound(CFG.device.hrs_noise)
    assert low <= noisy[-1] <= CFG.device.g_hrs


def test_reset_below_threshold_does_nothing():
    traj = reset_trajectory(CFG, v_source=CFG.device.vth_reset - 2 * CFG.device.vth_reset_spread)
    assert (traj == 120).all()


def test_virgin_cells_need_forming():
    cfg = CFG.replace(device={"forming_offset": 50})
    a = cfg.array
    xb = CrossbarModel(cfg)
    rows, cols = np.arange(a.rows), np.zeros(a.rows, dtype=int)
    v = int(xb.vth_set[rows, cols].max()) + 10  # well above every formed threshold ...
    assert v < xb.vth_set[rows, cols].min() + 50  # ... below every virgin one
    xb.set_pulse(rows, cols, v, a.v_max)
    assert (xb.g[rows, cols] == cfg.device.g_virgin).all(), "virgin cells SET without forming"
    xb.set_pulse(rows, cols, a.v_max, a.v_max)  # forming pulse
    assert xb.formed[rows, cols].all()
    xb.reset_pulse(rows, cols, a.v_max)
    reset_g = xb.g[rows, cols].copy()
    xb.set_pulse(rows, cols, v, a.v_max)  # now the same SET works
    assert (xb.g[rows, cols] > reset_g).mean() > 0.9


def test_stuck_cells_never_move():
    cfg = CFG.replace(device={"stuck_rate_q14": 1638})  # ~10 %
    xb = CrossbarModel(cfg)
    a = cfg.array
    frac = xb.stuck.mean()
    assert 0.08 < frac < 0.12, frac
    assert xb.stuck_lrs.any() and (xb.stuck & ~xb.stuck_lrs).any()
    before = xb.g.copy()
    rows, cols = np.arange(a.rows).repeat(a.cols), np.tile(np.arange(a.cols), a.rows)
    xb.set_pulse(rows, cols, a.v_max, a.v_max, width=5)
    xb.reset_pulse(rows, cols, a.v_max)
    xb.load_array(np.full((a.rows, a.cols), 77))
    xb.relax(100)
    assert (xb.g[xb.stuck] == before[xb.stuck]).all()
    assert (xb.g[~xb.stuck] != before[~xb.stuck]).all()


def test_hash_fields_are_uniform_and_bell_is_centered():
    a = CFG.array
    rr, cc = np.meshgrid(np.arange(a.rows), np.arange(a.cols), indexing="ij")
    h = cell_hash(CFG, PURPOSE_STATIC, 1, rr, cc, 0).ravel()
    for lo in range(0, 64, 8):
        byte = field(h, lo, 8)
        counts = np.bincount(byte >> 4, minlength=16)
        # 4096 samples in 16 bins: expect 256 +- 16 per bin; allow 5 sigma.
        assert np.abs(counts - 256).max() < 80, (lo, counts)
    b = bell(h, 16)
    assert abs(b.mean()) < 0.5 and 8.7 < b.std() < 9.7
    # Neighbouring cells are not correlated.
    assert abs(np.corrcoef(b[:-1], b[1:])[0, 1]) < 0.06


def test_tiles_and_seeds_give_different_devices():
    a, b = CrossbarModel(CFG, 1), CrossbarModel(CFG, 2)
    c = CrossbarModel(CFG.replace(seed=CFG.seed + 1), 1)
    assert (a.vth_set != b.vth_set).mean() > 0.8
    assert (a.vth_set != c.vth_set).mean() > 0.8
    assert (CrossbarModel(CFG, 1).vth_set == a.vth_set).all()


def test_batched_pulses_equal_one_at_a_time():
    """Order independence: a vectorized batch equals the same pulses sent one by one."""
    cfg = preset("tiny").replace(device={"read_noise": 5, "stuck_rate_q14": 1000})
    rng = np.random.default_rng(7)
    a = cfg.array
    batch, single = CrossbarModel(cfg), CrossbarModel(cfg)
    for _ in range(30):
        cells = rng.choice(a.rows * a.cols, size=40, replace=False)
        rows, cols = cells // a.cols, cells % a.cols
        vd = rng.integers(0, a.v_max + 1, size=40)
        vg = rng.integers(0, a.v_max + 1, size=40)
        batch.set_pulse(rows, cols, vd, vg, 2)
        for r, c, v, g in zip(rows[::-1], cols[::-1], vd[::-1], vg[::-1], strict=True):
            single.execute(CrossbarCommand(CrossbarOp.SET, r, c, v, g, 2))
        i_batch, _ = batch.read(rows, cols, 25)
        i_single = [single.execute(CrossbarCommand(CrossbarOp.READ, r, c, 25)).value
                    for r, c in zip(rows, cols, strict=True)]
        assert list(i_batch) == i_single
    assert (batch.g == single.g).all() and (batch.events == single.events).all()


def test_mvm_is_differential_and_linear():
    xb = CrossbarModel(CFG)
    rng = np.random.default_rng(3)
    a = CFG.array
    g = rng.integers(0, a.g_max + 1, size=(a.rows, a.cols))
    xb.load_array(g)
    x = rng.integers(0, 2, size=a.rows)
    pair, cyc = xb.mvm(x)
    want = (x @ g[:, 0::2] - x @ g[:, 1::2]) * a.v_read_mvm
    assert (pair == want).all() and cyc == 4  # default: all 64 rows in one read
    bits = int(sum(int(b) << r for r, b in enumerate(x)))
    assert (xb.mvm(bits)[0] == want).all()
    assert (xb.mvm_planes(np.stack([x, 1 - x]))[0] == want).all()


def test_relax_spreads_and_drifts_down():
    a = CFG.array
    xb = CrossbarModel(CFG)
    xb.load_array(np.full((a.rows, a.cols), 90))
    xb.relax(32)
    assert xb.g.std() > 5 and xb.g.mean() < 90
    spread1 = xb.g.std()
    xb.relax(32)
    assert xb.g.std() > spread1  # a second bake spreads further (new hash draw)


@pytest.mark.parametrize("op", list(CrossbarOp))
def test_latency_formula_is_defined_for_every_op(op):
    assert latency(CFG, op, width=3) >= 3


@pytest.mark.parametrize("read_rows,cycles", [(1, 67), (2, 35), (5, 16), (63, 5), (64, 4)])
def test_mvm_latency_counts_row_groups(read_rows, cycles):
    """ceil(rows / read_rows) row groups, one per cycle, plus 3; the values do not depend
    on the grouping."""
    cfg = CFG.replace(array={"read_rows": read_rows})
    xb = CrossbarModel(cfg)
    rng = np.random.default_rng(read_rows)
    xb.load_array(rng.integers(0, cfg.array.g_max + 1, (cfg.array.rows, cfg.array.cols)))
    x = rng.integers(0, 2, cfg.array.rows)
    pair, cyc = xb.mvm(x)
    assert cyc == latency(cfg, CrossbarOp.MVM) == cycles
    assert (pair == (x @ xb.g[:, 0::2] - x @ xb.g[:, 1::2]) * cfg.array.v_read_mvm).all()


# -- MVM read noise (device.mvm_read_noise) ---------------------------------------------------


def test_mvm_read_noise_is_off_by_default_and_leaves_no_trace():
    for name in ("tiny", "default", "fpga"):
        assert preset(name).device.mvm_read_noise == 0
    xb = CrossbarModel(CFG)
    xb.load_array(np.random.default_rng(5).integers(0, 121, (CFG.array.rows, CFG.array.cols)))
    x = np.ones(CFG.array.rows, np.int64)
    assert (xb.mvm(x)[0] == xb.mvm(x)[0]).all() and xb.mvms == 0


def test_mvm_read_noise_statistics_and_keying():
    """Per plane and pair: mean ~ 0, sigma ~ 0.576 * s uS (times v_read_mvm in current),
    bounded by mvm_noise_max; keyed by (tile, MVM count): reproducible, batched equals one
    at a time, different tiles differ; it costs no cycle when the rows take longer than
    the hash."""
    s = 20
    cfg = CFG.replace(device={"mvm_read_noise": s})
    a = cfg.array
    xb = CrossbarModel(cfg)
    g = np.random.default_rng(6).integers(0, 121, (a.rows, a.cols))
    xb.load_array(g)
    planes = np.random.default_rng(7).integers(0, 2, (2000, a.rows))
    ideal = (planes @ g[:, 0::2] - planes @ g[:, 1::2]) * a.v_read_mvm
    got = xb.mvm_planes(planes)
    assert xb.mvms == 2000
    noise = (got - ideal) / a.v_read_mvm
    assert (noise == np.round(noise)).all() and np.abs(noise).max() <= mvm_noise_max(cfg)
    assert abs(noise.mean()) < 0.1 * s and abs(noise.std() / (0.576 * s) - 1) < 0.05
    # Neighbouring pairs and consecutive MVMs are uncorrelated.
    assert abs(np.corrcoef(noise[:, 0], noise[:, 1])[0, 1]) < 0.1
    assert abs(np.corrcoef(noise[:-1, 0], noise[1:, 0])[0, 1]) < 0.1
    # One at a time, from a fresh model: the same currents (the count, not the order of
    # evaluation, keys the noise); a look-ahead changes nothing.
    twin = CrossbarModel(cfg)
    twin.load_array(g)
    peek = twin.mvm_planes(planes[:3], advance=False)
    assert twin.mvms == 0
    one = np.stack([twin.mvm(p)[0] for p in planes[:50]])
    assert (one == got[:50]).all() and (peek == got[:3]).all() and twin.mvms == 50
    other = CrossbarModel(cfg, tile=2)
    other.load_array(g)
    assert (other.mvm_planes(planes[:50]) != got[:50]).any()
    assert latency(cfg, CrossbarOp.MVM) == latency(CFG, CrossbarOp.MVM) == 4   # N = 3 < 4
    assert pair_current_bits(cfg) >= (((a.rows * a.g_max + mvm_noise_max(cfg))
                                       * a.v_read_mvm).bit_length() + 1)


@pytest.mark.parametrize("read_rows,rpc,cycles", [(64, 4, 4), (64, 1, 13), (8, 1, 13),
                                                  (4, 1, 19), (1, 2, 67)])
def test_mvm_latency_with_read_noise_waits_for_the_hash(read_rows, rpc, cycles):
    """max(ceil(rows / read_rows) + 3, N + 1): the hashes start at the accept and take N =
    hash_rounds / hash_rounds_per_cycle cycles."""
    cfg = CFG.replace(array={"read_rows": read_rows}, hash_rounds_per_cycle=rpc,
                      device={"mvm_read_noise": 8})
    assert latency(cfg, CrossbarOp.MVM) == cycles
    assert CrossbarModel(cfg).mvm(np.zeros(cfg.array.rows, np.int64))[1] == cycles
