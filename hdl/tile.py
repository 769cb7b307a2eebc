"""Compute tile: controller, bit-serial input driver, SAR readout sequencer and output unit
around the crossbar and its write-verify engine (DESIGN section 6).

* The **input driver** applies one bit-plane of the input buffer per crossbar MVM, LSB
  first, all rows at once.
* The **ADC readout sequencer** has K SAR ADCs behind a column mux; ADC ``k`` converts pair
  ``j * K + k`` in round ``j``. A conversion is a sample cycle (the gain stage shifts the
  pair current right by ``ADC_SHIFT`` and the clip detector looks at it) and B bit cycles
  of successive approximation against a behavioral comparator. Finished codes are
  shift-added into one accumulator per pair (the signed MSB plane subtracts).
* The next plane's crossbar read overlaps the conversions: it is issued ``gap`` cycles after
  a plane's first sample, late enough that the crossbar's ``pair_current`` (which changes
  when that read ends) still holds the plane until its last sample.
* The **output unit** is a 3-stage pipeline (read, multiply, round/saturate) that stalls as a
  whole on the output stream's back-pressure, so no value is lost.
* The **controller** executes one command at a time and answers each on ``resp``; the
  crossbar belongs to the write-verify engine during a forwarded WV command and to the
  tile otherwise.

``sim/tile.py`` is the value- and cycle-exact golden model; ``docs/tile.md`` has the
command set and the latency formula.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.crossbar import Crossbar
from hdl.spec.crossbar import CrossbarOp
from hdl.spec.tile import (
    TILE_COUNTERS,
    TILE_FIELDS,
    Activation,
    TileCounter,
    TileError,
    TileField,
    TileOp,
    adc_schedule,
    field_defaults,
    field_limits,
    pair_current_bits,
)
from hdl.spec.write_verify import WvOp
from hdl.write_verify import WriteVerifyEngine, wv_command_layout

__all__ = ["Tile", "tile_command_layout", "tile_response_layout", "tile_output_layout"]

F = TileField


def tile_command_layout(cfg):
    """Payload of the tile's command stream."""
    return data.StructLayout({
        "op": unsigned(4),      # TileOp
        "addr": unsigned(16),
        "value": unsigned(32),
        "wv": wv_command_layout(cfg),  # the engine command a WV command forwards
    })


def tile_response_layout(cfg):
    return data.StructLayout({
        "error": unsigned(3),   # TileError
        "value": unsigned(48),
    })


def tile_output_layout(cfg):
    """One output: value for ``offset`` at node ``dest`` (the NoC carries it)."""
    return data.StructLayout({
        "dest": unsigned(8),
        "offset": unsigned(16),
        "kind": unsigned(1),    # 0 activation, 1 partial sum (OUT_RAW)
        "value": signed(cfg.tile.psum_bits),
    })


def _saturate(value, lo, hi):
    return Mux(value < lo, lo, Mux(value > hi, hi, value))


class Tile(wiring.Component):
    """One compute tile: controller, MVM datapath, write-verify engine and crossbar.

    Parameters
    ----------
    cfg : ChipConfig
    tile : int
        Node index (keys the crossbar's device hash).
    image : TileImage
        Power-on memory contents (from ``sim.images.tile_image``).

    Attributes
    ----------
    cmd : In(stream.Signature(tile_command_layout(cfg)))
        Commands (``hdl.spec.tile.TileOp``); one response each on ``resp``.
    resp : Out(stream.Signature(tile_response_layout(cfg)))
    out : Out(stream.Signature(tile_output_layout(cfg)))
        MVM results, in pair order; back-pressure stalls the output unit.
    busy : Out(1)
        The controller is executing a command.
    error : Out(1)
        A command has been answered with an error (``LAST_ERROR`` counter is not 0).
    """

    def __init__(self, cfg, tile, image):
        if not isinstance(tile, int) or not 0 <= tile < 256:
            raise ValueError(f"tile = {tile!r}: must be an integer in 0..255")
        self._cfg = cfg
        self._tile = tile
        self._image = image.check(cfg)
        super().__init__({
            "cmd": In(stream.Signature(tile_command_layout(cfg))),
            "resp": Out(stream.Signature(tile_response_layout(cfg))),
            "out": Out(stream.Signature(tile_output_layout(cfg))),
            "busy": Out(1),
            "error": Out(1),
        })

    @property
    def cfg(self):
        return self._cfg

    @property
    def tile(self):
        return self._tile

    def elaborate(self, platform):
        m = Module()
        cfg, a, t = self._cfg, self._cfg.array, self._cfg.tile
        rows, cols, pairs = a.rows, a.cols, a.pairs
        B, K, P = cfg.adc_bits, cfg.adc_count, cfg.input_bits
        _, rounds, _, gap, _ = adc_schedule(cfg)
        pcw = pair_current_bits(cfg)
        acc_shape = signed(B + P + 1)
        pb = t.psum_bits

        # -- submodules ----------------------------------------------------------------------
        image = self._image
        m.submodules.engine = engine = WriteVerifyEngine(cfg, image.register_sets)
        m.submodules.crossbar = xbar = Crossbar(cfg, self._tile, image.conductance)
        m.submodules.bias_mem = bias_mem = Memory(shape=signed(t.bias_bits), depth=pairs,
                                                  init=[])
        m.submodules.psum_mem = psum_mem = Memory(shape=signed(pb), depth=pairs, init=[])
        bias_rd, bias_wr = bias_mem.read_port(), bias_mem.write_port()
        psum_rd, psum_wr = psum_mem.read_port(), psum_mem.write_port()

        # -- state ---------------------------------------------------------------------------
        cmd_q = Signal(tile_command_layout(cfg))
        resp_error = Signal(3)
        resp_value = Signal(48)
        defaults = field_defaults(cfg)
        limits = field_limits(cfg)
        desc = {f: Signal(range(limits[f][1] + 1), name=f"desc_{f.name.lower()}",
                          init=defaults[f]) for f in TileField}
        inputs = Signal(data.ArrayLayout(unsigned(P), rows))
        cb = t.counter_bits
        counters = [Signal(cb, name=f"count_{c.name.lower()}") for c in TileCounter]
        cnt = dict(zip(TileCounter, counters, strict=True))

        # Crossbar master of the tile (MVM planes, LOAD_CELL).
        # Only the fields the tile uses are signals (MVM: op, bits; LOAD: op, row, col, value);
        # voltages and width are 0, so no constant-driven register reaches the Verilog.
        own_op = Signal(3)
        own_bits = Signal(rows)
        own_valid = Signal()
        own_resp_ready = Signal()
        engine_owns = Signal()
        idle = Signal()

        # Reader (input driver): issues plane `rd_plane` when `issue_pending` and the wait ran out.
        rd_plane = Signal(range(P + 1))
        issue_pending = Signal()
        wait_cnt = Signal(range(gap + 1))

        # ADC sequencer.
        conv_busy = Signal()
        conv_done = Signal()
        conv_bit = Signal(range(B + 1))
        sar_mask = Signal(B)   # one-hot: the bit being decided, MSB first
        conv_round = Signal(range(rounds + 1))
        conv_plane = Signal(range(P + 1))
        samp = [Signal(signed(pcw), name=f"adc{k}_sample") for k in range(K)]
        code = [Signal(B, name=f"adc{k}_code") for k in range(K)]
        res = [Signal(signed(B), name=f"adc{k}_result") for k in range(K)]
        wb_valid = Signal()
        wb_round = Signal(range(rounds))
        wb_plane = Signal(range(P))
        acc = Signal(data.ArrayLayout(acc_shape, pairs))
        mvm_clips = Signal(range(P * pairs + 1))

        # Output unit.
        o_i = Signal(range(pairs + 1))
        s1_valid = Signal()
        s1_acc = Signal(acc_shape)
        s1_i = Signal(range(pairs))
        s2_valid = Signal()
        s2_i = Signal(range(pairs))
        sum_shape = signed(pb + 2)
        s2_v = Signal(sum_shape)
        s2_t = Signal(signed(pb + 2 + t.mult_bits + 1))
        o_valid = Signal()
        o_value = Signal(signed(pb))
        o_offset = Signal(16)

        # -- crossbar sharing: the engine during WV commands, the tile otherwise -------------
        ecmd, xcmd, xresp = engine.xbar_cmd, xbar.cmd, xbar.resp
        m.d.comb += [
            xcmd.valid.eq(Mux(engine_owns, ecmd.valid, own_valid)),
            xcmd.payload.op.eq(Mux(engine_owns, ecmd.payload.op, own_op)),
            xcmd.payload.row.eq(Mux(engine_owns, ecmd.payload.row, cmd_q.addr[8:])),
            xcmd.payload.col.eq(Mux(engine_owns, ecmd.payload.col, cmd_q.addr[:8])),
            xcmd.payload.value.eq(Mux(engine_owns, ecmd.payload.value, cmd_q.value)),
            xcmd.payload.bits.eq(Mux(engine_owns, ecmd.payload.bits, own_bits)),
            xcmd.payload.v_line.eq(Mux(engine_owns, ecmd.payload.v_line, 0)),
            xcmd.payload.v_gate.eq(Mux(engine_owns, ecmd.payload.v_gate, 0)),
            xcmd.payload.width.eq(Mux(engine_owns, ecmd.payload.width, 0)),
            ecmd.ready.eq(engine_owns & xcmd.ready),
            engine.xbar_resp.valid.eq(engine_owns & xresp.valid),
            engine.xbar_resp.payload.eq(xresp.payload),
            xresp.ready.eq(Mux(engine_owns, engine.xbar_resp.ready, own_resp_ready)),
            engine.cmd.payload.eq(cmd_q.wv),
        ]

        # -- command check (combinational, on the incoming payload) --------------------------
        p = self.cmd.payload
        refused = Signal(3)
        sval = p.value.as_signed()
        with m.Switch(p.op):
            with m.Case(TileOp.CONFIG):
                with m.If(p.addr >= TILE_FIELDS):
                    m.d.comb += refused.eq(TileError.BAD_ADDRESS)
                with m.Switch(p.addr):
                    for f, (lo, hi) in limits.items():
                        with m.Case(f):
                            # Only the bounds that can fail: `value < 0` would be constant.
                            out_of_range = p.value > hi
                            if lo > 0:
                                out_of_range = out_of_range | (p.value < lo)
                            with m.If(out_of_range):
                                m.d.comb += refused.eq(TileError.BAD_VALUE)
            with m.Case(TileOp.READ_CONFIG):
                with m.If(p.addr >= TILE_FIELDS):
                    m.d.comb += refused.eq(TileError.BAD_ADDRESS)
            with m.Case(TileOp.WRITE_INPUT):
                with m.If(p.addr >= rows):
                    m.d.comb += refused.eq(TileError.BAD_ADDRESS)
                with m.Elif(p.value >= (1 << P)):
                    m.d.comb += refused.eq(TileError.BAD_VALUE)
            for op, bits in ((TileOp.WRITE_BIAS, t.bias_bits), (TileOp.WRITE_PSUM, pb)):
                with m.Case(op):
                    with m.If(p.addr >= pairs):
                        m.d.comb += refused.eq(TileError.BAD_ADDRESS)
                    with m.Elif((sval < -(1 << (bits - 1))) | (sval >= (1 << (bits - 1)))):
                        m.d.comb += refused.eq(TileError.BAD_VALUE)
            with m.Case(TileOp.MVM, TileOp.WV):
                pass
            with m.Case(TileOp.LOAD_CELL):
                with m.If((p.addr[8:] >= rows) | (p.addr[:8] >= cols)):
                    m.d.comb += refused.eq(TileError.BAD_ADDRESS)
                with m.Elif(p.value > a.g_max):
                    m.d.comb += refused.eq(TileError.BAD_VALUE)
            with m.Case(TileOp.READ_COUNTER):
                with m.If(p.addr >= TILE_COUNTERS):
                    m.d.comb += refused.eq(TileError.BAD_ADDRESS)
            with m.Default():
                m.d.comb += refused.eq(TileError.BAD_OP)

        # -- input driver: bit-plane `rd_plane` of every activation --------------------------
        plane_bits = Cat(inputs[r].bit_select(rd_plane, 1) for r in range(rows))
        in_run = Signal()   # the MVM datapath runs (FSM in MVM-Run)
        m.d.comb += [
            own_bits.eq(plane_bits),
            own_valid.eq(in_run & issue_pending & (wait_cnt == 0)),
        ]
        with m.If(in_run & issue_pending & (wait_cnt != 0)):
            m.d.sync += wait_cnt.eq(wait_cnt - 1)
        with m.If(own_valid & xcmd.ready):
            m.d.sync += [issue_pending.eq(0), rd_plane.eq(rd_plane + 1)]

        # -- ADC readout sequencer -----------------------------------------------------------
        n_planes = desc[F.IN_BITS]
        new_plane = conv_round == 0
        start = Signal()
        m.d.comb += start.eq(in_run & ~conv_busy & ~conv_done & (~new_plane | xresp.valid))
        with m.If(in_run):
            m.d.comb += own_resp_ready.eq(~conv_busy & ~conv_done & new_plane)

        half = 1 << (B - 1)
        clip_flags = []
        for k in range(K):
            # Column mux: ADC k sees pair j*K + k in round j; the gain stage shifts it.
            selected = Signal(signed(pcw), name=f"adc{k}_mux")
            with m.Switch(conv_round):
                for j in range(rounds):
                    with m.Case(j):
                        m.d.comb += selected.eq(xbar.pair_current[j * K + k])
            scaled = selected >> desc[F.ADC_SHIFT]
            clip_flags.append((scaled < -half) | (scaled > half - 1))
            # Successive approximation, MSB first, on the offset-binary code: keep the trial
            # bit when the held sample reaches the DAC level of the trial code.
            trial = code[k] | sar_mask
            level = Cat(trial[:B - 1], ~trial[B - 1]).as_signed()
            keep = samp[k] >= level
            decided = Mux(keep, trial, code[k])
            with m.If(start):
                m.d.sync += [samp[k].eq(scaled), code[k].eq(0)]
            with m.Elif(conv_busy):
                m.d.sync += code[k].eq(decided)
                with m.If(conv_bit == B - 1):
                    m.d.sync += res[k].eq(Cat(decided[:B - 1], ~decided[B - 1]).as_signed())
        clips_now = sum(clip_flags[1:], clip_flags[0] + 0) if K > 1 else clip_flags[0]

        m.d.sync += wb_valid.eq(0)
        with m.If(start):
            m.d.sync += [
                conv_busy.eq(1), conv_bit.eq(0), sar_mask.eq(1 << (B - 1)),
                mvm_clips.eq(mvm_clips + clips_now),
                cnt[TileCounter.CLIPS].eq(cnt[TileCounter.CLIPS] + clips_now),
                cnt[TileCounter.CONVERSIONS].eq(cnt[TileCounter.CONVERSIONS] + K),
            ]
            with m.If(new_plane & (conv_plane + 1 < n_planes)):
                # The next plane's read starts `gap` cycles after this plane's first sample.
                m.d.sync += [issue_pending.eq(1), wait_cnt.eq(gap - 1)]
        with m.Elif(conv_busy):
            m.d.sync += [conv_bit.eq(conv_bit + 1), sar_mask.eq(sar_mask >> 1)]
            with m.If(conv_bit == B - 1):
                m.d.sync += [conv_busy.eq(0), wb_valid.eq(1), wb_round.eq(conv_round),
                             wb_plane.eq(conv_plane)]
                with m.If(conv_round == rounds - 1):
                    m.d.sync += [conv_round.eq(0), conv_plane.eq(conv_plane + 1)]
                    with m.If(conv_plane + 1 == n_planes):
                        m.d.sync += conv_done.eq(1)
                with m.Else():
                    m.d.sync += conv_round.eq(conv_round + 1)

        # Shift-add: code x 2**plane, negative for the MSB plane of signed inputs.
        negative = desc[F.IN_SIGNED] & (wb_plane + 1 == n_planes)
        with m.If(wb_valid):
            with m.Switch(wb_round):
                for j in range(rounds):
                    with m.Case(j):
                        for k in range(K):
                            weighted = res[k] << wb_plane
                            m.d.sync += acc[j * K + k].eq(
                                acc[j * K + k] + Mux(negative, -weighted, weighted))
        last_writeback = wb_valid & (wb_round == rounds - 1) & (wb_plane + 1 == n_planes)

        # -- output unit: read -> sum and multiply -> round, activate, saturate --------------
        advance = ~o_valid | self.out.ready
        in_out = Signal()
        m.d.comb += [
            bias_rd.addr.eq(o_i), psum_rd.addr.eq(o_i),
            bias_rd.en.eq(advance), psum_rd.en.eq(advance),
            self.out.valid.eq(o_valid),
            self.out.payload.dest.eq(desc[F.DEST]),
            self.out.payload.offset.eq(o_offset),
            self.out.payload.kind.eq(desc[F.OUT_RAW]),
            self.out.payload.value.eq(o_value),
        ]
        total = s1_acc + Mux(desc[F.PSUM_EN], psum_rd.data, 0) + bias_rd.data
        shift = desc[F.OUT_SHIFT]
        rounding = (Const(1, 1) << shift) >> 1
        rounded = (s2_t + rounding - ((s2_t < 0) & (shift != 0))) >> shift
        activated = Mux((desc[F.ACTIVATION] == Activation.RELU) & (rounded < 0), 0, rounded)
        ob = desc[F.OUT_BITS]
        span = Const(1, 1) << ob            # 2**OUT_BITS
        hi = Mux(desc[F.OUT_SIGNED], (span >> 1) - 1, span - 1)
        lo = Mux(desc[F.OUT_SIGNED], -(span >> 1), 0)
        requantized = _saturate(activated, lo, hi)
        raw = _saturate(s2_v, -(1 << (pb - 1)), (1 << (pb - 1)) - 1)
        with m.If(in_out & advance):
            m.d.sync += [
                s1_valid.eq(o_i < desc[F.OUT_COUNT]),
                s1_acc.eq(acc[o_i]),
                s1_i.eq(o_i),
                s2_valid.eq(s1_valid),
                s2_i.eq(s1_i),
                s2_v.eq(total),
                s2_t.eq(total * desc[F.OUT_MULT]),
                o_valid.eq(s2_valid),
                o_offset.eq(desc[F.OFFSET] + s2_i),
                o_value.eq(Mux(desc[F.OUT_RAW], raw, requantized)),
            ]
            with m.If(o_i < desc[F.OUT_COUNT]):
                m.d.sync += o_i.eq(o_i + 1)
        out_drained = (o_i == desc[F.OUT_COUNT]) & ~s1_valid & ~s2_valid & ~o_valid

        # -- counters ------------------------------------------------------------------------
        with m.If(~idle):
            m.d.sync += cnt[TileCounter.BUSY].eq(cnt[TileCounter.BUSY] + 1)
        is_pulse = (xcmd.payload.op == CrossbarOp.SET) | (xcmd.payload.op == CrossbarOp.RESET)
        with m.If(xcmd.valid & xcmd.ready & is_pulse):
            m.d.sync += cnt[TileCounter.PULSES].eq(cnt[TileCounter.PULSES] + 1)

        def fail(code_):
            return [resp_error.eq(code_), cnt[TileCounter.LAST_ERROR].eq(code_),
                    cnt[TileCounter.ERRORS].eq(cnt[TileCounter.ERRORS] + 1)]

        # -- controller ----------------------------------------------------------------------
        m.d.comb += [
            self.resp.payload.error.eq(resp_error),
            self.resp.payload.value.eq(resp_value),
            self.busy.eq(~idle),
            self.error.eq(cnt[TileCounter.LAST_ERROR] != 0),
            bias_wr.addr.eq(cmd_q.addr), bias_wr.data.eq(cmd_q.value),
            psum_wr.addr.eq(cmd_q.addr), psum_wr.data.eq(cmd_q.value),
        ]

        with m.FSM(name="tile_fsm"):
            with m.State("Idle"):
                m.d.comb += [idle.eq(1), self.cmd.ready.eq(1)]
                with m.If(self.cmd.valid):
                    m.d.sync += [cmd_q.eq(p), resp_error.eq(0), resp_value.eq(0)]
                    with m.If(refused != 0):
                        m.d.sync += fail(refused)
                        m.next = "Respond"
                    with m.Elif(p.op == TileOp.WV):
                        m.next = "Engine-Issue"
                    with m.Elif(p.op == TileOp.LOAD_CELL):
                        m.next = "Load-Issue"
                    with m.Elif(p.op == TileOp.MVM):
                        m.d.sync += [
                            rd_plane.eq(0), issue_pending.eq(1), wait_cnt.eq(0),
                            conv_busy.eq(0), conv_done.eq(0), conv_round.eq(0),
                            conv_plane.eq(0), mvm_clips.eq(0), o_i.eq(0),
                            s1_valid.eq(0), s2_valid.eq(0), o_valid.eq(0),
                            cnt[TileCounter.MVMS].eq(cnt[TileCounter.MVMS] + 1),
                        ]
                        for i in range(pairs):
                            m.d.sync += acc[i].eq(0)
                        m.next = "MVM-Run"
                    with m.Else():
                        m.next = "Access"

            with m.State("Access"):
                with m.Switch(cmd_q.op):
                    with m.Case(TileOp.CONFIG):
                        with m.Switch(cmd_q.addr):
                            for f in TileField:
                                with m.Case(f):
                                    m.d.sync += desc[f].eq(cmd_q.value)
                    with m.Case(TileOp.READ_CONFIG):
                        with m.Switch(cmd_q.addr):
                            for f in TileField:
                                with m.Case(f):
                                    m.d.sync += resp_value.eq(desc[f])
                    with m.Case(TileOp.WRITE_INPUT):
                        with m.Switch(cmd_q.addr):
                            for r in range(rows):
                                with m.Case(r):
                                    m.d.sync += inputs[r].eq(cmd_q.value)
                    with m.Case(TileOp.WRITE_BIAS):
                        m.d.comb += bias_wr.en.eq(1)
                    with m.Case(TileOp.WRITE_PSUM):
                        m.d.comb += psum_wr.en.eq(1)
                    with m.Case(TileOp.READ_COUNTER):
                        with m.Switch(cmd_q.addr):
                            for c in TileCounter:
                                with m.Case(c):
                                    m.d.sync += resp_value.eq(cnt[c])
                m.next = "Respond"

            with m.State("Engine-Issue"):
                m.d.comb += [engine_owns.eq(1), engine.cmd.valid.eq(1)]
                with m.If(engine.cmd.ready):
                    m.next = "Engine-Wait"

            with m.State("Engine-Wait"):
                m.d.comb += [engine_owns.eq(1), engine.resp.ready.eq(1)]
                with m.If(engine.resp.valid):
                    e = engine.resp.payload
                    m.d.sync += resp_value.eq(Cat(e.value, e.error))
                    with m.If(e.error != 0):
                        m.d.sync += fail(TileError.ENGINE)
                    with m.Elif(cmd_q.wv.op == WvOp.RUN):
                        m.d.sync += cnt[TileCounter.FAILS].eq(cnt[TileCounter.FAILS] + e.value)
                    m.next = "Respond"

            with m.State("Load-Issue"):
                m.d.comb += [own_op.eq(CrossbarOp.LOAD), own_valid.eq(1)]
                with m.If(xcmd.ready):
                    m.next = "Load-Wait"

            with m.State("Load-Wait"):
                m.d.comb += own_resp_ready.eq(1)
                with m.If(xresp.valid):
                    m.next = "Respond"

            with m.State("MVM-Run"):
                m.d.comb += [in_run.eq(1), own_op.eq(CrossbarOp.MVM)]
                with m.If(last_writeback):
                    m.next = "MVM-Output"

            with m.State("MVM-Output"):
                m.d.comb += in_out.eq(1)
                with m.If(out_drained):
                    m.d.sync += resp_value.eq(mvm_clips)
                    m.next = "Respond"

            with m.State("Respond"):
                m.d.comb += self.resp.valid.eq(1)
                with m.If(self.resp.ready):
                    m.next = "Idle"

        return m
