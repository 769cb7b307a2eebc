"""Write-verify engine: programs a region of the crossbar pulse by pulse (DESIGN section 5).

The engine is a crossbar master: it sends one crossbar command at a time and waits for the
response. Every cell gets a verify read after every pulse; the register set chosen by the
cell's target decides the algorithm (M-ISPVA, window, IGVVA, forming) and the ramps.
Host commands (``hdl/spec/write_verify.py``: ``WvOp``) write register sets and targets, start
runs and read results, the pulses histogram, the fail list and counters.
``sim/write_verify.py`` is the bit- and cycle-exact golden model; ``docs/write_verify.md``
describes the algorithms.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.common import layout
from hdl.crossbar import Crossbar, crossbar_command_layout, crossbar_response_layout
from hdl.spec.crossbar import CrossbarOp
from hdl.spec.write_verify import (
    FIELD_LIMITS,
    LOOP_DIMS,
    ORDER_RULES,
    WV_FIELDS,
    WV_SETS,
    LoopOrder,
    WvAlgorithm,
    WvError,
    WvField,
    WvOp,
    WvRunKind,
    command_fields,
    response_fields,
)

__all__ = ["WriteVerifyEngine", "WriteVerifyUnit", "wv_command_layout", "wv_response_layout"]

F = WvField
NONE, SET, RESET = 0, 1, 2  # ramp direction
ACT_READ, ACT_SET, ACT_RESET = CrossbarOp.READ, CrossbarOp.SET, CrossbarOp.RESET


def wv_command_layout(cfg):
    """Payload of the engine's host command stream (``hdl.spec.write_verify``)."""
    return layout(command_fields(cfg))


def wv_response_layout(cfg):
    return layout(response_fields(cfg))


def _field(word, f):
    return word[16 * f:16 * f + 16]


class WriteVerifyEngine(wiring.Component):
    """Write-verify engine with its register sets, target buffer and result memories.

    Parameters
    ----------
    cfg : ChipConfig
    register_sets : WV_SETS x WV_FIELDS ints
        Power-on register sets (``TileImage.register_sets``, from the golden model).

    Attributes
    ----------
    cmd : In(stream.Signature(wv_command_layout(cfg)))
        Host commands; one response each on ``resp``. A RUN answers when it ends.
    resp : Out(stream.Signature(wv_response_layout(cfg)))
    xbar_cmd : Out(stream.Signature(crossbar_command_layout(cfg)))
        To the crossbar.
    xbar_resp : In(stream.Signature(crossbar_response_layout(cfg)))
        From the crossbar.
    busy : Out(1)
        A run is in progress.
    """

    def __init__(self, cfg, register_sets):
        self._cfg = cfg
        if len(register_sets) != WV_SETS or any(len(s) != WV_FIELDS for s in register_sets):
            raise ValueError(f"register_sets: must be {WV_SETS} x {WV_FIELDS} fields")
        self._register_sets = register_sets
        super().__init__({
            "cmd": In(stream.Signature(wv_command_layout(cfg))),
            "resp": Out(stream.Signature(wv_response_layout(cfg))),
            "xbar_cmd": Out(stream.Signature(crossbar_command_layout(cfg))),
            "xbar_resp": In(stream.Signature(crossbar_response_layout(cfg))),
            "busy": Out(1),
        })

    @property
    def cfg(self):
        return self._cfg

    def elaborate(self, platform):
        m = Module()
        cfg, a, w = self._cfg, self._cfg.array, self._cfg.write_verify
        cells = a.rows * a.cols
        hb, fd = w.hist_bins, w.fail_list_depth
        cur_w = a.g_bits + a.v_bits

        # -- memories ------------------------------------------------------------------------
        defaults = self._register_sets
        set_init = [sum(int(defaults[s][f]) << (16 * f) for f in range(WV_FIELDS))
                    for s in range(WV_SETS)]
        m.submodules.sets_mem = sets_mem = Memory(
            shape=unsigned(16 * WV_FIELDS), depth=WV_SETS, init=set_init)
        m.submodules.target_mem = target_mem = Memory(
            shape=unsigned(3), depth=cells, init=[])
        m.submodules.result_mem = result_mem = Memory(
            shape=unsigned(16 + cur_w + 1), depth=cells, init=[])
        m.submodules.hist_mem = hist_mem = Memory(
            shape=unsigned(17), depth=hb, init=[])
        m.submodules.fail_mem = fail_mem = Memory(
            shape=unsigned(16), depth=fd, init=[])
        sets_rd, sets_wr = sets_mem.read_port(), sets_mem.write_port(granularity=16)
        target_rd, target_wr = target_mem.read_port(), target_mem.write_port()
        result_rd, result_wr = result_mem.read_port(), result_mem.write_port()
        hist_rd, hist_wr = hist_mem.read_port(), hist_mem.write_port()
        fail_rd, fail_wr = fail_mem.read_port(), fail_mem.write_port()

        # -- registers -----------------------------------------------------------------------
        cmd_q = Signal(wv_command_layout(cfg))
        sq = Signal(16 * WV_FIELDS)        # register set of the current cell
        resp_error = Signal(3)
        resp_value = Signal(40)
        counter = Signal(range(max(hb, WV_SETS + 1) + 1))
        bad_found = Signal()
        bad_detail = Signal(16)

        row = Signal(8)
        col = Signal(8)
        row_end = Signal(9)
        col_end = Signal(9)
        cell_index = Signal(range(cells))

        action = Signal(2)                 # crossbar op of the next command
        act_line = Signal(a.v_bits)
        act_gate = Signal(a.v_bits)
        act_width = Signal(8)
        current = Signal(cur_w)
        direction = Signal(2)
        alts = Signal(9)
        ramp_pulses = Signal(8)
        pulses = Signal(16)
        passes = Signal(5)
        pos = [Signal(8, name="pos_line"), Signal(8, name="pos_gate"), Signal(8, name="pos_width")]
        exhausted = Signal()
        reset_v = Signal(9)
        reset_exhausted = Signal()
        passed = Signal()
        count_left = Signal(16)

        stat_pulses = Signal(32)
        stat_failures = Signal(16)
        stat_cells = Signal(17)
        last_error = Signal(3)
        error_detail = Signal(16)

        # -- register-set check (combinational on the set memory's read data) ---------------------
        def set_violation(word):
            """(bad, field) of the first broken rule, in sim.write_verify.check_register_set's
            order: field limits in field order, then the cross-field order rules."""
            checks = []
            for f, (lo, hi) in FIELD_LIMITS(cfg).items():
                v = _field(word, f)
                bad = Const(0)
                if lo > 0:
                    bad = bad | (v < lo)
                if hi < 0xFFFF:
                    bad = bad | (v > hi)
                checks.append((bad, int(f)))
            for f, lo_f, hi_f in ORDER_RULES:
                checks.append((_field(word, lo_f) > _field(word, hi_f), int(f)))
            any_bad = Const(0)
            first = Const(0, 5)
            for bad, f in reversed(checks):
                first = Mux(bad, f, first)
                any_bad = any_bad | bad
            return any_bad, first

        check_bad, check_field = set_violation(sets_rd.data)

        # -- run command check (combinational on the incoming payload) -----------------------
        p = self.cmd.payload
        run_error = Signal(3)
        # (`kind` is 2 bits wide: every value is a run kind.)
        with m.If((p.nrows == 0) | (p.ncols == 0) | (p.row0 + p.nrows > a.rows)
                    | (p.col0 + p.ncols > a.cols)):
            m.d.comb += run_error.eq(WvError.BAD_REGION)
        with m.Elif((p.kind == WvRunKind.ENDURANCE)
                    & ((p.set >= WV_SETS) | (p.count == 0) | (p.count > 0x7FFF))):
            m.d.comb += run_error.eq(WvError.BAD_COMMAND)
        with m.Elif((p.kind == WvRunKind.PULSE)
                    & ((p.v_line > a.v_max) | (p.v_gate > a.v_max) | (p.width == 0)
                       | (p.width > a.pulse_width_max))):
            m.d.comb += run_error.eq(WvError.BAD_VOLTAGE)
        with m.Elif(((p.kind == WvRunKind.PULSE) | (p.kind == WvRunKind.READ_MAP))
                    & (p.v_read > a.v_read_max)):
            m.d.comb += run_error.eq(WvError.BAD_VOLTAGE)

        access_ok = Signal()
        with m.Switch(p.op):
            with m.Case(WvOp.WRITE_SET, WvOp.READ_SET):
                m.d.comb += access_ok.eq((p.set < WV_SETS) & (p.field < WV_FIELDS))
            with m.Case(WvOp.WRITE_TARGET):
                m.d.comb += access_ok.eq((p.addr < cells) & (p.value < WV_SETS))
            with m.Case(WvOp.READ_TARGET, WvOp.READ_RESULT):
                m.d.comb += access_ok.eq(p.addr < cells)
            with m.Case(WvOp.READ_HIST):
                m.d.comb += access_ok.eq(p.addr < hb)
            with m.Case(WvOp.READ_FAIL):
                m.d.comb += access_ok.eq(p.addr < fd)
            with m.Case(WvOp.READ_STAT):
                m.d.comb += access_ok.eq(p.addr <= 4)

        # -- set fields of the current cell --------------------------------------------------
        def fs(f):
            return _field(sq, f)

        alg = fs(F.ALGORITHM)
        lo, hi = fs(F.WINDOW_LO), fs(F.WINDOW_HI)
        start = [fs(F.SET_LINE_START), fs(F.SET_GATE_START), fs(F.WIDTH_START)]
        step = [fs(F.SET_LINE_STEP), fs(F.SET_GATE_STEP), fs(F.WIDTH_STEP)]
        stop = [fs(F.SET_LINE_STOP), fs(F.SET_GATE_STOP), fs(F.WIDTH_STOP)]

        # -- decision after a verify read (PROGRAM) ------------------------------------------
        in_win = (lo <= current) & (current <= hi)
        passes_next = passes + 1
        enough = passes_next >= fs(F.PASSES)
        want_reset = current > hi
        want = Mux(want_reset, RESET, SET)
        one_way = (alg == WvAlgorithm.ISPVA) | (alg == WvAlgorithm.IGVVA)
        forbidden = want_reset & ((alg == WvAlgorithm.FORMING)
                                  | (one_way & (direction == SET)))
        switching = direction != want
        alts_next = alts + (switching & (direction != NONE))
        too_many = (alg == WvAlgorithm.WINDOW) & (alts_next > fs(F.MAX_ALTERNATIONS))
        ramp_done = Mux(want_reset, reset_exhausted, exhausted) | (ramp_pulses >= fs(F.MAX_PULSES))
        give_up = forbidden | too_many | (~switching & ramp_done)

        # -- SET ramp advance: the nested loop in the set's order ----------------------------
        adv_pos = [Signal(8, name=f"adv_{n}") for n in ("line", "gate", "width")]
        adv_exhausted = Signal()
        with m.Switch(fs(F.LOOP_ORDER)):
            for order in LoopOrder:
                with m.Case(order):
                    carry = Const(1)
                    for dim in LOOP_DIMS[order]:
                        nxt = pos[dim] + step[dim]
                        wrap = carry & (nxt > stop[dim])
                        inc = carry & ~wrap
                        m.d.comb += adv_pos[dim].eq(
                            Mux(inc, nxt, Mux(wrap, start[dim], pos[dim])))
                        carry = wrap
                    m.d.comb += adv_exhausted.eq(carry)
            with m.Default():
                for dim in range(3):
                    m.d.comb += adv_pos[dim].eq(pos[dim])
        reset_next = reset_v + fs(F.RESET_LINE_STEP)
        reset_over = reset_next > fs(F.RESET_LINE_STOP)

        # -- crossbar master -----------------------------------------------------------------
        xp = self.xbar_cmd.payload
        m.d.comb += [
            xp.op.eq(action),
            xp.row.eq(row),
            xp.col.eq(col),
            xp.v_line.eq(act_line),
            xp.v_gate.eq(act_gate),
            xp.width.eq(act_width),
            self.resp.payload.error.eq(resp_error),
            self.resp.payload.value.eq(resp_value),
        ]
        hist_bin = Mux(pulses >= hb - 1, hb - 1, pulses)
        kind = cmd_q.kind

        # Default memory addresses: the host command's fields.
        m.d.comb += [
            sets_rd.addr.eq(cmd_q.set),
            target_rd.addr.eq(cmd_q.addr),
            result_rd.addr.eq(cmd_q.addr),
            hist_rd.addr.eq(cmd_q.addr),
            fail_rd.addr.eq(cmd_q.addr),
            sets_wr.addr.eq(cmd_q.set),
            sets_wr.data.eq(cmd_q.value.replicate(WV_FIELDS)),
            target_wr.addr.eq(cmd_q.addr),
            target_wr.data.eq(cmd_q.value[:3]),
            result_wr.addr.eq(cell_index),
            result_wr.data.eq(Cat(pulses, current, passed)),
            hist_wr.addr.eq(hist_bin),
            hist_wr.data.eq(hist_rd.data + 1),
            fail_wr.addr.eq(stat_failures),
            fail_wr.data.eq(cell_index),
        ]

        def begin_read(v):
            return [action.eq(ACT_READ), act_line.eq(v), act_gate.eq(0), act_width.eq(1)]

        def begin_pulse(op, line, gate, width):
            return [action.eq(op), act_line.eq(line), act_gate.eq(gate), act_width.eq(width)]

        with m.FSM(name="wv_fsm") as fsm:
            with m.State("Idle"):
                m.d.comb += self.cmd.ready.eq(1)
                with m.If(self.cmd.valid):
                    m.d.sync += [cmd_q.eq(p), resp_value.eq(0)]
                    with m.If(p.op == WvOp.RUN):
                        m.d.sync += [
                            resp_error.eq(run_error),
                            row.eq(p.row0), col.eq(p.col0),
                            row_end.eq(p.row0 + p.nrows), col_end.eq(p.col0 + p.ncols),
                            cell_index.eq(p.row0 * a.cols + p.col0),
                            counter.eq(0), bad_found.eq(0),
                        ]
                        with m.If(run_error != 0):
                            m.d.sync += [last_error.eq(run_error), error_detail.eq(0)]
                            m.next = "Respond"
                        with m.Elif((p.kind == WvRunKind.PROGRAM)
                                    | (p.kind == WvRunKind.ENDURANCE)):
                            m.next = "Check-Sets"
                        with m.Else():
                            m.next = "Clear"
                    with m.Elif(access_ok):
                        m.d.sync += resp_error.eq(0)
                        m.next = "Access"
                    with m.Else():
                        m.d.sync += resp_error.eq(WvError.BAD_COMMAND)
                        m.next = "Respond"

            with m.State("Access"):
                # Writes happen now; reads present their address now and answer next cycle.
                with m.Switch(cmd_q.op):
                    with m.Case(WvOp.WRITE_SET):
                        m.d.comb += sets_wr.en.eq(Const(1, WV_FIELDS) << cmd_q.field)
                    with m.Case(WvOp.WRITE_TARGET):
                        m.d.comb += target_wr.en.eq(1)
                m.next = "Respond-Read"

            with m.State("Respond-Read"):
                with m.Switch(cmd_q.op):
                    with m.Case(WvOp.READ_SET):
                        m.d.comb += self.resp.payload.value.eq(
                            sets_rd.data.word_select(cmd_q.field, 16))
                    with m.Case(WvOp.READ_TARGET):
                        m.d.comb += self.resp.payload.value.eq(target_rd.data)
                    with m.Case(WvOp.READ_RESULT):
                        m.d.comb += self.resp.payload.value.eq(result_rd.data)
                    with m.Case(WvOp.READ_HIST):
                        m.d.comb += self.resp.payload.value.eq(hist_rd.data)
                    with m.Case(WvOp.READ_FAIL):
                        m.d.comb += self.resp.payload.value.eq(fail_rd.data)
                    with m.Case(WvOp.READ_STAT):
                        with m.Switch(cmd_q.addr):
                            for i, sig in enumerate([stat_pulses, stat_failures, stat_cells,
                                                     last_error, error_detail]):
                                with m.Case(i):
                                    m.d.comb += self.resp.payload.value.eq(sig)
                m.d.comb += self.resp.valid.eq(1)
                with m.If(self.resp.ready):
                    m.next = "Idle"

            with m.State("Check-Sets"):
                # Cycle k presents set k; set k-1's word is checked.
                m.d.comb += [self.busy.eq(1), sets_rd.addr.eq(counter)]
                m.d.sync += counter.eq(counter + 1)
                found = (counter != 0) & check_bad
                with m.If(found & ~bad_found):
                    m.d.sync += [bad_found.eq(1),
                                 bad_detail.eq(Cat(check_field, Const(0, 3), counter - 1))]
                with m.If(counter == WV_SETS):
                    with m.If(bad_found | found):
                        detail = Mux(bad_found, bad_detail,
                                     Cat(check_field, Const(0, 3), counter - 1))
                        m.d.sync += [
                            resp_error.eq(WvError.BAD_SET), resp_value.eq(detail),
                            last_error.eq(WvError.BAD_SET), error_detail.eq(detail),
                        ]
                        m.next = "Respond"
                    with m.Else():
                        m.d.sync += counter.eq(0)
                        m.next = "Clear"

            with m.State("Clear"):
                m.d.comb += [self.busy.eq(1), hist_wr.addr.eq(counter), hist_wr.data.eq(0),
                             hist_wr.en.eq(1)]
                m.d.sync += counter.eq(counter + 1)
                with m.If(counter == 0):
                    m.d.sync += [stat_pulses.eq(0), stat_failures.eq(0), stat_cells.eq(0),
                                 last_error.eq(0), error_detail.eq(0)]
                with m.If(counter == hb - 1):
                    m.next = "Cell-Fetch"

            with m.State("Cell-Fetch"):
                m.d.comb += [self.busy.eq(1), target_rd.addr.eq(cell_index)]
                m.next = "Cell-Load"

            with m.State("Cell-Load"):
                m.d.comb += self.busy.eq(1)
                with m.If(kind == WvRunKind.PROGRAM):
                    m.d.comb += sets_rd.addr.eq(target_rd.data)
                m.next = "Cell-Init"

            with m.State("Cell-Init"):
                m.d.comb += self.busy.eq(1)
                word = sets_rd.data
                m.d.sync += [
                    sq.eq(word), direction.eq(NONE), alts.eq(0), ramp_pulses.eq(0),
                    pulses.eq(0), passes.eq(0), exhausted.eq(0), reset_exhausted.eq(0),
                    passed.eq(1), count_left.eq(cmd_q.count),
                ]
                with m.Switch(kind):
                    with m.Case(WvRunKind.PROGRAM):
                        m.d.sync += begin_read(_field(word, F.VERIFY_V))
                    with m.Case(WvRunKind.ENDURANCE):
                        m.d.sync += begin_pulse(ACT_SET, _field(word, F.SET_LINE_STOP),
                                                _field(word, F.SET_GATE_START),
                                                _field(word, F.WIDTH_START))
                    with m.Case(WvRunKind.PULSE):
                        m.d.sync += begin_pulse(Mux(cmd_q.polarity, ACT_RESET, ACT_SET),
                                                cmd_q.v_line, cmd_q.v_gate, cmd_q.width)
                    with m.Default():
                        m.d.sync += begin_read(cmd_q.v_read)
                m.next = "Issue"

            with m.State("Issue"):
                # The crossbar is idle here, so it accepts in this cycle.
                m.d.comb += [self.busy.eq(1), self.xbar_cmd.valid.eq(1)]
                with m.If(self.xbar_cmd.ready):
                    m.next = "Wait"

            with m.State("Wait"):
                m.d.comb += [self.busy.eq(1), self.xbar_resp.ready.eq(1)]
                with m.If(self.xbar_resp.valid):
                    m.d.sync += current.eq(self.xbar_resp.payload.value)
                    m.next = "Decide"

            with m.State("Decide"):
                m.d.comb += self.busy.eq(1)
                is_pulse = action != ACT_READ
                with m.If(is_pulse):
                    m.d.sync += pulses.eq(pulses + 1)
                with m.Switch(kind):
                    with m.Case(WvRunKind.PROGRAM):
                        with m.If(is_pulse):
                            # Count the pulse, step the ramp, then verify.
                            m.d.sync += ramp_pulses.eq(ramp_pulses + 1)
                            with m.If(direction == SET):
                                m.d.sync += [pos[d].eq(adv_pos[d]) for d in range(3)]
                                m.d.sync += exhausted.eq(exhausted | adv_exhausted)
                            with m.Else():
                                with m.If(reset_over):
                                    m.d.sync += reset_exhausted.eq(1)
                                with m.Else():
                                    m.d.sync += reset_v.eq(reset_next)
                            m.d.sync += begin_read(fs(F.VERIFY_V))
                            m.next = "Issue"
                        with m.Elif(in_win):
                            m.d.sync += passes.eq(passes_next)
                            with m.If(enough):
                                m.d.sync += passed.eq(1)
                                m.next = "Cell-Store"
                            with m.Else():
                                m.d.sync += begin_read(fs(F.VERIFY_V))
                                m.next = "Issue"
                        with m.Elif(give_up):
                            m.d.sync += [passes.eq(0), passed.eq(0)]
                            m.next = "Cell-Store"
                        with m.Else():
                            m.d.sync += [passes.eq(0), alts.eq(alts_next), direction.eq(want)]
                            with m.If(switching):
                                m.d.sync += [
                                    ramp_pulses.eq(0), exhausted.eq(0), reset_exhausted.eq(0),
                                    reset_v.eq(fs(F.RESET_LINE_START)),
                                ]
                                m.d.sync += [pos[d].eq(start[d]) for d in range(3)]
                                with m.If(want_reset):
                                    m.d.sync += begin_pulse(ACT_RESET, fs(F.RESET_LINE_START),
                                                            fs(F.RESET_GATE), fs(F.WIDTH_START))
                                with m.Else():
                                    m.d.sync += begin_pulse(ACT_SET, start[0], start[1], start[2])
                            with m.Else():
                                with m.If(want_reset):
                                    m.d.sync += begin_pulse(ACT_RESET, reset_v, fs(F.RESET_GATE),
                                                            fs(F.WIDTH_START))
                                with m.Else():
                                    m.d.sync += begin_pulse(ACT_SET, pos[0], pos[1], pos[2])
                            m.next = "Issue"
                    with m.Case(WvRunKind.ENDURANCE):
                        with m.Switch(action):
                            with m.Case(ACT_SET):
                                m.d.sync += begin_pulse(ACT_RESET, fs(F.RESET_LINE_STOP),
                                                        fs(F.RESET_GATE), fs(F.WIDTH_START))
                                m.next = "Issue"
                            with m.Case(ACT_RESET):
                                m.d.sync += count_left.eq(count_left - 1)
                                with m.If(count_left == 1):
                                    m.d.sync += begin_read(fs(F.VERIFY_V))
                                with m.Else():
                                    m.d.sync += begin_pulse(ACT_SET, fs(F.SET_LINE_STOP),
                                                            fs(F.SET_GATE_START),
                                                            fs(F.WIDTH_START))
                                m.next = "Issue"
                            with m.Default():
                                m.next = "Cell-Store"
                    with m.Default():  # PULSE, READ_MAP: pulse (PULSE only), then one read
                        with m.If(is_pulse):
                            m.d.sync += begin_read(cmd_q.v_read)
                            m.next = "Issue"
                        with m.Else():
                            m.next = "Cell-Store"

            with m.State("Cell-Store"):
                m.d.comb += [self.busy.eq(1), result_wr.en.eq(1), hist_rd.addr.eq(hist_bin)]
                m.next = "Cell-Hist"

            with m.State("Cell-Hist"):
                m.d.comb += [self.busy.eq(1), hist_wr.en.eq(1)]
                with m.If(~passed & (stat_failures < fd)):
                    m.d.comb += fail_wr.en.eq(1)
                m.d.sync += [
                    stat_pulses.eq(stat_pulses + pulses),
                    stat_failures.eq(stat_failures + ~passed),
                    stat_cells.eq(stat_cells + 1),
                ]
                last_col = col + 1 == col_end
                with m.If(last_col):
                    m.d.sync += [col.eq(cmd_q.col0), row.eq(row + 1),
                                 cell_index.eq((row + 1) * a.cols + cmd_q.col0)]
                with m.Else():
                    m.d.sync += [col.eq(col + 1), cell_index.eq(cell_index + 1)]
                with m.If(last_col & (row + 1 == row_end)):
                    m.d.sync += resp_value.eq(stat_failures + ~passed)
                    m.next = "Respond"
                with m.Else():
                    m.next = "Cell-Fetch"

            with m.State("Respond"):
                m.d.comb += self.resp.valid.eq(1)
                with m.If(self.resp.ready):
                    m.next = "Idle"

        # References for the formal harness (tb/formal/wv_harness.py, docs/formal.md): names
        # only, no logic, so the generated design is the same with or without a harness.
        self.formal_view = dict(
            fsm=fsm, sets_mem=sets_mem, sq=sq, cmd_q=cmd_q, action=action, direction=direction,
            alts=alts, ramp_pulses=ramp_pulses, pulses=pulses, passes=passes, pos=pos,
            exhausted=exhausted, reset_v=reset_v, reset_exhausted=reset_exhausted,
            count_left=count_left, counter=counter, bad_found=bad_found, row=row, col=col,
            row_end=row_end, col_end=col_end, act_line=act_line, act_gate=act_gate,
            act_width=act_width, passed=passed, sets_rd=sets_rd,
        )
        return m


class WriteVerifyUnit(wiring.Component):
    """A write-verify engine wired to its crossbar: the block the tests and synthesis see.

    Parameters
    ----------
    cfg : ChipConfig
    tile : int
        Node index (keys the crossbar's device hash).
    image : TileImage
        Power-on memory contents (from ``sim.images.tile_image``).

    Attributes
    ----------
    cmd, resp : the engine's host command and response streams.
    busy : Out(1)
    """

    def __init__(self, cfg, tile, image):
        self._cfg = cfg
        self._tile = tile
        self._image = image.check(cfg)
        super().__init__({
            "cmd": In(stream.Signature(wv_command_layout(cfg))),
            "resp": Out(stream.Signature(wv_response_layout(cfg))),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        image = self._image
        m.submodules.engine = engine = WriteVerifyEngine(self._cfg, image.register_sets)
        m.submodules.crossbar = crossbar = Crossbar(self._cfg, self._tile, image.conductance)
        wiring.connect(m, engine.xbar_cmd, crossbar.cmd)
        wiring.connect(m, crossbar.resp, engine.xbar_resp)
        wiring.connect(m, wiring.flipped(self.cmd), engine.cmd)
        wiring.connect(m, engine.resp, wiring.flipped(self.resp))
        m.d.comb += self.busy.eq(engine.busy)
        return m
