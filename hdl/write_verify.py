"""Write-verify engine: programs a region of the crossbar pulse by pulse (DESIGN section 5).

The engine is a crossbar master: it sends one crossbar command at a time and waits for the
response. Every cell gets a verify read after every pulse; the register set chosen by the
cell's target decides the algorithm (M-ISPVA, window, IGVVA, forming) and the ramps.
Host commands (``hdl/spec/write_verify.py``: ``WvOp``) write register sets and targets, start
runs and read results, the pulses histogram, the fail list and counters.
``sim/write_verify.py`` is the bit- and cycle-exact golden model; ``docs/write_verify.md``
describes the algorithms.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.common import (
    any_of,
    command_idle,
    first_match_code,
    layout,
    refusal,
    respond_state,
)
from hdl.crossbar import Crossbar, crossbar_command_layout, crossbar_response_layout
from hdl.spec.crossbar import CrossbarOp
from hdl.spec.write_verify import (
    LOOP_DIMS,
    WV_FIELDS,
    WV_SETS,
    LoopOrder,
    WvAlgorithm,
    WvError,
    WvField,
    WvOp,
    WvRunKind,
    WvStat,
    access_rules,
    command_fields,
    response_fields,
    result_fields,
    run_refusals,
    set_rules,
)

__all__ = [
    "WriteVerifyEngine",
    "WriteVerifyUnit",
    "Direction",
    "wv_command_layout",
    "wv_response_layout",
    "set_layout",
]

F = WvField


class Direction(enum.Enum, shape=2):
    """Ramp of the current cell: none yet (a new cell), SET or RESET."""

    NONE = 0
    SET = 1
    RESET = 2


def wv_command_layout(cfg):
    """Payload of the engine's host command stream (``hdl.spec.write_verify``)."""
    return layout(command_fields(cfg))


def wv_response_layout(cfg):
    return layout(response_fields(cfg))


def set_layout():
    """One register set: ``WV_FIELDS`` 16-bit fields, indexed by ``WvField``."""
    return data.ArrayLayout(16, WV_FIELDS)


class _SetChecker(wiring.Component):
    """The register-set check of a PROGRAM or ENDURANCE run (state ``Check-Sets``).

    In cycle ``index`` = k the engine presents set k to the set memory, and ``word`` is set
    k - 1 (k >= 1), checked against ``hdl.spec.write_verify.set_rules``; the first violation
    is kept until ``clear``.

    Attributes
    ----------
    word : In(set_layout()), index : In(range(WV_SETS + 1)), en : In(1), clear : In(1)
    bad : Out(1)
        A set checked so far (this cycle's included) breaks a rule.
    detail : Out(16)
        The first such set and field: ``set << 8 | field``.
    found : Out(1)
        A violation was kept in an earlier cycle.
    """

    def __init__(self, cfg):
        self._cfg = cfg
        super().__init__({
            "word": In(set_layout()),
            "index": In(range(WV_SETS + 1)),
            "en": In(1),
            "clear": In(1),
            "bad": Out(1),
            "detail": Out(16),
            "found": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        rules = set_rules(self._cfg)
        broken = any_of(any_of(rule(self.word)) for _, rule in rules)
        field = first_match_code(rules, self.word, Const(0, 5))
        hit = self.en & (self.index != 0) & broken
        here = Cat(field, Const(0, 3), self.index - 1)
        kept = Signal(16)
        with m.If(self.clear):
            m.d.sync += self.found.eq(0)
        with m.Elif(hit & ~self.found):
            m.d.sync += [self.found.eq(1), kept.eq(here)]
        m.d.comb += [self.bad.eq(self.found | hit),
                     self.detail.eq(Mux(self.found, kept, here))]
        return m


class _RampStepper(wiring.Component):
    """The two ramps of a PROGRAM cell under register set ``word``.

    The SET ramp steps line, gate and width as a nested loop in the set's ``LOOP_ORDER``
    (innermost first, ``LOOP_DIMS``): the innermost dimension steps; one that passes its STOP
    wraps to its START and carries into the next; a carry out of the outermost exhausts the
    ramp (its position stays at the last pulse's). The RESET ramp steps the source line
    until the next step would pass RESET_LINE_STOP (a step that lands on STOP is taken).

    Attributes
    ----------
    word : In(set_layout()), direction : In(Direction)
    clear : In(1)
        A new cell: neither ramp is exhausted.
    restart : In(1)
        A new ramp: both positions back to their STARTs, neither exhausted.
    step : In(1)
        A pulse of ``direction``'s ramp was sent: step that ramp.
    pos : Out(ArrayLayout(8, 3))
        The SET ramp's line, gate and width.
    reset_v : Out(9)
        The RESET ramp's source-line voltage.
    exhausted, reset_exhausted : Out(1)
    """

    def __init__(self, cfg):
        self._cfg = cfg
        super().__init__({
            "word": In(set_layout()),
            "direction": In(Direction),
            "clear": In(1),
            "restart": In(1),
            "step": In(1),
            "pos": Out(data.ArrayLayout(8, 3)),
            "reset_v": Out(9),
            "exhausted": Out(1),
            "reset_exhausted": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        s, pos = self.word, self.pos
        start = [s[F.SET_LINE_START], s[F.SET_GATE_START], s[F.WIDTH_START]]
        step = [s[F.SET_LINE_STEP], s[F.SET_GATE_STEP], s[F.WIDTH_STEP]]
        stop = [s[F.SET_LINE_STOP], s[F.SET_GATE_STOP], s[F.WIDTH_STOP]]
        adv = Signal(data.ArrayLayout(8, 3))
        adv_exhausted = Signal()
        with m.Switch(s[F.LOOP_ORDER]):
            for order in LoopOrder:
                with m.Case(order):
                    carry = Const(1)
                    for dim in LOOP_DIMS[order]:
                        nxt = pos[dim] + step[dim]
                        wrap = carry & (nxt > stop[dim])
                        inc = carry & ~wrap
                        m.d.comb += adv[dim].eq(Mux(inc, nxt, Mux(wrap, start[dim], pos[dim])))
                        carry = wrap
                    m.d.comb += adv_exhausted.eq(carry)
            with m.Default():
                m.d.comb += adv.eq(pos)
        reset_next = self.reset_v + s[F.RESET_LINE_STEP]
        reset_over = reset_next > s[F.RESET_LINE_STOP]

        with m.If(self.restart):
            m.d.sync += [pos[d].eq(start[d]) for d in range(3)]
            m.d.sync += [self.reset_v.eq(s[F.RESET_LINE_START]), self.exhausted.eq(0),
                         self.reset_exhausted.eq(0)]
        with m.Elif(self.clear):
            m.d.sync += [self.exhausted.eq(0), self.reset_exhausted.eq(0)]
        with m.Elif(self.step):
            with m.If(self.direction == Direction.SET):
                m.d.sync += [pos.eq(adv), self.exhausted.eq(self.exhausted | adv_exhausted)]
            with m.Elif(reset_over):
                m.d.sync += self.reset_exhausted.eq(1)
            with m.Else():
                m.d.sync += self.reset_v.eq(reset_next)
        return m


class _Results:
    """What a run leaves for the host: one word per cell (``result_fields``), the pulses
    histogram, the fail list and the READ_STAT counters. A gateware helper of the engine's
    state machine (its statements go into the engine's module)."""

    def __init__(self, m, cfg, cmd_q, cell_index, cell):
        w = cfg.write_verify
        cells, hb = cfg.array.rows * cfg.array.cols, w.hist_bins
        self._m, self._fd, self._cell = m, w.fail_list_depth, cell
        m.submodules.result_mem = result_mem = Memory(
            shape=layout(result_fields(cfg)), depth=cells, init=[])
        m.submodules.hist_mem = hist_mem = Memory(shape=17, depth=hb, init=[])
        m.submodules.fail_mem = fail_mem = Memory(shape=16, depth=self._fd, init=[])
        self.result_rd, self.result_wr = result_mem.read_port(), result_mem.write_port()
        self.hist_rd, self.hist_wr = hist_mem.read_port(), hist_mem.write_port()
        self.fail_rd, self.fail_wr = fail_mem.read_port(), fail_mem.write_port()
        self.stat_pulses = Signal(32)
        self.stat_failures = Signal(16)
        self.stat_cells = Signal(17)
        self.last_error = Signal(WvError)
        self.error_detail = Signal(16)
        self.hist_bin = Mux(cell.pulses >= hb - 1, hb - 1, cell.pulses)
        # Default addresses: the host command's (reads), the current cell's (writes).
        m.d.comb += [
            self.result_rd.addr.eq(cmd_q.addr),
            self.hist_rd.addr.eq(cmd_q.addr),
            self.fail_rd.addr.eq(cmd_q.addr),
            self.result_wr.addr.eq(cell_index),
            self.result_wr.data.eq(cell),
            self.hist_wr.addr.eq(self.hist_bin),
            self.hist_wr.data.eq(self.hist_rd.data + 1),
            self.fail_wr.addr.eq(self.stat_failures),
            self.fail_wr.data.eq(cell_index),
        ]

    def clear(self, index):
        """State ``Clear``, cycle ``index``: clear histogram bin ``index``; the counters in
        the first cycle."""
        m = self._m
        m.d.comb += [self.hist_wr.addr.eq(index), self.hist_wr.data.eq(0),
                     self.hist_wr.en.eq(1)]
        with m.If(index == 0):
            m.d.sync += [self.stat_pulses.eq(0), self.stat_failures.eq(0),
                         self.stat_cells.eq(0), self.last_error.eq(0), self.error_detail.eq(0)]

    def store(self):
        """State ``Cell-Store``: write the cell's result word, read its histogram bin."""
        self._m.d.comb += [self.result_wr.en.eq(1), self.hist_rd.addr.eq(self.hist_bin)]

    def count(self):
        """State ``Cell-Hist``: count the cell in the histogram, the fail list, the
        counters."""
        m, cell = self._m, self._cell
        m.d.comb += self.hist_wr.en.eq(1)
        with m.If(~cell.passed & (self.stat_failures < self._fd)):
            m.d.comb += self.fail_wr.en.eq(1)
        m.d.sync += [
            self.stat_pulses.eq(self.stat_pulses + cell.pulses),
            self.stat_failures.eq(self.stat_failures + ~cell.passed),
            self.stat_cells.eq(self.stat_cells + 1),
        ]

    def read(self, op, addr, others):
        """The answer to a read command (comb, the cycle after ``addr`` was presented):
        READ_RESULT / HIST / FAIL / STAT from here, ``others`` (``{op: value}``) for the
        engine's own; 0 for other ops."""
        m = self._m
        value = Signal(40)
        stats = {WvStat.PULSES: self.stat_pulses, WvStat.FAILURES: self.stat_failures,
                 WvStat.CELLS: self.stat_cells, WvStat.LAST_ERROR: self.last_error,
                 WvStat.ERROR_DETAIL: self.error_detail}
        with m.Switch(op):
            for o, v in {**others, WvOp.READ_RESULT: self.result_rd.data,
                         WvOp.READ_HIST: self.hist_rd.data,
                         WvOp.READ_FAIL: self.fail_rd.data}.items():
                with m.Case(o):
                    m.d.comb += value.eq(v)
            with m.Case(WvOp.READ_STAT):
                with m.Switch(addr):
                    for i, sig in stats.items():
                        with m.Case(i):
                            m.d.comb += value.eq(sig)
        return value


class _Cell:
    """The current cell's command sequence: the crossbar command to issue next, the decision
    after each response (PROGRAM: the verify and the ramps, with a ``_RampStepper``) and the
    cell's result word. A gateware helper of the engine's state machine, for its states
    ``Cell-Init`` (:meth:`init`) and ``Decide`` (:meth:`decide`)."""

    def __init__(self, m, cfg, cmd_q):
        a = cfg.array
        self._m, self._q = m, cmd_q
        m.submodules.stepper = self.stepper = stepper = _RampStepper(cfg)
        self.sq = Signal(set_layout())         # the cell's register set
        self.action = Signal(CrossbarOp)       # crossbar op of the next command
        self.act_line = Signal(a.v_bits)
        self.act_gate = Signal(a.v_bits)
        self.act_width = Signal(8)
        self.result = Signal(layout(result_fields(cfg)))  # pulses, current, passed
        self.direction = Signal(Direction)
        self.alts = Signal(9)
        self.ramp_pulses = Signal(8)
        self.passes = Signal(5)
        self.count_left = Signal(16)
        m.d.comb += [stepper.word.eq(self.sq), stepper.direction.eq(self.direction)]

    def command(self, payload, row, col):
        """Comb: the crossbar command payload."""
        return [payload.op.eq(self.action), payload.row.eq(row), payload.col.eq(col),
                payload.v_line.eq(self.act_line), payload.v_gate.eq(self.act_gate),
                payload.width.eq(self.act_width)]

    def _begin(self, op, line, gate=0, width=1):
        """Sync: the next crossbar command (a read: ``line`` is its voltage)."""
        return [self.action.eq(op), self.act_line.eq(line), self.act_gate.eq(gate),
                self.act_width.eq(width)]

    def init(self, kind, word):
        """State ``Cell-Init``: load the cell's register set ``word``; its first command."""
        m, q, r = self._m, self._q, self.result
        m.d.comb += self.stepper.clear.eq(1)
        m.d.sync += [self.sq.eq(word), self.direction.eq(Direction.NONE), self.alts.eq(0),
                     self.ramp_pulses.eq(0), r.pulses.eq(0), self.passes.eq(0), r.passed.eq(1),
                     self.count_left.eq(q.count)]
        with m.Switch(kind):
            with m.Case(WvRunKind.PROGRAM):
                m.d.sync += self._begin(CrossbarOp.READ, word[F.VERIFY_V])
            with m.Case(WvRunKind.ENDURANCE):
                m.d.sync += self._begin(CrossbarOp.SET, word[F.SET_LINE_STOP],
                                        word[F.SET_GATE_START], word[F.WIDTH_START])
            with m.Case(WvRunKind.PULSE):
                m.d.sync += self._begin(Mux(q.polarity, CrossbarOp.RESET, CrossbarOp.SET),
                                        q.v_line, q.v_gate, q.width)
            with m.Default():
                m.d.sync += self._begin(CrossbarOp.READ, q.v_read)

    def decide(self, kind):
        """State ``Decide``, after a response: the next command (``Issue``), or the cell is
        done (``Cell-Store``)."""
        m, sq, r = self._m, self.sq, self.result
        is_pulse = self.action != CrossbarOp.READ
        with m.If(is_pulse):
            m.d.sync += r.pulses.eq(r.pulses + 1)
        m.next = "Issue"
        with m.Switch(kind):
            with m.Case(WvRunKind.PROGRAM):
                self._program(is_pulse)
            with m.Case(WvRunKind.ENDURANCE):  # count x (SET, RESET) at the stops, a read
                with m.Switch(self.action):
                    with m.Case(CrossbarOp.SET):
                        m.d.sync += self._begin(CrossbarOp.RESET, sq[F.RESET_LINE_STOP],
                                                sq[F.RESET_GATE], sq[F.WIDTH_START])
                    with m.Case(CrossbarOp.RESET):
                        m.d.sync += self.count_left.eq(self.count_left - 1)
                        with m.If(self.count_left == 1):
                            m.d.sync += self._begin(CrossbarOp.READ, sq[F.VERIFY_V])
                        with m.Else():
                            m.d.sync += self._begin(CrossbarOp.SET, sq[F.SET_LINE_STOP],
                                                    sq[F.SET_GATE_START], sq[F.WIDTH_START])
                    with m.Default():
                        m.next = "Cell-Store"
            with m.Default():  # PULSE, READ_MAP: pulse (PULSE only), then one read
                with m.If(is_pulse):
                    m.d.sync += self._begin(CrossbarOp.READ, self._q.v_read)
                with m.Else():
                    m.next = "Cell-Store"

    def _program(self, is_pulse):
        """``decide`` for a PROGRAM cell (``docs/write_verify.md``)."""
        m, sq, r, st = self._m, self.sq, self.result, self.stepper
        direction, alts, passes = self.direction, self.alts, self.passes
        current, alg, hi = r.current, sq[F.ALGORITHM], sq[F.WINDOW_HI]
        in_win = (sq[F.WINDOW_LO] <= current) & (current <= hi)
        want_reset = current > hi
        want = Signal(Direction)
        m.d.comb += want.eq(Mux(want_reset, Direction.RESET, Direction.SET))
        one_way = (alg == WvAlgorithm.ISPVA) | (alg == WvAlgorithm.IGVVA)
        forbidden = want_reset & ((alg == WvAlgorithm.FORMING)
                                  | (one_way & (direction == Direction.SET)))
        switching = direction != want
        alts_next = alts + (switching & (direction != Direction.NONE))
        too_many = (alg == WvAlgorithm.WINDOW) & (alts_next > sq[F.MAX_ALTERNATIONS])
        ramp_done = (Mux(want_reset, st.reset_exhausted, st.exhausted)
                     | (self.ramp_pulses >= sq[F.MAX_PULSES]))
        verify = self._begin(CrossbarOp.READ, sq[F.VERIFY_V])
        with m.If(is_pulse):
            # Count the pulse, step the ramp, then verify.
            m.d.comb += st.step.eq(1)
            m.d.sync += [self.ramp_pulses.eq(self.ramp_pulses + 1)] + verify
        with m.Elif(in_win):
            m.d.sync += passes.eq(passes + 1)
            with m.If(passes + 1 >= sq[F.PASSES]):
                m.next = "Cell-Store"
            with m.Else():
                m.d.sync += verify
        with m.Elif(forbidden | too_many | (~switching & ramp_done)):  # give up
            m.d.sync += [passes.eq(0), r.passed.eq(0)]
            m.next = "Cell-Store"
        with m.Else():
            m.d.sync += [passes.eq(0), alts.eq(alts_next), direction.eq(want)]
            with m.If(switching):  # a new ramp: its first pulse
                m.d.comb += st.restart.eq(1)
                m.d.sync += self.ramp_pulses.eq(0)
                self._ramp_pulse(want_reset, sq[F.RESET_LINE_START],
                                 [sq[F.SET_LINE_START], sq[F.SET_GATE_START], sq[F.WIDTH_START]])
            with m.Else():
                self._ramp_pulse(want_reset, st.reset_v, [st.pos[d] for d in range(3)])

    def _ramp_pulse(self, reset, reset_line, set_at):
        """Sync: a RESET pulse at ``reset_line`` if ``reset``, else a SET pulse at ``set_at``
        (line, gate, width)."""
        m, sq = self._m, self.sq
        with m.If(reset):
            m.d.sync += self._begin(CrossbarOp.RESET, reset_line, sq[F.RESET_GATE],
                                    sq[F.WIDTH_START])
        with m.Else():
            m.d.sync += self._begin(CrossbarOp.SET, *set_at)


class WriteVerifyEngine(wiring.Component):
    """Write-verify engine with its register sets, target buffer and result memories.

    This component is the engine's state machine: it walks the region, runs each cell's
    command sequence (``_Cell``) on the crossbar and records the results (``_Results``). Its
    sub-components are the register-set checker (``_SetChecker``) and the ramp stepper
    (``_RampStepper``).

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
    formal_view : dict
        After ``elaborate``: the internals the formal harness (``tb/formal/wv_harness.py``)
        states its invariants on. Names only, no logic, so the generated design is the same
        with or without a harness.
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

    def _memories(self, m):
        """The register sets (written one field at a time) and the cell targets."""
        cells = self._cfg.array.rows * self._cfg.array.cols
        init = [[int(v) for v in s] for s in self._register_sets]
        m.submodules.sets_mem = sets_mem = Memory(shape=set_layout(), depth=WV_SETS, init=init)
        m.submodules.target_mem = target_mem = Memory(
            shape=range(WV_SETS), depth=cells, init=[])
        return (sets_mem, sets_mem.read_port(), sets_mem.write_port(granularity=1),
                target_mem.read_port(), target_mem.write_port())

    def _command_check(self, m, p):
        """(refused, error) of the command on ``p``: the spec's ``run_refusals`` for a RUN,
        ``access_rules`` (BAD_COMMAND) for the others."""
        run_error = Signal(WvError)
        m.d.comb += run_error.eq(first_match_code(run_refusals(self._cfg), p, WvError.NONE))
        rules = {**access_rules(self._cfg), WvOp.RUN: lambda _: [run_error != 0]}
        refused = refusal(m, rules, p)
        error = Mux(p.op == WvOp.RUN, run_error, Mux(refused, WvError.BAD_COMMAND, 0))
        return refused, error

    def elaborate(self, platform):
        m = Module()
        cfg, a = self._cfg, self._cfg.array
        hb = cfg.write_verify.hist_bins
        sets_mem, sets_rd, sets_wr, target_rd, target_wr = self._memories(m)
        m.submodules.checker = checker = _SetChecker(cfg)

        cmd_q = Signal(wv_command_layout(cfg))
        resp_error = Signal(WvError)
        resp_value = Signal(40)
        counter = Signal(range(max(hb, WV_SETS + 1) + 1))
        row = Signal(8)
        col = Signal(8)
        row_end = Signal(9)
        col_end = Signal(9)
        cell_index = Signal(range(a.rows * a.cols))
        cell = _Cell(m, cfg, cmd_q)
        res = _Results(m, cfg, cmd_q, cell_index, cell.result)
        read_value = res.read(cmd_q.op, cmd_q.addr, {WvOp.READ_SET: sets_rd.data[cmd_q.field],
                                                     WvOp.READ_TARGET: target_rd.data})

        p, kind = self.cmd.payload, cmd_q.kind
        refused, error = self._command_check(m, p)
        m.d.comb += [
            checker.word.eq(sets_rd.data), checker.index.eq(counter),
            sets_rd.addr.eq(cmd_q.set), target_rd.addr.eq(cmd_q.addr),
            sets_wr.addr.eq(cmd_q.set), sets_wr.data.eq(cmd_q.value.replicate(WV_FIELDS)),
            target_wr.addr.eq(cmd_q.addr), target_wr.data.eq(cmd_q.value),
            self.resp.payload.error.eq(resp_error), self.resp.payload.value.eq(resp_value),
        ] + cell.command(self.xbar_cmd.payload, row, col)

        with m.FSM(name="wv_fsm") as fsm:
            is_run = p.op == WvOp.RUN
            accept = [cmd_q.eq(p), resp_value.eq(0), resp_error.eq(error), row.eq(p.row0),
                      col.eq(p.col0), row_end.eq(p.row0 + p.nrows), col_end.eq(p.col0 + p.ncols),
                      cell_index.eq(p.row0 * a.cols + p.col0), counter.eq(0)]
            # A refused RUN is the last error; other refused commands are not recorded.
            on_refuse = [res.last_error.eq(Mux(is_run, error, res.last_error)),
                         res.error_detail.eq(Mux(is_run, 0, res.error_detail))]
            with command_idle(m, self.cmd, latch=accept, refused=refused, on_refuse=on_refuse):
                m.d.comb += checker.clear.eq(1)
                with m.If(is_run):
                    with m.If((p.kind == WvRunKind.PROGRAM) | (p.kind == WvRunKind.ENDURANCE)):
                        m.next = "Check-Sets"
                    with m.Else():
                        m.next = "Clear"
                with m.Else():
                    m.next = "Access"

            with m.State("Access"):
                # Writes happen now; reads present their address now and answer next cycle.
                with m.Switch(cmd_q.op):
                    with m.Case(WvOp.WRITE_SET):
                        m.d.comb += sets_wr.en.eq(Const(1, WV_FIELDS) << cmd_q.field)
                    with m.Case(WvOp.WRITE_TARGET):
                        m.d.comb += target_wr.en.eq(1)
                m.next = "Respond-Read"

            with m.State("Respond-Read"):
                m.d.comb += [self.resp.payload.value.eq(read_value), self.resp.valid.eq(1)]
                with m.If(self.resp.ready):
                    m.next = "Idle"

            with m.State("Check-Sets"):
                # Cycle k presents set k; the checker sees set k - 1.
                m.d.comb += [sets_rd.addr.eq(counter), checker.en.eq(1)]
                m.d.sync += counter.eq(counter + 1)
                with m.If(counter == WV_SETS):
                    with m.If(checker.bad):
                        m.d.sync += [resp_error.eq(WvError.BAD_SET), resp_value.eq(checker.detail),
                                     res.last_error.eq(WvError.BAD_SET),
                                     res.error_detail.eq(checker.detail)]
                        m.next = "Respond"
                    with m.Else():
                        m.d.sync += counter.eq(0)
                        m.next = "Clear"

            with m.State("Clear"):
                res.clear(counter)
                m.d.sync += counter.eq(counter + 1)
                with m.If(counter == hb - 1):
                    m.next = "Cell-Fetch"

            with m.State("Cell-Fetch"):
                m.d.comb += target_rd.addr.eq(cell_index)
                m.next = "Cell-Load"

            with m.State("Cell-Load"):
                with m.If(kind == WvRunKind.PROGRAM):
                    m.d.comb += sets_rd.addr.eq(target_rd.data)
                m.next = "Cell-Init"

            with m.State("Cell-Init"):
                cell.init(kind, sets_rd.data)
                m.next = "Issue"

            with m.State("Issue"):
                # The crossbar is idle here, so it accepts in this cycle.
                m.d.comb += self.xbar_cmd.valid.eq(1)
                with m.If(self.xbar_cmd.ready):
                    m.next = "Wait"

            with m.State("Wait"):
                m.d.comb += self.xbar_resp.ready.eq(1)
                with m.If(self.xbar_resp.valid):
                    m.d.sync += cell.result.current.eq(self.xbar_resp.payload.value)
                    m.next = "Decide"

            with m.State("Decide"):
                cell.decide(kind)

            with m.State("Cell-Store"):
                res.store()
                m.next = "Cell-Hist"

            with m.State("Cell-Hist"):
                res.count()
                last_col = col + 1 == col_end
                with m.If(last_col):
                    m.d.sync += [col.eq(cmd_q.col0), row.eq(row + 1),
                                 cell_index.eq((row + 1) * a.cols + cmd_q.col0)]
                with m.Else():
                    m.d.sync += [col.eq(col + 1), cell_index.eq(cell_index + 1)]
                with m.If(last_col & (row + 1 == row_end)):
                    m.d.sync += resp_value.eq(res.stat_failures + ~cell.result.passed)
                    m.next = "Respond"
                with m.Else():
                    m.next = "Cell-Fetch"

            respond_state(m, self.resp)

        idle = fsm.ongoing("Idle") | fsm.ongoing("Access") | fsm.ongoing("Respond-Read")
        m.d.comb += self.busy.eq(~(idle | fsm.ongoing("Respond")))

        st = cell.stepper
        self.formal_view = dict(
            fsm=fsm, sets_mem=sets_mem, sets_rd=sets_rd, cmd_q=cmd_q, counter=counter,
            bad_found=checker.found, row=row, col=col, row_end=row_end, col_end=col_end,
            sq=cell.sq, action=cell.action, act_line=cell.act_line, act_gate=cell.act_gate,
            act_width=cell.act_width, direction=cell.direction, alts=cell.alts,
            ramp_pulses=cell.ramp_pulses, passes=cell.passes, count_left=cell.count_left,
            pulses=cell.result.pulses, passed=cell.result.passed,
            pos=[st.pos[d] for d in range(3)], reset_v=st.reset_v, exhausted=st.exhausted,
            reset_exhausted=st.reset_exhausted,
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
