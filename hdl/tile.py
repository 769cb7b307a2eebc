"""Compute tile: controller, bit-serial input driver, SAR readout sequencer and output unit
around the crossbar and its write-verify engine (DESIGN section 6).

* The **input driver** (:class:`InputDriver`) holds the activations and offers one
  bit-plane per crossbar MVM, LSB first, all rows at once.
* The **ADC readout sequencer** (:class:`AdcSequencer`) has K SAR ADCs behind a column mux;
  ADC ``k`` converts pair ``j * K + k`` in round ``j``. A conversion is a sample cycle (the
  gain stage shifts the pair current right by ``ADC_SHIFT`` and the clip detector looks at
  it) and B bit cycles of successive approximation against a behavioral comparator.
  Finished codes are shift-added into one accumulator per pair (the signed MSB plane
  subtracts).
* The next plane's crossbar read overlaps the conversions: the sequencer asks the input
  driver for it at a plane's first sample, and the driver issues it ``gap`` cycles later,
  late enough that the crossbar's ``pair_current`` (which changes when that read ends)
  still holds the plane until its last sample.
* The **output unit** (:class:`OutputUnit`) is a 3-stage pipeline (read, multiply,
  round/saturate) that stalls as a whole on the output stream's back-pressure, so no value
  is lost.
* The **controller** (:class:`TileController`) executes one command at a time and answers
  each on ``resp``; the crossbar belongs to the write-verify engine during a forwarded WV
  command and to the tile otherwise (:class:`Tile` wires the sharing).

``sim/tile.py`` is the value- and cycle-exact golden model; ``hdl/spec/tile.py`` has the
command set, the refusal rules and the latency formula, ``docs/tile.md`` explains them.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Shape, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.common import check_index, command_idle, first_match_code, layout, respond_state
from hdl.crossbar import Crossbar, pair_current_shape
from hdl.spec.crossbar import CrossbarOp
from hdl.spec.tile import (
    RESPONSE_VALUE_BITS,
    Activation,
    TileCounter,
    TileError,
    TileField,
    TileOp,
    adc_schedule,
    command_fields,
    field_defaults,
    field_limits,
    output_fields,
    refusal_rules,
    response_fields,
)
from hdl.spec.write_verify import WvOp
from hdl.write_verify import WriteVerifyEngine, wv_command_layout, wv_response_layout

__all__ = [
    "Tile",
    "TileController",
    "InputDriver",
    "AdcSequencer",
    "OutputUnit",
    "tile_command_layout",
    "tile_response_layout",
    "tile_output_layout",
    "descriptor_layout",
]


def tile_command_layout(cfg):
    """Payload of the tile's command stream (``hdl.spec.tile.command_fields``); ``wv`` has
    the engine's command layout."""
    nested = {"wv": wv_command_layout(cfg)}
    fields = [(name, nested.get(name, shape)) for name, shape in command_fields(cfg)]
    return layout(fields)


def tile_response_layout(cfg):
    """Payload of the tile's response stream (``hdl.spec.tile.response_fields``)."""
    return layout(response_fields(cfg))


def tile_output_layout(cfg):
    """One output (``hdl.spec.tile.output_fields``): ``value`` for ``offset`` at node
    ``dest``, signed."""
    return layout([(name, signed(shape) if name == "value" else shape)
                   for name, shape in output_fields(cfg)])


def descriptor_layout(cfg):
    """The layer descriptor: one field per :class:`TileField` (lower-case name), as wide as
    the field's range."""
    return data.StructLayout({
        f.name.lower(): Activation if f == TileField.ACTIVATION else Shape.cast(range(hi + 1))
        for f, (_, hi) in field_limits(cfg).items()})


def _acc_shape(cfg):
    """One pair's accumulator: P shift-added B-bit codes."""
    return signed(cfg.adc_bits + cfg.input_bits + 1)


def _saturate(value, lo, hi):
    return Mux(value < lo, lo, Mux(value > hi, hi, value))


def _refusal(m, cfg, payload):
    """The :class:`TileError` a command on ``payload`` is refused with (comb): the first
    rule of its op in ``hdl.spec.tile.refusal_rules`` that holds; BAD_OP for an op with no
    rules."""
    refused = Signal(TileError)
    with m.Switch(payload.op):
        for op, rules in refusal_rules(cfg).items():
            with m.Case(op):
                m.d.comb += refused.eq(first_match_code(rules, payload, TileError.NONE))
        with m.Default():
            m.d.comb += refused.eq(TileError.BAD_OP)
    return refused


class TileController(wiring.Component):
    """Executes the tile's commands one at a time; holds the layer descriptor and the
    counters.

    Attributes
    ----------
    cmd : In(stream.Signature(tile_command_layout(cfg)))
    resp : Out(stream.Signature(tile_response_layout(cfg)))
    busy, error : Out(1)
        Not idle; some command has been answered with an error.
    command : Out(tile_command_layout(cfg))
        The command being executed (addresses and values for the units, the engine
        command, the LOAD_CELL cell).
    desc : Out(descriptor_layout(cfg))
        The layer descriptor (written by CONFIG).
    write_input, write_bias, write_psum : Out(1)
        Write ``command.value`` to element ``command.addr`` of that buffer (one cycle).
    mvm_start : Out(1)
        An MVM was accepted this cycle: the datapath units start afresh.
    mvm_run, mvm_output : Out(1)
        The planes are being read and converted; the outputs are being sent.
    planes_done, outputs_done : In(1)
        The last plane's codes are accumulated; the last output has been taken.
    sample : In(1)
        The ADCs sample this cycle (K conversions start), ``clips`` of them clip.
    clips : In(range(K + 1))
    mvm_clips : In
        Clipped conversions of the MVM (its response value).
    pulse : In(1)
        The crossbar accepts a SET or RESET pulse this cycle (PULSES counter).
    wv : Out(stream.Signature(wv_command_layout(cfg)))
    wv_resp : In(stream.Signature(wv_response_layout(cfg)))
        The write-verify engine's command and response streams (WV commands).
    engine_owns : Out(1)
        The engine is the crossbar's master.
    load : Out(stream.Signature(0))
    load_resp : In(stream.Signature(0))
        The LOAD_CELL crossbar command (cell and value from ``command``) and its response.
    """

    def __init__(self, cfg):
        self._cfg = cfg
        a, K, P = cfg.array, cfg.adc_count, cfg.input_bits
        defaults = {f.name.lower(): v for f, v in field_defaults(cfg).items()}
        super().__init__({
            "cmd": In(stream.Signature(tile_command_layout(cfg))),
            "resp": Out(stream.Signature(tile_response_layout(cfg))),
            "busy": Out(1),
            "error": Out(1),
            "command": Out(tile_command_layout(cfg)),
            "desc": Out(descriptor_layout(cfg), init=defaults),
            "write_input": Out(1),
            "write_bias": Out(1),
            "write_psum": Out(1),
            "mvm_start": Out(1),
            "mvm_run": Out(1),
            "mvm_output": Out(1),
            "planes_done": In(1),
            "outputs_done": In(1),
            "sample": In(1),
            "clips": In(range(K + 1)),
            "mvm_clips": In(range(P * a.pairs + 1)),
            "pulse": In(1),
            "wv": Out(stream.Signature(wv_command_layout(cfg))),
            "wv_resp": In(stream.Signature(wv_response_layout(cfg))),
            "engine_owns": Out(1),
            "load": Out(stream.Signature(0)),
            "load_resp": In(stream.Signature(0)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        p, q, desc = self.cmd.payload, self.command, self.desc
        cnt = {c: Signal(cfg.tile.counter_bits, name=f"count_{c.name.lower()}")
               for c in TileCounter}
        resp_error = Signal(TileError)
        resp_value = Signal(RESPONSE_VALUE_BITS)
        refused = _refusal(m, cfg, p)
        idle = Signal()

        m.d.comb += [
            self.resp.payload.error.eq(resp_error),
            self.resp.payload.value.eq(resp_value),
            self.busy.eq(~idle),
            self.error.eq(cnt[TileCounter.LAST_ERROR] != 0),
            self.wv.payload.eq(q.wv),
        ]

        # -- counters ------------------------------------------------------------------------
        def count(c, n=1):
            return cnt[c].eq(cnt[c] + n)

        with m.If(~idle):
            m.d.sync += count(TileCounter.BUSY)
        with m.If(self.pulse):
            m.d.sync += count(TileCounter.PULSES)
        with m.If(self.sample):
            m.d.sync += [count(TileCounter.CLIPS, self.clips),
                         count(TileCounter.CONVERSIONS, cfg.adc_count)]

        def fail(code):
            return [resp_error.eq(code), cnt[TileCounter.LAST_ERROR].eq(code),
                    count(TileCounter.ERRORS)]

        # -- command execution ---------------------------------------------------------------
        with m.FSM(name="tile_fsm") as fsm:
            m.d.comb += idle.eq(fsm.ongoing("Idle"))
            latch = [q.eq(p), resp_error.eq(0), resp_value.eq(0)]
            with command_idle(m, self.cmd, latch=latch, refused=refused != TileError.NONE,
                              on_refuse=fail(refused)):
                with m.If(p.op == TileOp.WV):
                    m.next = "Engine-Issue"
                with m.Elif(p.op == TileOp.LOAD_CELL):
                    m.next = "Load-Issue"
                with m.Elif(p.op == TileOp.MVM):
                    m.d.comb += self.mvm_start.eq(1)
                    m.d.sync += count(TileCounter.MVMS)
                    m.next = "MVM-Run"
                with m.Else():
                    m.next = "Access"

            with m.State("Access"):
                with m.Switch(q.op):
                    with m.Case(TileOp.CONFIG):
                        with m.Switch(q.addr):
                            for f in TileField:
                                with m.Case(f):
                                    m.d.sync += desc[f.name.lower()].eq(q.value)
                    with m.Case(TileOp.READ_CONFIG):
                        with m.Switch(q.addr):
                            for f in TileField:
                                with m.Case(f):
                                    m.d.sync += resp_value.eq(desc[f.name.lower()])
                    with m.Case(TileOp.WRITE_INPUT):
                        m.d.comb += self.write_input.eq(1)
                    with m.Case(TileOp.WRITE_BIAS):
                        m.d.comb += self.write_bias.eq(1)
                    with m.Case(TileOp.WRITE_PSUM):
                        m.d.comb += self.write_psum.eq(1)
                    with m.Case(TileOp.READ_COUNTER):
                        with m.Switch(q.addr):
                            for c in TileCounter:
                                with m.Case(c):
                                    m.d.sync += resp_value.eq(cnt[c])
                m.next = "Respond"

            with m.State("Engine-Issue"):
                m.d.comb += [self.engine_owns.eq(1), self.wv.valid.eq(1)]
                with m.If(self.wv.ready):
                    m.next = "Engine-Wait"

            with m.State("Engine-Wait"):
                e = self.wv_resp.payload
                m.d.comb += [self.engine_owns.eq(1), self.wv_resp.ready.eq(1)]
                with m.If(self.wv_resp.valid):
                    m.d.sync += resp_value.eq(Cat(e.value, e.error))
                    with m.If(e.error != 0):
                        m.d.sync += fail(TileError.ENGINE)
                    with m.Elif(q.wv.op == WvOp.RUN):
                        m.d.sync += count(TileCounter.FAILS, e.value)
                    m.next = "Respond"

            with m.State("Load-Issue"):
                m.d.comb += self.load.valid.eq(1)
                with m.If(self.load.ready):
                    m.next = "Load-Wait"

            with m.State("Load-Wait"):
                m.d.comb += self.load_resp.ready.eq(1)
                with m.If(self.load_resp.valid):
                    m.next = "Respond"

            with m.State("MVM-Run"):
                m.d.comb += self.mvm_run.eq(1)
                with m.If(self.planes_done):
                    m.next = "MVM-Output"

            with m.State("MVM-Output"):
                m.d.comb += self.mvm_output.eq(1)
                with m.If(self.outputs_done):
                    m.d.sync += resp_value.eq(self.mvm_clips)
                    m.next = "Respond"

            respond_state(m, self.resp)

        return m


class InputDriver(wiring.Component):
    """The activations, and the bit-plane of them that drives the rows for one crossbar MVM.

    Plane 0 is offered as soon as the MVM runs; each later plane ``gap`` cycles
    (``hdl.spec.tile.adc_schedule``) after the sequencer asks for it.

    Attributes
    ----------
    wr_addr : In(range(rows))
    wr_data : In(input_bits)
    wr_en : In(1)
        Write one activation.
    start : In(1)
        An MVM was accepted: plane 0 comes next, with no wait.
    run : In(1)
        The MVM runs (planes may be issued).
    next_plane : In(1)
        Issue the next plane ``gap`` cycles from now.
    plane : Out(stream.Signature(rows))
        Row ``r`` of the payload is bit ``k`` of activation ``r`` for plane ``k``; taken
        when the crossbar accepts the MVM.
    """

    def __init__(self, cfg):
        self._cfg = cfg
        rows = cfg.array.rows
        super().__init__({
            "wr_addr": In(range(rows)),
            "wr_data": In(cfg.input_bits),
            "wr_en": In(1),
            "start": In(1),
            "run": In(1),
            "next_plane": In(1),
            "plane": Out(stream.Signature(rows)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        rows, P = cfg.array.rows, cfg.input_bits
        gap = adc_schedule(cfg)[3]
        inputs = Signal(data.ArrayLayout(unsigned(P), rows))
        rd_plane = Signal(range(P + 1))
        issue_pending = Signal()
        wait_cnt = Signal(range(gap + 1))

        with m.If(self.wr_en):
            with m.Switch(self.wr_addr):
                for r in range(rows):
                    with m.Case(r):
                        m.d.sync += inputs[r].eq(self.wr_data)

        m.d.comb += [
            self.plane.payload.eq(Cat(inputs[r].bit_select(rd_plane, 1) for r in range(rows))),
            self.plane.valid.eq(self.run & issue_pending & (wait_cnt == 0)),
        ]
        with m.If(self.run & issue_pending & (wait_cnt != 0)):
            m.d.sync += wait_cnt.eq(wait_cnt - 1)
        with m.If(self.plane.valid & self.plane.ready):
            m.d.sync += [issue_pending.eq(0), rd_plane.eq(rd_plane + 1)]
        with m.If(self.next_plane):
            # The next plane's read starts `gap` cycles after this plane's first sample.
            m.d.sync += [issue_pending.eq(1), wait_cnt.eq(gap - 1)]
        with m.If(self.start):
            m.d.sync += [rd_plane.eq(0), issue_pending.eq(1), wait_cnt.eq(0)]
        return m


class AdcSequencer(wiring.Component):
    """K SAR ADCs behind a column mux, and the shift-add accumulators of one MVM.

    Attributes
    ----------
    start : In(1)
        An MVM was accepted: clear the accumulators and the clip count.
    run : In(1)
        The MVM runs.
    in_bits, in_signed, adc_shift : In
        The descriptor fields IN_BITS, IN_SIGNED and ADC_SHIFT.
    pair_current : In(ArrayLayout(pair_current_shape(cfg), cols / 2))
        The crossbar's pair currents of the last plane read.
    currents : In(stream.Signature(0))
        The crossbar's MVM response (its plane's currents are in ``pair_current``); taken
        at the plane's first sample.
    next_plane : Out(1)
        Ask the input driver for the next plane (at a plane's first sample).
    sample : Out(1)
        The ADCs sample this cycle, ``clips`` of the K conversions clip.
    clips : Out(range(K + 1))
    mvm_clips : Out(range(P * cols / 2 + 1))
        Clipped conversions of this MVM.
    done : Out(1)
        The last code of the last plane is being accumulated.
    acc : Out(ArrayLayout(signed(B + P + 1), cols / 2))
        The accumulators.
    """

    def __init__(self, cfg):
        self._cfg = cfg
        a, K, P = cfg.array, cfg.adc_count, cfg.input_bits
        limits = field_limits(cfg)
        super().__init__({
            "start": In(1),
            "run": In(1),
            "in_bits": In(range(limits[TileField.IN_BITS][1] + 1)),
            "in_signed": In(1),
            "adc_shift": In(range(limits[TileField.ADC_SHIFT][1] + 1)),
            "pair_current": In(data.ArrayLayout(pair_current_shape(cfg), a.pairs)),
            "currents": In(stream.Signature(0)),
            "next_plane": Out(1),
            "sample": Out(1),
            "clips": Out(range(K + 1)),
            "mvm_clips": Out(range(P * a.pairs + 1)),
            "done": Out(1),
            "acc": Out(data.ArrayLayout(_acc_shape(cfg), a.pairs)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        B, K, P = cfg.adc_bits, cfg.adc_count, cfg.input_bits
        rounds = adc_schedule(cfg)[1]
        pcw = pair_current_shape(cfg).width
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
        acc, n_planes = self.acc, self.in_bits

        new_plane = conv_round == 0
        start = self.sample
        free = self.run & ~conv_busy & ~conv_done
        m.d.comb += [
            start.eq(free & (~new_plane | self.currents.valid)),
            self.currents.ready.eq(free & new_plane),
            self.next_plane.eq(start & new_plane & (conv_plane + 1 < n_planes)),
        ]

        half = 1 << (B - 1)
        clip_flags = []
        for k in range(K):
            # Column mux: ADC k sees pair j*K + k in round j; the gain stage shifts it.
            selected = Signal(signed(pcw), name=f"adc{k}_mux")
            with m.Switch(conv_round):
                for j in range(rounds):
                    with m.Case(j):
                        m.d.comb += selected.eq(self.pair_current[j * K + k])
            scaled = selected >> self.adc_shift
            clip_flags.append((scaled < -half) | (scaled > half - 1))
            # Successive approximation, MSB first, on the offset-binary code: keep the trial
            # bit when the held sample reaches the DAC level of the trial code.
            trial = code[k] | sar_mask
            level = Cat(trial[:B - 1], ~trial[B - 1]).as_signed()
            decided = Mux(samp[k] >= level, trial, code[k])
            with m.If(start):
                m.d.sync += [samp[k].eq(scaled), code[k].eq(0)]
            with m.Elif(conv_busy):
                m.d.sync += code[k].eq(decided)
                with m.If(conv_bit == B - 1):
                    m.d.sync += res[k].eq(Cat(decided[:B - 1], ~decided[B - 1]).as_signed())
        m.d.comb += self.clips.eq(sum(clip_flags[1:], clip_flags[0] + 0) if K > 1
                                  else clip_flags[0])

        m.d.sync += wb_valid.eq(0)
        with m.If(start):
            m.d.sync += [conv_busy.eq(1), conv_bit.eq(0), sar_mask.eq(1 << (B - 1)),
                         self.mvm_clips.eq(self.mvm_clips + self.clips)]
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
        last_plane = wb_plane + 1 == n_planes
        negative = self.in_signed & last_plane
        with m.If(wb_valid):
            with m.Switch(wb_round):
                for j in range(rounds):
                    with m.Case(j):
                        for k in range(K):
                            weighted = res[k] << wb_plane
                            m.d.sync += acc[j * K + k].eq(
                                acc[j * K + k] + Mux(negative, -weighted, weighted))
        m.d.comb += self.done.eq(wb_valid & (wb_round == rounds - 1) & last_plane)

        with m.If(self.start):
            m.d.sync += [conv_busy.eq(0), conv_done.eq(0), conv_round.eq(0), conv_plane.eq(0),
                         self.mvm_clips.eq(0)]
            m.d.sync += [acc[i].eq(0) for i in range(cfg.array.pairs)]
        return m


class OutputUnit(wiring.Component):
    """Sums, requantizes and sends one MVM's outputs: a 3-stage pipeline (read; sum and
    multiply; round, activate, saturate) that stalls as a whole on ``out``'s back-pressure.
    Holds the bias and partial-sum buffers.

    Attributes
    ----------
    wr_addr : In(range(cols / 2))
    wr_data : In(32)
    bias_en, psum_en : In(1)
        Write ``wr_data`` to element ``wr_addr`` of the bias / partial-sum buffer.
    start : In(1)
        An MVM was accepted: the pipeline empties, output 0 comes next.
    run : In(1)
        Send the outputs.
    desc : In(descriptor_layout(cfg))
    acc : In(ArrayLayout(signed(B + P + 1), cols / 2))
        The MVM's accumulators.
    out : Out(stream.Signature(tile_output_layout(cfg)))
    done : Out(1)
        Every output has been taken.
    """

    def __init__(self, cfg):
        self._cfg = cfg
        a = cfg.array
        super().__init__({
            "wr_addr": In(range(a.pairs)),
            "wr_data": In(32),
            "bias_en": In(1),
            "psum_en": In(1),
            "start": In(1),
            "run": In(1),
            "desc": In(descriptor_layout(cfg)),
            "acc": In(data.ArrayLayout(_acc_shape(cfg), a.pairs)),
            "out": Out(stream.Signature(tile_output_layout(cfg))),
            "done": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, t, d = self._cfg, self._cfg.tile, self.desc
        pairs, pb = cfg.array.pairs, t.psum_bits
        m.submodules.bias_mem = bias_mem = Memory(shape=signed(t.bias_bits), depth=pairs,
                                                  init=[])
        m.submodules.psum_mem = psum_mem = Memory(shape=signed(pb), depth=pairs, init=[])
        bias_rd, bias_wr = bias_mem.read_port(), bias_mem.write_port()
        psum_rd, psum_wr = psum_mem.read_port(), psum_mem.write_port()
        o_i = Signal(range(pairs + 1))
        s1_valid = Signal()
        s1_acc = Signal(_acc_shape(cfg))
        s1_i = Signal(range(pairs))
        s2_valid = Signal()
        s2_i = Signal(range(pairs))
        s2_v = Signal(signed(pb + 2))
        s2_t = Signal(signed(pb + 2 + t.mult_bits + 1))
        o_valid = Signal()
        o_value = Signal(signed(pb))
        o_offset = Signal(16)

        advance = ~o_valid | self.out.ready
        m.d.comb += [
            bias_wr.addr.eq(self.wr_addr), bias_wr.data.eq(self.wr_data),
            bias_wr.en.eq(self.bias_en),
            psum_wr.addr.eq(self.wr_addr), psum_wr.data.eq(self.wr_data),
            psum_wr.en.eq(self.psum_en),
            bias_rd.addr.eq(o_i), psum_rd.addr.eq(o_i),
            bias_rd.en.eq(advance), psum_rd.en.eq(advance),
            self.out.valid.eq(o_valid),
            self.out.payload.dest.eq(d.dest),
            self.out.payload.offset.eq(o_offset),
            self.out.payload.kind.eq(d.out_raw),
            self.out.payload.value.eq(o_value),
        ]
        total = s1_acc + Mux(d.psum_en, psum_rd.data, 0) + bias_rd.data
        shift = d.out_shift
        rounding = (Const(1, 1) << shift) >> 1
        rounded = (s2_t + rounding - ((s2_t < 0) & (shift != 0))) >> shift
        activated = Mux((d.activation == Activation.RELU) & (rounded < 0), 0, rounded)
        span = Const(1, 1) << d.out_bits            # 2**OUT_BITS
        hi = Mux(d.out_signed, (span >> 1) - 1, span - 1)
        lo = Mux(d.out_signed, -(span >> 1), 0)
        requantized = _saturate(activated, lo, hi)
        raw = _saturate(s2_v, -(1 << (pb - 1)), (1 << (pb - 1)) - 1)
        more = o_i < d.out_count
        with m.If(self.run & advance):
            m.d.sync += [
                s1_valid.eq(more),
                s1_acc.eq(self.acc[o_i]),
                s1_i.eq(o_i),
                s2_valid.eq(s1_valid),
                s2_i.eq(s1_i),
                s2_v.eq(total),
                s2_t.eq(total * d.out_mult),
                o_valid.eq(s2_valid),
                o_offset.eq(d.offset + s2_i),
                o_value.eq(Mux(d.out_raw, raw, requantized)),
            ]
            with m.If(more):
                m.d.sync += o_i.eq(o_i + 1)
        with m.If(self.start):
            m.d.sync += [o_i.eq(0), s1_valid.eq(0), s2_valid.eq(0), o_valid.eq(0)]
        m.d.comb += self.done.eq((o_i == d.out_count) & ~s1_valid & ~s2_valid & ~o_valid)
        return m


class Tile(wiring.Component):
    """One compute tile: controller, MVM datapath, write-verify engine and crossbar.

    Parameters
    ----------
    cfg : ChipConfig
    tile : int or Value
        Node index (keys the crossbar's device hash); an unsigned value of at most 8 bits
        (an input port) when the module is shared by several tiles (``hdl/chip.py``).
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
        tile = check_index("tile", tile, 256, 8)
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
        cfg, image = self._cfg, self._image
        m.submodules.engine = engine = WriteVerifyEngine(cfg, image.register_sets)
        m.submodules.crossbar = xbar = Crossbar(cfg, self._tile, image.conductance)
        m.submodules.controller = ctrl = TileController(cfg)
        m.submodules.input_driver = drv = InputDriver(cfg)
        m.submodules.adc = adc = AdcSequencer(cfg)
        m.submodules.output_unit = out = OutputUnit(cfg)

        wiring.connect(m, wiring.flipped(self.cmd), ctrl.cmd)
        wiring.connect(m, ctrl.resp, wiring.flipped(self.resp))
        wiring.connect(m, out.out, wiring.flipped(self.out))
        wiring.connect(m, ctrl.wv, engine.cmd)
        wiring.connect(m, engine.resp, ctrl.wv_resp)
        q, desc = ctrl.command, ctrl.desc
        m.d.comb += [
            self.busy.eq(ctrl.busy),
            self.error.eq(ctrl.error),
            # Controller -> datapath units.
            drv.wr_addr.eq(q.addr), drv.wr_data.eq(q.value), drv.wr_en.eq(ctrl.write_input),
            out.wr_addr.eq(q.addr), out.wr_data.eq(q.value),
            out.bias_en.eq(ctrl.write_bias), out.psum_en.eq(ctrl.write_psum),
            drv.start.eq(ctrl.mvm_start), adc.start.eq(ctrl.mvm_start),
            out.start.eq(ctrl.mvm_start),
            drv.run.eq(ctrl.mvm_run), adc.run.eq(ctrl.mvm_run), out.run.eq(ctrl.mvm_output),
            adc.in_bits.eq(desc.in_bits), adc.in_signed.eq(desc.in_signed),
            adc.adc_shift.eq(desc.adc_shift), out.desc.eq(desc),
            # Datapath units -> controller, and to each other.
            ctrl.planes_done.eq(adc.done), ctrl.outputs_done.eq(out.done),
            ctrl.sample.eq(adc.sample), ctrl.clips.eq(adc.clips),
            ctrl.mvm_clips.eq(adc.mvm_clips),
            drv.next_plane.eq(adc.next_plane),
            adc.pair_current.eq(xbar.pair_current), out.acc.eq(adc.acc),
        ]

        # -- crossbar sharing: the engine during WV commands, the tile otherwise -------------
        # The tile's own commands are the MVM planes (input driver) and LOAD_CELL
        # (controller); only the fields those use are driven, the others are 0.
        ecmd, xcmd, xresp, owns = engine.xbar_cmd, xbar.cmd, xbar.resp, ctrl.engine_owns
        own_valid = drv.plane.valid | ctrl.load.valid
        own_op = Mux(ctrl.load.valid, CrossbarOp.LOAD, CrossbarOp.MVM)
        xp, ep = xcmd.payload, ecmd.payload
        m.d.comb += [
            xcmd.valid.eq(Mux(owns, ecmd.valid, own_valid)),
            xp.op.eq(Mux(owns, ep.op, own_op)),
            xp.row.eq(Mux(owns, ep.row, q.addr[8:])),
            xp.col.eq(Mux(owns, ep.col, q.addr[:8])),
            xp.value.eq(Mux(owns, ep.value, q.value)),
            xp.bits.eq(Mux(owns, ep.bits, drv.plane.payload)),
            xp.v_line.eq(Mux(owns, ep.v_line, 0)),
            xp.v_gate.eq(Mux(owns, ep.v_gate, 0)),
            xp.width.eq(Mux(owns, ep.width, 0)),
            ecmd.ready.eq(owns & xcmd.ready),
            drv.plane.ready.eq(xcmd.ready),
            ctrl.load.ready.eq(xcmd.ready),
            engine.xbar_resp.valid.eq(owns & xresp.valid),
            engine.xbar_resp.payload.eq(xresp.payload),
            adc.currents.valid.eq(xresp.valid),
            ctrl.load_resp.valid.eq(xresp.valid),
            xresp.ready.eq(Mux(owns, engine.xbar_resp.ready,
                               adc.currents.ready | ctrl.load_resp.ready)),
            ctrl.pulse.eq(xcmd.valid & xcmd.ready &
                          ((xp.op == CrossbarOp.SET) | (xp.op == CrossbarOp.RESET))),
        ]
        return m
