"""Formal harness of the write-verify engine (``hdl/write_verify.py``), for SymbiYosys.

The harness drives every input of :class:`hdl.write_verify.WriteVerifyEngine` with free
values (``AnySeq``): host commands, the crossbar's accept, response and response value.
Three assumptions bound the environment's latency (``docs/formal.md``): the crossbar accepts
a command within ``l_accept`` stalled cycles, answers within ``l_response`` idle cycles, and
the host takes a response within ``l_host`` stalled cycles. Nothing else is assumed: the
register sets and targets are whatever the memories hold (the proof flow deletes the memory
initialisers, so they are free from the first cycle, and the host may rewrite them).

Observers count what the engine does on its crossbar port, per cell and per run; the
properties (``docs/formal.md``) are stated on those counts. The invariants that make them
k-inductive are stated on the engine's internals (``engine.formal_view``).

Property groups (``props``):

* ``p1``: termination: cycles per cell <= a bound derived from the cell's register set,
  cycles per RUN <= ``run_bound`` (a constant of the configuration and latencies).
* ``p2``: no SET pulse outside the set's [START, STOP] for line, gate and width, no RESET
  pulse outside [RESET_LINE_START, RESET_LINE_STOP]; every pulse and read within the array's
  safe limits (v_max, pulse_width_max, v_read_max), also for host-chosen PULSE runs.
* ``p3``: no ramp (run of same-polarity pulses of one cell) longer than MAX_PULSES.
* ``p4``: pulses per cell <= MAX_PULSES x (alternations + 1), alternations <= MAX_ALTERNATIONS
  (WINDOW) or <= 1 (ISPVA, IGVVA) or 0 (FORMING, which never RESETs).

The invariants (group ``core``) are asserted in every task, so each task proves them too.
``mutant`` weakens one property by one on purpose (``tb/test_formal.py``): the proof must
then fail with a counterexample.
"""

from amaranth.asserts import AnySeq
from amaranth.hdl import (
    Array,
    Assert,
    Assume,
    ClockDomain,
    Const,
    Cover,
    Elaboratable,
    Module,
    Mux,
    Signal,
)

from hdl.spec.crossbar import CrossbarOp
from hdl.spec.rules import any_of
from hdl.spec.write_verify import FIELD_LIMITS, WvAlgorithm, WvField, WvOp, WvRunKind, set_rules
from hdl.write_verify import Direction, WriteVerifyEngine
from sim.write_verify import WV_SETS, default_register_sets

__all__ = ["WriteVerifyProof", "PROPERTIES", "MUTANTS", "bounds"]

F = WvField
PROPERTIES = ("p1", "p2", "p3", "p4")
MUTANTS = ("ramp_off_by_one", "set_stop_off_by_one")

#: Engine FSM states of a run (the engine is busy in all of them).
RUN_STATES = ("Check-Sets", "Clear", "Cell-Fetch", "Cell-Load", "Cell-Init", "Issue", "Wait",
              "Decide", "Cell-Store", "Cell-Hist")
CELL_STATES = ("Cell-Fetch", "Cell-Load", "Cell-Init", "Issue", "Wait", "Decide", "Cell-Store",
               "Cell-Hist")
CMD_STATES = ("Issue", "Wait", "Decide")
ALL_STATES = ("Idle", "Access", "Respond-Read", "Respond") + RUN_STATES

# The engine's ramp directions (``direction`` is compared as a plain value here).
NONE, SET, RESET = Direction.NONE.value, Direction.SET.value, Direction.RESET.value


#: Register-set field ranges the proofs assume (besides the engine's own check), to keep the
#: solver's multiplications small; docs/formal.md explains why they do not weaken the proof.
FIELD_MAX = {F.MAX_PULSES: 3, F.MAX_ALTERNATIONS: 2, F.PASSES: 2}


def bounds(cfg, l_accept, l_response, l_host, field_max=FIELD_MAX):
    """The explicit bounds of property 1 (all in cycles or commands), as a dict.

    * ``cmd``: cycles per crossbar command (issue + accept stall, wait, decide).
    * ``program_cmds_max``: commands per PROGRAM cell, over every valid register set:
      P x (PASSES + 1) + PASSES with P = MAX_PULSES x (MAX_ALTERNATIONS + 1).
    * ``endurance_cmds_max``: 2 x count + 1 with count <= 0x7FFF.
    * ``cell``: cycles per cell: 5 + commands x cmd.
    * ``pre``: cycles from accepting a RUN to its first cell (accept, set check, clear).
    * ``run``: cycles from accepting a RUN to the end of its response handshake.
    """
    limits = {f: hi for f, (_, hi) in FIELD_LIMITS(cfg).items()}
    limits.update(field_max)
    mp, ma, pa = limits[F.MAX_PULSES], limits[F.MAX_ALTERNATIONS], limits[F.PASSES]
    program = mp * (ma + 1) * (pa + 1) + pa
    endurance = 2 * 0x7FFF + 1
    cmd = (l_accept + 1) + (l_response + 1) + 1
    cell = 5 + max(program, endurance, 2) * cmd
    pre = 1 + (WV_SETS + 1) + cfg.write_verify.hist_bins
    cells = cfg.array.rows * cfg.array.cols
    return dict(cmd=cmd, program_cmds_max=program, endurance_cmds_max=endurance, cell=cell,
                pre=pre, cells=cells, run=pre + cells * cell + l_host + 1)


def set_valid(cfg, word):
    """No register-set rule (``hdl.spec.write_verify.set_rules``) is broken by ``word`` (a
    register set, ``hdl.write_verify.set_layout``)."""
    return ~any_of(any_of(rule(word)) for _, rule in set_rules(cfg))


class WriteVerifyProof(Elaboratable):
    """The engine in a free environment, with the observers, properties and invariants.

    Parameters
    ----------
    cfg : ChipConfig
    props : iterable of str
        Property groups to assert (``PROPERTIES``); the invariants are always asserted.
    l_accept, l_response, l_host : int
        Latency bounds assumed of the crossbar (accept, response) and of the host.
    mutant : str or None
        One of ``MUTANTS``: a property made one too strict, for the must-fail check.
    """

    def __init__(self, cfg, props=PROPERTIES, *, l_accept=1, l_response=2, l_host=1,
                 mutant=None):
        for p in props:
            if p not in PROPERTIES:
                raise ValueError(f"props: {p!r} is not one of {', '.join(PROPERTIES)}")
        if mutant is not None and mutant not in MUTANTS:
            raise ValueError(f"mutant = {mutant!r}: choose one of {', '.join(MUTANTS)}")
        for name, v in (("l_accept", l_accept), ("l_response", l_response),
                        ("l_host", l_host)):
            if not isinstance(v, int) or not 0 <= v <= 16:
                raise ValueError(f"{name} = {v!r}: must be an integer in 0..16")
        self.cfg = cfg
        self.props = frozenset(props)
        self.l_accept, self.l_response, self.l_host = l_accept, l_response, l_host
        self.mutant = mutant
        self.bounds = bounds(cfg, l_accept, l_response, l_host)
        self.sync = ClockDomain("sync", reset_less=True)  # its clk is the only port

    def elaborate(self, platform):
        m = Module()
        cfg, a = self.cfg, self.cfg.array
        b = self.bounds
        # No reset: registers start at their initial values, the memories start free.
        m.domains.sync = self.sync

        eng = WriteVerifyEngine(cfg, default_register_sets(cfg).tolist())
        eng._MustUse__silence = True  # used through the Module its elaborate returns
        # Elaborated here so that its internals (formal_view) exist for the invariants.
        m.submodules.engine = eng.elaborate(platform)
        v = eng.formal_view
        fsm = v["fsm"]

        def st(*names):
            r = Const(0)
            for n in names:
                r = r | fsm.ongoing(n)
            return r

        props = self.props
        asserts = []  # (group, condition)

        def check(group, cond):
            # Asserted here, so that a failure names this line.
            asserts.append((group, cond))
            if group == "core" or group in props:
                m.d.comb += Assert(cond, src_loc_at=1)

        # -- free environment ----------------------------------------------------------------
        m.d.comb += [
            eng.cmd.valid.eq(AnySeq(1)),
            eng.cmd.payload.eq(AnySeq(len(eng.cmd.payload.as_value()))),
            eng.resp.ready.eq(AnySeq(1)),
            eng.xbar_cmd.ready.eq(AnySeq(1)),
            eng.xbar_resp.valid.eq(AnySeq(1)),
            eng.xbar_resp.payload.eq(AnySeq(len(eng.xbar_resp.payload.as_value()))),
        ]
        acc_wait = Signal(range(self.l_accept + 1))
        rsp_wait = Signal(range(self.l_response + 1))
        host_wait = Signal(range(self.l_host + 1))
        for sig, valid, ready, limit in (
                (acc_wait, eng.xbar_cmd.valid, eng.xbar_cmd.ready, self.l_accept),
                (rsp_wait, eng.xbar_resp.ready, eng.xbar_resp.valid, self.l_response),
                (host_wait, eng.resp.valid, eng.resp.ready, self.l_host)):
            m.d.sync += sig.eq(Mux(valid & ~ready, sig + 1, 0))
            # The other side answers at the latest after `limit` stalled cycles.
            m.d.comb += Assume(~(valid & ~ready & (sig == limit)))
            check("core", sig <= limit)

        # -- engine internals ----------------------------------------------------------------
        sq, q = v["sq"], v["cmd_q"]
        action, direction = v["action"], v["direction"].as_value()
        pos, reset_v = v["pos"], v["reset_v"]
        alts, ramp_pulses, pulses, passes = v["alts"], v["ramp_pulses"], v["pulses"], v["passes"]
        counter, count_left = v["counter"], v["count_left"]
        row, col, row_end, col_end = v["row"], v["col"], v["row_end"], v["col_end"]
        act_line, act_gate, act_width = v["act_line"], v["act_gate"], v["act_width"]

        def fs(f, width=16):
            return sq[f][:width]

        kind = q.kind
        program = kind == WvRunKind.PROGRAM
        endurance = kind == WvRunKind.ENDURANCE
        pulse_run = kind == WvRunKind.PULSE
        read_map = kind == WvRunKind.READ_MAP
        checked = program | endurance  # runs that use (and check) the register sets
        alg = fs(F.ALGORITHM)
        window = alg == WvAlgorithm.WINDOW
        one_way = (alg == WvAlgorithm.ISPVA) | (alg == WvAlgorithm.IGVVA)
        forming = alg == WvAlgorithm.FORMING
        # Field values, cut to the widths the set check guarantees (MAX_PULSES <= 255, ...).
        # Cut to the widths FIELD_MAX allows (the set check alone would give 8, 8, 4 bits).
        fw = {f: max(1, hi.bit_length()) for f, hi in FIELD_MAX.items()}
        mp = fs(F.MAX_PULSES, fw[F.MAX_PULSES])
        max_alts = fs(F.MAX_ALTERNATIONS, fw[F.MAX_ALTERNATIONS])
        npass = fs(F.PASSES, fw[F.PASSES])
        # Widths the invariants bound the observers to, for the multiplications.
        alts_w = max(1, FIELD_MAX[F.MAX_ALTERNATIONS].bit_length())
        pulses_w = (FIELD_MAX[F.MAX_PULSES] * (FIELD_MAX[F.MAX_ALTERNATIONS] + 1)).bit_length()
        row_w, col_w = max(1, (a.rows - 1).bit_length()), max(1, (a.cols - 1).bit_length())
        alt_bound = Mux(window, max_alts, Mux(forming, 0, 1))
        start = [fs(F.SET_LINE_START), fs(F.SET_GATE_START), fs(F.WIDTH_START)]
        stop = [fs(F.SET_LINE_STOP), fs(F.SET_GATE_STOP), fs(F.WIDTH_STOP)]

        # -- observers on the crossbar port --------------------------------------------------
        xc = eng.xbar_cmd
        fire = xc.valid & xc.ready
        op = xc.payload.op
        is_pulse = (op == CrossbarOp.SET) | (op == CrossbarOp.RESET)
        # Per cell (cleared in Cell-Fetch).
        h_cmds = Signal(24)      # crossbar commands
        h_pulses = Signal(18)    # pulses
        h_ramp = Signal(9)       # pulses of the current ramp (same polarity, consecutive)
        h_last = Signal(2)       # polarity of the last pulse (0: none yet)
        h_alts = Signal(9)       # polarity changes between consecutive pulses
        h_rsp = Signal(5)        # reads since the last pulse
        h_cc = Signal(26)        # cycles since Cell-Fetch
        # Per run.
        h_run = Signal()         # a RUN was accepted and has not finished its handshake
        h_rc = Signal(32)        # cycles since the RUN was accepted
        h_cells = Signal(18)     # cells finished

        new_cell = st("Cell-Fetch")
        cmds_now = Mux(new_cell, 0, h_cmds)
        pulses_now = Mux(new_cell, 0, h_pulses)
        ramp_now = Mux(new_cell, 0, h_ramp)
        last_now = Mux(new_cell, 0, h_last)
        alts_now = Mux(new_cell, 0, h_alts)
        rsp_now = Mux(new_cell, 0, h_rsp)
        cc_now = Mux(new_cell, 0, h_cc)
        m.d.sync += [h_cmds.eq(cmds_now), h_pulses.eq(pulses_now), h_ramp.eq(ramp_now),
                     h_last.eq(last_now), h_alts.eq(alts_now), h_rsp.eq(rsp_now),
                     h_cc.eq(cc_now + 1)]
        with m.If(fire):
            m.d.sync += h_cmds.eq(cmds_now + 1)
            with m.If(is_pulse):
                same = last_now == op
                m.d.sync += [
                    h_pulses.eq(pulses_now + 1),
                    h_ramp.eq(Mux(same, ramp_now + 1, 1)),
                    h_alts.eq(alts_now + ((last_now != 0) & ~same)),
                    h_last.eq(op),
                    h_rsp.eq(0),
                ]
            with m.Else():
                m.d.sync += h_rsp.eq(rsp_now + 1)

        run_accept = eng.cmd.valid & eng.cmd.ready & (eng.cmd.payload.op == WvOp.RUN)
        resp_done = eng.resp.valid & eng.resp.ready
        m.d.sync += h_rc.eq(h_rc + 1)
        with m.If(st("Cell-Hist")):
            m.d.sync += h_cells.eq(h_cells + 1)
        with m.If(resp_done):
            m.d.sync += h_run.eq(0)
        with m.If(run_accept):
            m.d.sync += [h_run.eq(1), h_rc.eq(1), h_cells.eq(0)]

        # -- core invariants: FSM, command, memory -------------------------------------------
        check("core", st(*ALL_STATES))
        in_run = st(*RUN_STATES)
        check("core", h_run == (in_run | (st("Respond") & (q.op == WvOp.RUN))))
        check("core", ~in_run | (q.op == WvOp.RUN))
        # The accepted RUN passed the engine's command check (a refused one answers at once).
        region_ok = ((q.nrows != 0) & (q.ncols != 0) & (q.row0 + q.nrows <= a.rows)
                     & (q.col0 + q.ncols <= a.cols))
        count_ok = (q.count != 0) & (q.count <= 0x7FFF)
        volt_ok = ((q.v_line <= a.v_max) & (q.v_gate <= a.v_max) & (q.width != 0)
                   & (q.width <= a.pulse_width_max))
        read_ok = q.v_read <= a.v_read_max
        check("core", ~in_run | (region_ok & (~endurance | count_ok) & (~pulse_run | volt_ok)
                                 & (~(pulse_run | read_map) | read_ok)))
        check("core", ~st("Check-Sets") | (checked & (counter <= WV_SETS)))
        # A set check presents set k, and sees set k - 1's word; no write happens in a run.

        check("core", ~st("Clear") | (counter <= cfg.write_verify.hist_bins - 1))
        check("core", ~st("Check-Sets", "Clear")
              | ((h_cells == 0) & (row == q.row0) & (col == q.col0)))

        # Register-set memory: every word is valid while a checked run is past its check.
        mem_words = [v["sets_mem"].read_port(domain="comb") for _ in range(WV_SETS)]
        for s, port in enumerate(mem_words):
            m.d.comb += port.addr.eq(s)
            ok = set_valid(cfg, port.data)
            past_check = in_run & checked & ~st("Check-Sets")
            check("core", ~past_check | ok)
            # Assumed ranges of the fields that enter multiplications (FIELD_MAX).
            for f, hi in FIELD_MAX.items():
                m.d.comb += Assume(port.data[f] <= hi)
            # During the check: sets below the one being checked are valid unless one failed.
            check("core", ~(st("Check-Sets") & ~v["bad_found"] & (s + 1 < counter)) | ok)
        check("core", ~(in_run & ~st("Check-Sets")) | ~v["bad_found"])
        words = Array(port.data.as_value() for port in mem_words)
        sets_data = v["sets_rd"].data
        check("core", ~(st("Check-Sets") & (counter != 0))
              | (sets_data.as_value() == words[counter - 1]))
        def in_range(word):
            r = Const(1)
            for f, hi in FIELD_MAX.items():
                r = r & (word[f] <= hi)
            return r

        check("core", ~(st("Cell-Init") & checked) | (set_valid(cfg, sets_data)
                                                      & in_range(sets_data)))
        # The set of the current cell.
        cell_has_set = st("Issue", "Wait", "Decide", "Cell-Store", "Cell-Hist") & checked
        check("core", ~cell_has_set | (set_valid(cfg, sq) & in_range(sq)))

        # Region walk: row/col inside the region, cells finished = cells before (row, col).
        check("core", ~in_run | ((row_end == q.row0 + q.nrows) & (col_end == q.col0 + q.ncols)))
        in_cells = st(*CELL_STATES)
        check("core", ~in_cells | ((row >= q.row0) & (row < row_end) & (col >= q.col0)
                                   & (col < col_end)))
        n_region = q.nrows[:row_w + 1] * q.ncols[:col_w + 1]
        check("core", ~in_cells | (h_cells == (row - q.row0)[:row_w] * q.ncols[:col_w + 1]
                                   + (col - q.col0)))
        check("core", ~(st("Respond") & h_run) | (h_cells <= n_region))

        # -- core invariants: one cell's command sequence ------------------------------------
        in_cmd = st(*CMD_STATES)
        check("core", ~st("Cell-Load", "Cell-Init")
              | ((h_cmds == 0) & (h_pulses == 0) & (h_ramp == 0) & (h_last == 0)
                 & (h_alts == 0) & (h_rsp == 0)))
        issue = st("Issue")
        handed = st("Wait", "Decide")        # the command was accepted, not yet decided
        a_read = action == CrossbarOp.READ
        a_set = action == CrossbarOp.SET
        a_reset = action == CrossbarOp.RESET
        a_pulse = a_set | a_reset
        check("core", ~in_cmd | (action <= CrossbarOp.RESET))
        check("core", ~in_cmd | a_pulse | ((act_gate == 0) & (act_width == 1)))
        check("core", ~(in_cmd & a_read & checked) | (act_line == fs(F.VERIFY_V)))
        check("core", ~(in_cmd & a_read & (pulse_run | read_map)) | (act_line == q.v_read))
        check("core", ~(in_cmd & a_pulse & pulse_run)
              | ((act_line == q.v_line) & (act_gate == q.v_gate) & (act_width == q.width)
                 & (action == Mux(q.polarity, CrossbarOp.RESET, CrossbarOp.SET))))
        check("core", ~(in_cmd & read_map) | a_read)
        # Commands of PULSE / READ_MAP cells: (pulse,) read.
        check("core", ~(in_cmd & pulse_run) | (h_cmds == Mux(a_pulse, 0, 1) + handed))
        check("core", ~(in_cmd & read_map) | (h_cmds == handed))
        check("core", ~(st("Cell-Store", "Cell-Hist") & (pulse_run | read_map)) | (h_cmds <= 2))
        # ENDURANCE: count x (SET at the SET stop, RESET at the RESET stop), then one read.
        done_pairs = q.count - count_left
        check("core", ~(in_cmd & endurance) | (count_left <= q.count))
        check("core", ~(in_cmd & endurance & a_pulse) | (count_left != 0))
        check("core", ~(in_cmd & endurance & a_read) | (count_left == 0))
        check("core", ~(in_cmd & endurance)
              | (h_cmds == 2 * done_pairs + a_reset + handed))
        check("core", ~(in_cmd & endurance & a_set)
              | ((act_line == fs(F.SET_LINE_STOP)) & (act_gate == fs(F.SET_GATE_START))
                 & (act_width == fs(F.WIDTH_START))))
        check("core", ~(in_cmd & endurance & a_reset)
              | ((act_line == fs(F.RESET_LINE_STOP)) & (act_gate == fs(F.RESET_GATE))
                 & (act_width == fs(F.WIDTH_START))))
        check("core", ~(st("Cell-Store", "Cell-Hist") & endurance)
              | (h_cmds == 2 * q.count + 1))

        # PROGRAM: the ramps.
        pc = in_cmd & program
        check("core", ~pc | (direction <= RESET))
        check("core", ~(pc & a_set) | ((direction == SET) & (act_line == pos[0])
                                       & (act_gate == pos[1]) & (act_width == pos[2])))
        check("core", ~(pc & a_reset) | ((direction == RESET) & (act_line == reset_v)
                                         & (act_gate == fs(F.RESET_GATE))
                                         & (act_width == fs(F.WIDTH_START))))
        for d in range(3):
            check("core", ~(pc & (direction == SET))
                  | ((pos[d] >= start[d]) & (pos[d] <= stop[d])))
        check("core", ~(pc & (direction == RESET))
              | ((reset_v >= fs(F.RESET_LINE_START)) & (reset_v <= fs(F.RESET_LINE_STOP))))
        # Observer vs. engine counters. `counted`: a pulse accepted but not yet decided.
        counted = handed & a_pulse
        dir_op = Mux(direction == SET, CrossbarOp.SET,
                     Mux(direction == RESET, CrossbarOp.RESET, 0))
        synced = h_last == dir_op
        # A switch is pending from the decision to the new ramp's first pulse.
        pending = issue & a_pulse & ~synced
        check("core", ~pc | (h_pulses == pulses + counted))
        check("core", ~pc | synced | pending)
        check("core", ~(pc & synced) | ((h_ramp == ramp_pulses + counted) & (h_alts == alts)))
        check("core", ~(pc & pending)
              | ((ramp_pulses == 0) & (alts == h_alts + (h_last != 0))))
        check("core", ~(pc & (h_last == 0)) | ((h_pulses == 0) & (h_ramp == 0) & (h_alts == 0)))
        check("core", ~(pc & (h_last != 0)) | (h_ramp >= 1))
        check("core", ~(pc & a_pulse) | (ramp_pulses < mp))
        check("core", ~pc | ((h_ramp <= mp) & (h_alts <= alt_bound) & (alts <= alt_bound)))
        check("core", ~pc | (ramp_pulses <= mp))
        check("core", ~(pc & window) | (alts <= max_alts))
        check("core", ~(pc & one_way) | ((alts <= 1) & ((alts == 0) | (direction == SET))))
        check("core", ~(pc & forming) | ((alts == 0) & (direction != RESET)))
        check("core", ~(pc & (h_last != 0)) | (h_pulses <= mp * h_alts[:alts_w] + h_ramp))
        # Reads since the last pulse: the passes counted so far (+ the read in flight).
        check("core", ~(pc & a_read) | (passes < npass))
        check("core", ~(pc & a_read) | (h_rsp == passes + handed))
        check("core", ~(pc & a_pulse) | (passes == 0))
        check("core", ~(pc & counted) | (h_rsp == 0))
        check("core", ~(pc | (st("Cell-Store", "Cell-Hist") & program)) | (h_rsp <= npass))
        check("core", ~(pc | (st("Cell-Store", "Cell-Hist") & program))
              | (h_cmds <= h_pulses[:pulses_w] * (npass + 1) + h_rsp))
        check("core", ~(st("Cell-Store", "Cell-Hist") & program) | (h_ramp <= mp))
        check("core", ~(st("Cell-Store", "Cell-Hist") & program) | (h_alts <= alt_bound))
        check("core", ~(st("Cell-Store", "Cell-Hist") & program)
              | ((h_last == 0) | (h_pulses <= mp * h_alts[:alts_w] + h_ramp)))

        # -- property 1: termination ---------------------------------------------------------
        # Cycle accounting within a cell: <= 3 + commands x cmd (+ the current command).
        k = b["cmd"]
        check("p1", ~st("Cell-Load") | (h_cc == 1))
        check("p1", ~st("Cell-Init") | (h_cc == 2))
        check("p1", ~issue | (h_cc <= 3 + h_cmds * k + acc_wait))
        check("p1", ~st("Wait") | ((h_cmds >= 1) & (h_cc + k <= 3 + h_cmds * k
                                                         + self.l_accept + 1 + rsp_wait)))
        check("p1", ~st("Decide") | ((h_cmds >= 1) & (h_cc + 1 <= 3 + h_cmds * k)))
        check("p1", ~st("Cell-Store") | (h_cc <= 3 + h_cmds * k))
        check("p1", ~st("Cell-Hist") | (h_cc <= 4 + h_cmds * k))
        check("p1", ~(in_cmd | st("Cell-Store", "Cell-Hist")) | (h_cmds >= 1) | issue)
        # Cycle accounting within a run.
        chk_cycles = Mux(checked, WV_SETS + 1, 0)
        check("p1", ~st("Check-Sets") | (h_rc == 1 + counter))
        check("p1", ~st("Clear") | (h_rc == 1 + chk_cycles + counter))
        check("p1", ~in_cells | (h_rc <= b["pre"] + h_cells * b["cell"] + cc_now))
        check("p1", ~(st("Respond") & h_run)
              | (h_rc <= b["pre"] + h_cells * b["cell"] + host_wait))

        passes_max = npass
        program_cmds = (mp * (alt_bound + 1)) * (passes_max + 1) + passes_max
        cell_cmds = Mux(program, program_cmds,
                        Mux(endurance, 2 * q.count[:15] + 1, 2))
        cell_bound = 5 + cell_cmds * k
        # Cycles of this cell so far, counting the current one.
        check("p1", ~in_cells | (cc_now + 1 <= cell_bound))
        cell_known = st("Issue", "Wait", "Decide", "Cell-Store", "Cell-Hist")
        check("p1", ~cell_known | (cell_bound <= b["cell"]))
        check("p1", ~h_run | (h_rc + 1 <= b["run"]))

        # -- property 2: voltages and widths -------------------------------------------------
        pay = xc.payload
        p_set = xc.valid & (op == CrossbarOp.SET)
        p_reset = xc.valid & (op == CrossbarOp.RESET)
        p_read = xc.valid & (op == CrossbarOp.READ)
        by_set = in_run & checked
        vals = [pay.v_line, pay.v_gate, pay.width]
        stop_cut = 1 if self.mutant == "set_stop_off_by_one" else 0
        for d in range(3):
            check("p2", ~(p_set & by_set)
                  | ((vals[d] >= start[d]) & (vals[d] + stop_cut <= stop[d])))
        check("p2", ~(p_reset & by_set) | ((pay.v_line >= fs(F.RESET_LINE_START))
                                           & (pay.v_line <= fs(F.RESET_LINE_STOP))))
        check("p2", ~(xc.valid & (p_set | p_reset))
              | ((pay.v_line <= a.v_max) & (pay.v_gate <= a.v_max) & (pay.width >= 1)
                 & (pay.width <= a.pulse_width_max)))
        check("p2", ~p_read | (pay.v_line <= a.v_read_max))
        check("p2", ~xc.valid | p_set | p_reset | p_read)

        # -- property 3: pulses per ramp -----------------------------------------------------
        ramp_limit = mp - (1 if self.mutant == "ramp_off_by_one" else 0)
        check("p3", ~(in_cells & program & ~new_cell) | (h_ramp <= ramp_limit))

        # -- property 4: pulses per cell -----------------------------------------------------
        check("p4", ~(in_cells & program & ~new_cell) | (h_alts <= alt_bound))
        check("p4", ~(in_cells & program & ~new_cell) | (h_pulses <= mp * (h_alts[:alts_w] + 1)))
        check("p4", ~(in_cells & program & ~new_cell & forming) | (h_last != CrossbarOp.RESET))

        # -- covers: each property's limit is reached ----------------------------------------
        covers = {
            # A PROGRAM run of more than one cell answers, after a cell with two ramps.
            "p1": resp_done & h_run & program & (h_cells >= 2),
            # A SET pulse at every stop value with a ramp that moved, and a RESET at its stop.
            "p2": (p_set & by_set & program & (pay.v_line == stop[0]) & (stop[0] > start[0])
                   & (pay.width == stop[2]) & (stop[2] > start[2])),
            "p2_reset": (p_reset & by_set & program & (pay.v_line == fs(F.RESET_LINE_STOP))
                         & (fs(F.RESET_LINE_STOP) > fs(F.RESET_LINE_START))),
            # A ramp of exactly MAX_PULSES pulses, MAX_PULSES >= 2.
            "p3": in_cells & program & (h_ramp == mp) & (mp >= 2),
            # A WINDOW cell at MAX_ALTERNATIONS >= 2 alternations with full ramps.
            "p4": (st("Cell-Store") & program & window & (h_alts == max_alts) & (max_alts >= 2)
                   & (h_pulses == mp * (h_alts[:alts_w] + 1)) & (mp >= 2)),
        }
        self.cover_names = []
        for name, cond in covers.items():
            if name.split("_")[0] in props:
                m.d.comb += Cover(cond)
                self.cover_names.append(name)
        return m
