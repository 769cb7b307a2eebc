"""Compute tile against the golden model (``sim/tile.py``), value and cycle exact.

Every command's response, latency and MVM outputs are compared with the model; the
performance counters are read back at the end of every test. Weights come either through
the crossbar's LOAD back door or through write-verify programming; activations, layer
descriptors, biases and partial sums are random. Four configurations cover B in {2, 4, 6, 8},
K in {1, a proper divisor, C/2}, both overlap regimes (conversion-bound, read-bound) and a
plane-issue delay of 1, 5 and 7 cycles; every layer draws P from {1, 4, 8} (up to the
configuration's input_bits), signed or not.
"""

import itertools

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ReadOnly, RisingEdge

from hdl.spec.tile import (
    TILE_COUNTERS,
    TILE_FIELDS,
    Activation,
    TileError,
    TileField,
    TileOp,
    adc_schedule,
    field_limits,
    mvm_latency,
)
from hdl.spec.write_verify import WvOp, WvRunKind
from hdl.tile import tile_command_layout, tile_output_layout, tile_response_layout
from hdl.write_verify import wv_command_layout
from sim.tile import TileCommand, TileModel
from sim.write_verify import WvCommand
from tb.bus import BlockTB, pack
from tb.configs import config as config_named
from tb.harness import run_cocotb, simulators

F = TileField
WV_FIELD_NAMES = ("op", "set", "field", "addr", "value", "kind", "row0", "col0", "nrows",
                  "ncols", "count", "polarity", "v_line", "v_gate", "width", "v_read")


class TileTB(BlockTB):
    """Driver, output monitor, golden model and checker for one tile."""

    def __init__(self, dut):
        super().__init__(dut, tile_command_layout, tile_response_layout)
        self.model = TileModel(self.cfg)
        self.out_layout = tile_output_layout(self.cfg)
        self.wv_layout = wv_command_layout(self.cfg)
        dut.out__ready.value = 1
        self.mvms = 0
        self.outputs_checked = 0

    async def _out_monitor(self, ready_pattern, seen, stalls):
        """Drive ``out.ready`` from the pattern each cycle; record handshakes and stalls."""
        from tb.bus import unpack

        dut = self.dut
        pattern = itertools.cycle(ready_pattern)
        while True:
            ready = next(pattern)
            dut.out__ready.value = ready
            await ReadOnly()
            if int(dut.out__valid.value):
                if ready:
                    seen.append(unpack(self.out_layout, int(dut.out__payload.value)))
                else:
                    stalls[0] += 1
            await RisingEdge(dut.clk)

    async def send(self, cmd, ready_pattern=(1,)):
        """Run one command on the RTL and the model; assert response, cycles and outputs."""

        wv = 0
        if cmd.wv is not None:
            wv = pack(self.wv_layout, **{k: getattr(cmd.wv, k) for k in WV_FIELD_NAMES})
        seen, stalls = [], [0]
        monitor = None
        if cmd.op == TileOp.MVM:
            monitor = cocotb.start_soon(self._out_monitor(ready_pattern, seen, stalls))
        got, cycles = await self.transact(dict(op=cmd.op, addr=cmd.addr, value=cmd.value, wv=wv))
        if monitor is not None:
            monitor.cancel()
            self.dut.out__ready.value = 1
        else:
            assert not int(self.dut.out__valid.value), f"output outside an MVM: {cmd}"
        # The expected latency depends on how long the output stream was held back.
        want = self.model.execute(cmd, stalls=stalls[0])
        where = f"command #{self.count} {cmd}"
        self.check(got, cycles, want, str(cmd))
        outs = [(o["dest"], o["offset"], o["kind"], o["value"]) for o in seen]
        want_outs = [(o.dest, o.offset, o.kind, o.value) for o in want.outputs]
        assert outs == want_outs, f"{where}: outputs\n{outs}\n!=\n{want_outs}"
        if cmd.op == TileOp.MVM and not want.error:
            self.mvms += 1
            self.outputs_checked += len(outs)
        return got, stalls[0]

    # -- helpers -----------------------------------------------------------------------------

    async def config(self, **fields):
        for name, value in fields.items():
            await self.send(TileCommand(TileOp.CONFIG, addr=TileField[name], value=int(value)))

    async def load_weights(self, g):
        a = self.cfg.array
        for r in range(a.rows):
            for c in range(a.cols):
                await self.send(TileCommand(TileOp.LOAD_CELL, addr=r << 8 | c, value=int(g[r, c])))

    async def write_inputs(self, x):
        p = self.cfg.input_bits
        for r, v in enumerate(x):
            await self.send(TileCommand(TileOp.WRITE_INPUT, addr=r, value=int(v) & ((1 << p) - 1)))

    async def write_vector(self, op, values):
        for i, v in enumerate(values):
            await self.send(TileCommand(op, addr=i, value=int(v) & 0xFFFF_FFFF))

    async def wv(self, **fields):
        got, _ = await self.send(TileCommand(TileOp.WV, wv=WvCommand(**fields)))
        return got

    async def check_counters(self):
        for c in range(TILE_COUNTERS):
            await self.send(TileCommand(TileOp.READ_COUNTER, addr=c))

    def layer_bits(self):
        """P values to try: 1, 4, 8 as far as the configuration allows."""
        return [p for p in (1, 4, 8) if p <= self.cfg.input_bits]

    def random_inputs(self, p, signed):
        if signed:
            return [self.rng.randint(-(1 << (p - 1)), (1 << (p - 1)) - 1)
                    for _ in range(self.cfg.array.rows)]
        return [self.rng.randint(0, (1 << p) - 1) for _ in range(self.cfg.array.rows)]

    def random_descriptor(self, p, signed, clip_some=True):
        """A layer whose ADC gain and requantization put the values in range (some clip)."""
        cfg, rng = self.cfg, self.rng
        lim = field_limits(cfg)
        ones = np.ones((1, cfg.array.rows), np.int64)
        peak = int(np.abs(self.model.xb.mvm_planes(ones, advance=False)).max()) // 2 + 1
        shift = max(0, peak.bit_length() - (cfg.adc_bits - 1) + (rng.randint(-2, 1)
                                                                  if clip_some else 1))
        shift = min(shift, lim[F.ADC_SHIFT][1])
        out_bits = rng.randint(1, cfg.input_bits)
        mult = rng.randint(1, (1 << cfg.tile.mult_bits) - 1)
        v_peak = (1 << (cfg.adc_bits - 1)) * (1 << p)
        out_shift = max(0, (v_peak * mult).bit_length() - out_bits + rng.randint(-1, 1))
        return dict(
            IN_BITS=p, IN_SIGNED=signed, ADC_SHIFT=shift, PSUM_EN=0, OUT_RAW=0,
            OUT_MULT=mult, OUT_SHIFT=min(out_shift, lim[F.OUT_SHIFT][1]), OUT_BITS=out_bits,
            OUT_SIGNED=rng.randint(0, 1), ACTIVATION=rng.choice(list(Activation)),
            DEST=rng.choice(cfg.tiles + [cfg.host_node]), OFFSET=rng.randint(0, 0xFFFF),
            OUT_COUNT=rng.randint(1, cfg.array.pairs))

    def random_bias(self):
        b = self.cfg.tile.bias_bits
        span = 1 << min(b - 1, self.cfg.adc_bits + 3)
        return [self.rng.randint(-span, span - 1) for _ in range(self.cfg.array.pairs)]

    async def run_layers(self, layers_per_p=2, **fixed):
        """Random layers for every P and signedness: descriptor, inputs, bias, MVM."""
        clips = 0
        for p in self.layer_bits():
            for signed in (0, 1):
                for _ in range(layers_per_p):
                    desc = self.random_descriptor(p, signed)
                    desc.update(fixed)
                    await self.config(**desc)
                    await self.write_inputs(self.random_inputs(p, signed))
                    await self.write_vector(TileOp.WRITE_BIAS, self.random_bias())
                    got, _ = await self.send(TileCommand(TileOp.MVM))
                    clips += got["value"]
        return clips


def random_weights(tb):
    a = tb.cfg.array
    return np.array([[tb.rng.randint(0, a.g_max) for _ in range(a.cols)] for _ in range(a.rows)])


# -- tests -----------------------------------------------------------------------------------


@cocotb.test()
async def cocotb_mvm_backdoor(dut):
    """Random weights by LOAD, random layers for every P, signed and unsigned: outputs,
    clipped conversions and cycles equal the model; then the counters."""
    tb = TileTB(dut)
    await tb.reset()
    for f in range(TILE_FIELDS):  # reset values of the descriptor
        await tb.send(TileCommand(TileOp.READ_CONFIG, addr=f))
    await tb.load_weights(random_weights(tb))
    clips = await tb.run_layers()
    await tb.check_counters()
    assert clips > 0, "no conversion clipped: the clip counter was not exercised"
    assert tb.model.counters[3] < tb.model.counters[2], "every conversion clipped"
    _, _, t_conv, _, period = adc_schedule(tb.cfg)
    dut._log.info("%d MVMs, %d outputs, %d clipped conversions agree (period %d, t_conv %d)",
                  tb.mvms, tb.outputs_checked, clips, period, t_conv)


@cocotb.test()
async def cocotb_mvm_programmed(dut):
    """Weights programmed by the write-verify engine (M-ISPVA to Milo's levels) through the
    tile's WV command; conductances read back with READ_MAP/READ_RESULT; then MVMs."""
    tb = TileTB(dut)
    await tb.reset()
    a = tb.cfg.array
    for i in range(a.rows * a.cols):
        await tb.wv(op=WvOp.WRITE_TARGET, addr=i, value=tb.rng.randrange(5))
    got = await tb.wv(op=WvOp.RUN, kind=WvRunKind.PROGRAM, nrows=a.rows, ncols=a.cols)
    assert got["error"] == 0
    assert tb.model.counters[4] > a.rows * a.cols, "programming applied too few pulses"
    await tb.wv(op=WvOp.RUN, kind=WvRunKind.READ_MAP, nrows=a.rows, ncols=a.cols, v_read=10)
    for i in range(a.rows * a.cols):
        await tb.wv(op=WvOp.READ_RESULT, addr=i)
    await tb.run_layers(layers_per_p=1)
    # Reprogram part of the array and compute again: the MVM path sees the new cells.
    for i in range(a.cols):
        await tb.wv(op=WvOp.WRITE_TARGET, addr=i, value=4 - tb.model.wv.targets[i] % 5)
    await tb.wv(op=WvOp.RUN, kind=WvRunKind.PROGRAM, nrows=1, ncols=a.cols)
    await tb.run_layers(layers_per_p=1)
    await tb.check_counters()
    dut._log.info("%d pulses, %d fails; %d MVMs agree", tb.model.counters[4],
                  tb.model.counters[5], tb.mvms)


@cocotb.test()
async def cocotb_partial_sums(dut):
    """A layer split by rows: raw partial sums out of one MVM become the psum buffer of the
    next, which adds bias and requantizes; psums near the limits saturate."""
    tb = TileTB(dut)
    await tb.reset()
    cfg = tb.cfg
    await tb.load_weights(random_weights(tb))
    pb = cfg.tile.psum_bits
    for p in tb.layer_bits():
        signed = tb.rng.randint(0, 1)
        desc = tb.random_descriptor(p, signed)
        # First half: raw partial sums, all outputs.
        await tb.config(**dict(desc, OUT_RAW=1, PSUM_EN=0, OUT_COUNT=cfg.array.pairs))
        await tb.write_inputs(tb.random_inputs(p, signed))
        await tb.write_vector(TileOp.WRITE_BIAS, [0] * cfg.array.pairs)
        # The sums this MVM gives (mvm_values changes nothing; with MVM read noise it is the
        # next MVM's, so ask before it runs).
        partial = tb.model.mvm_values()[0]
        await tb.send(TileCommand(TileOp.MVM))
        # Second half: accumulate them, add bias, requantize.
        await tb.write_vector(TileOp.WRITE_PSUM, partial)
        await tb.config(**dict(desc, OUT_RAW=0, PSUM_EN=1))
        await tb.write_inputs(tb.random_inputs(p, signed))
        await tb.write_vector(TileOp.WRITE_BIAS, tb.random_bias())
        await tb.send(TileCommand(TileOp.MVM))
    # Extreme partial sums: raw outputs saturate to psum_bits.
    lo, hi = -(1 << (pb - 1)), (1 << (pb - 1)) - 1
    await tb.write_vector(TileOp.WRITE_PSUM,
                          [tb.rng.choice([lo, hi]) for _ in range(cfg.array.pairs)])
    await tb.write_vector(TileOp.WRITE_BIAS, tb.random_bias())
    await tb.config(OUT_RAW=1, PSUM_EN=1)
    await tb.send(TileCommand(TileOp.MVM))
    await tb.config(OUT_RAW=0)
    await tb.send(TileCommand(TileOp.MVM))
    await tb.check_counters()
    dut._log.info("%d MVMs with partial sums agree", tb.mvms)


@cocotb.test()
async def cocotb_backpressure(dut):
    """The output stream's ready toggles (random and bursty patterns): every value arrives,
    in order, once, and each stalled cycle delays the MVM by exactly one cycle."""
    tb = TileTB(dut)
    await tb.reset()
    await tb.load_weights(random_weights(tb))
    patterns = [(1, 1, 1, 0), (0,) * 3 + (1,), (1, 0), (0,) * 17 + (1,) * 2]
    total = 0
    for i in range(8):
        p = tb.rng.choice(tb.layer_bits())
        signed = tb.rng.randint(0, 1)
        await tb.config(**tb.random_descriptor(p, signed))
        await tb.write_inputs(tb.random_inputs(p, signed))
        pattern = patterns[i] if i < len(patterns) else tuple(
            tb.rng.randint(0, 1) for _ in range(tb.rng.randint(2, 9))) + (1,)
        _, stalls = await tb.send(TileCommand(TileOp.MVM), ready_pattern=pattern)
        total += stalls
    await tb.check_counters()
    assert total > 0, "the output stream never stalled"
    dut._log.info("%d MVMs under back-pressure, %d stalled cycles, all values arrived",
                  tb.mvms, total)


@cocotb.test()
async def cocotb_errors(dut):
    """Bad commands, addresses, values and lengths, and engine errors: an error response in
    the model's cycles, the error status and counters; the tile keeps working afterwards."""
    tb = TileTB(dut)
    await tb.reset()
    cfg, a = tb.cfg, tb.cfg.array
    lim = field_limits(cfg)
    await tb.load_weights(random_weights(tb))
    C = TileCommand
    bad = [C(op) for op in range(len(TileOp), 16)] + [
        C(TileOp.CONFIG, addr=TILE_FIELDS),
        C(TileOp.CONFIG, addr=0xFFFF),
        C(TileOp.READ_CONFIG, addr=TILE_FIELDS),
        C(TileOp.WRITE_INPUT, addr=a.rows),
        C(TileOp.WRITE_INPUT, addr=0, value=1 << cfg.input_bits),
        C(TileOp.WRITE_BIAS, addr=a.pairs),
        C(TileOp.WRITE_BIAS, addr=0, value=1 << (cfg.tile.bias_bits - 1)),
        C(TileOp.WRITE_BIAS, addr=0, value=(-(1 << (cfg.tile.bias_bits - 1)) - 1) & 0xFFFF_FFFF),
        C(TileOp.WRITE_PSUM, addr=a.pairs),
        C(TileOp.WRITE_PSUM, addr=0, value=1 << (cfg.tile.psum_bits - 1)),
        C(TileOp.LOAD_CELL, addr=a.rows << 8),
        C(TileOp.LOAD_CELL, addr=a.cols),
        C(TileOp.LOAD_CELL, addr=0, value=a.g_max + 1),
        C(TileOp.READ_COUNTER, addr=TILE_COUNTERS),
        C(TileOp.WV, wv=WvCommand(op=WvOp.WRITE_TARGET, addr=a.rows * a.cols)),
        C(TileOp.WV, wv=WvCommand(op=WvOp.RUN, kind=WvRunKind.PROGRAM, nrows=0, ncols=1)),
        C(TileOp.WV, wv=WvCommand(op=12)),
    ]
    for f, (lo, hi) in lim.items():  # every field just out of range (lengths included)
        if lo > 0:
            bad.append(C(TileOp.CONFIG, addr=f, value=lo - 1))
        bad.append(C(TileOp.CONFIG, addr=f, value=hi + 1))
    for _ in range(2):
        tb.rng.shuffle(bad)
        for cmd in bad:
            got, _ = await tb.send(cmd)
            assert got["error"] != TileError.NONE, f"{cmd} was accepted"
            assert int(dut.error.value) == 1
        await tb.check_counters()
        # The tile is still usable: a whole layer after the errors.
        await tb.run_layers(layers_per_p=1)
    for f in range(TILE_FIELDS):  # nothing refused changed the descriptor
        await tb.send(C(TileOp.READ_CONFIG, addr=f))
    await tb.check_counters()
    dut._log.info("%d refused commands, tile usable after each round", len(bad) * 2)


@cocotb.test()
async def cocotb_bench_mvm(dut):
    """``scripts/bench_tile.py``: full-width MVMs (P = input_bits, every output) on
    random weights, signed and unsigned; cycles and outputs equal the golden model's."""
    tb = TileTB(dut)
    await tb.reset()
    cfg = tb.cfg
    await tb.load_weights(random_weights(tb))
    for signed in (0, 1):
        desc = tb.random_descriptor(cfg.input_bits, signed)
        await tb.config(**dict(desc, OUT_COUNT=cfg.array.pairs))
        await tb.write_inputs(tb.random_inputs(cfg.input_bits, signed))
        await tb.send(TileCommand(TileOp.MVM))
        dut._log.info("MVM P=%d signed=%d: %d cycles, as the golden model", cfg.input_bits,
                      signed, mvm_latency(cfg, cfg.input_bits, cfg.array.pairs))


# -- pytest: build and run ------------------------------------------------------------------


# Interleaved by configuration so that pytest-xdist workers build different configurations
# at the same time (a Verilator build of the tile takes most of the file's time).
CASES = [
    ("tile-b4k1", "cocotb_mvm_programmed"),
    ("tile-b6k2", "cocotb_mvm_backdoor"),
    ("tile-b8k4", "cocotb_mvm_backdoor"),
    ("tile-b4k1", "cocotb_mvm_backdoor"),
    ("tile-b6k2", "cocotb_partial_sums"),
    ("tile-b8k4", "cocotb_partial_sums"),
    ("tile-b4k1", "cocotb_errors"),
    ("tile-b6k2", "cocotb_backpressure"),
    ("tile-b8k4", "cocotb_backpressure"),
    ("tile-b8k4", "cocotb_errors"),
    ("tile-b2k1", "cocotb_mvm_backdoor"),
    ("tile-b2k1", "cocotb_partial_sums"),
]

TILE_CONFIGS = {n: config_named(n) for n in ("tile-b4k1", "tile-b6k2", "tile-b8k4",
                                             "tile-b2k1")}


def test_schedule_regimes():
    """The configurations cover both overlap regimes and gap > 1; tile-b2k1 is the one where
    the plane-issue delay shows (docs/tile.md, "How exact the gap is")."""
    regimes = {name: adc_schedule(cfg) for name, cfg in TILE_CONFIGS.items()}
    assert regimes["tile-b4k1"][3] > 1 and regimes["tile-b4k1"][4] == regimes["tile-b4k1"][2]
    assert regimes["tile-b6k2"][3] == 1 and regimes["tile-b6k2"][4] == regimes["tile-b6k2"][2]
    t_read, _, t_conv, _, period = regimes["tile-b8k4"]
    assert t_conv < period == t_read + 1
    assert mvm_latency(TILE_CONFIGS["tile-b8k4"], 1, 1) == t_read + t_conv + 1 + 6
    # Slack B = 2 (a read issued 3 cycles late delays the next plane); gap 7 = 2**3 - 1 (a
    # wait counter one value too wide wraps to 0 and issues the read 6 cycles early).
    cfg = TILE_CONFIGS["tile-b2k1"]
    t_read, _, t_conv, gap, period = regimes["tile-b2k1"]
    assert cfg.adc_bits == 2 and gap == 7 and period == t_conv == gap + t_read + cfg.adc_bits


@pytest.mark.sim
@pytest.mark.parametrize("sim", simulators())
@pytest.mark.parametrize("config,testcase", CASES)
def test_tile(config, testcase, sim):
    run_cocotb("tile", config_named(config), "tb.test_tile", testcase, sim)
