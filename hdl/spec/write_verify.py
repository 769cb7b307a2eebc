"""Write-verify engine: register fields, algorithms, commands and status codes.

Pure Python (no Amaranth): the gateware (``hdl/write_verify.py``) and the golden model
(``sim/write_verify.py``) both use these definitions, and ``docs/write_verify.md`` documents
them. Register sets are ``WV_FIELDS`` 16-bit fields each; the host writes them one field at
a time.

The refusal rules (``access_rules``, ``run_refusals``) and the register-set rules
(``set_rules``) are written once, as functions returning lists of "bad" conditions (see
``hdl.spec.rules``): the golden model evaluates them on ints, the gateware on Amaranth values.
"""

import enum

from hdl.spec.rules import first_match

__all__ = [
    "WvAlgorithm",
    "LoopOrder",
    "WvField",
    "WvOp",
    "WvRunKind",
    "WvError",
    "WV_FIELDS",
    "WV_SETS",
    "CMD_OVERHEAD",
    "CELL_OVERHEAD",
    "CHECK_CYCLES",
    "ACCESS_LATENCY",
    "run_latency_overhead",
    "LOOP_DIMS",
    "FIELD_LIMITS",
    "ORDER_RULES",
    "WvStat",
    "set_rules",
    "check_register_set",
    "access_rules",
    "run_refusals",
    "command_fields",
    "response_fields",
    "result_fields",
]


class WvAlgorithm(enum.IntEnum):
    #: M-ISPVA (Milo et al., Perez et al.): at most one RESET ramp, then at most one SET ramp.
    ISPVA = 0
    #: NeuRRAM window: RESET ramp while above, SET ramp while below, alternating.
    WINDOW = 1
    #: IGVVA (Milo et al., IRPS 2021): like ISPVA, with the SET ramp stepping the gate.
    IGVVA = 2
    #: Forming: SET ramp only (to a higher stop voltage), never RESET.
    FORMING = 3


class LoopOrder(enum.IntEnum):
    """Nesting of the SET ramp's three stepped parameters, innermost (steps first) first."""

    LINE_GATE_WIDTH = 0
    LINE_WIDTH_GATE = 1
    GATE_LINE_WIDTH = 2
    GATE_WIDTH_LINE = 3
    WIDTH_LINE_GATE = 4
    WIDTH_GATE_LINE = 5


#: For each LoopOrder, the dimensions innermost first: 0 = line, 1 = gate, 2 = width.
LOOP_DIMS = {
    LoopOrder.LINE_GATE_WIDTH: (0, 1, 2),
    LoopOrder.LINE_WIDTH_GATE: (0, 2, 1),
    LoopOrder.GATE_LINE_WIDTH: (1, 0, 2),
    LoopOrder.GATE_WIDTH_LINE: (1, 2, 0),
    LoopOrder.WIDTH_LINE_GATE: (2, 0, 1),
    LoopOrder.WIDTH_GATE_LINE: (2, 1, 0),
}


class WvField(enum.IntEnum):
    """Fields of a register set (each 16 bits; voltages in 20 mV codes, currents in 20 nA)."""

    ALGORITHM = 0
    LOOP_ORDER = 1
    SET_LINE_START = 2  # drain (bit line) voltage of SET pulses
    SET_LINE_STEP = 3
    SET_LINE_STOP = 4
    SET_GATE_START = 5  # gate voltage of SET pulses (sets the compliance)
    SET_GATE_STEP = 6
    SET_GATE_STOP = 7
    WIDTH_START = 8  # pulse width in cycles (RESET pulses use WIDTH_START)
    WIDTH_STEP = 9
    WIDTH_STOP = 10
    RESET_LINE_START = 11  # source line voltage of RESET pulses
    RESET_LINE_STEP = 12
    RESET_LINE_STOP = 13
    RESET_GATE = 14
    VERIFY_V = 15  # verify read voltage
    WINDOW_LO = 16  # pass when WINDOW_LO <= I <= WINDOW_HI
    WINDOW_HI = 17
    MAX_PULSES = 18  # per ramp
    MAX_ALTERNATIONS = 19  # SET <-> RESET direction changes (WINDOW only)
    PASSES = 20  # consecutive in-window verify reads required


WV_FIELDS = len(WvField)

#: Register sets per engine (EMBER's controller has 8).
WV_SETS = 8

# -- cycle model (see docs/write_verify.md) -------------------------------------------------------
#: Cycles around every crossbar command: the issue cycle is the crossbar's accept cycle,
#: plus one "decide" cycle after its response.
CMD_OVERHEAD = 2
#: Per cell: fetch target, fetch register set, init; store result, update histogram.
CELL_OVERHEAD = 5
#: Register-set check: one cycle per set plus one.
CHECK_CYCLES = WV_SETS + 1
#: Non-RUN commands answer after 2 cycles; refused commands after 1.
ACCESS_LATENCY = 2


def run_latency_overhead(cfg, kind):
    """Cycles of a RUN that are not spent on cells (accept, set check, histogram clear)."""
    check = CHECK_CYCLES if kind in (WvRunKind.PROGRAM, WvRunKind.ENDURANCE) else 0
    return 1 + check + cfg.write_verify.hist_bins


def FIELD_LIMITS(cfg):
    """``field -> (lo, hi)`` allowed values, before the cross-field rules."""
    a = cfg.array
    v = (0, a.v_max)
    return {
        WvField.ALGORITHM: (0, len(WvAlgorithm) - 1),
        WvField.LOOP_ORDER: (0, len(LoopOrder) - 1),
        WvField.SET_LINE_START: v,
        WvField.SET_LINE_STEP: (1, a.v_max),
        WvField.SET_LINE_STOP: v,
        WvField.SET_GATE_START: v,
        WvField.SET_GATE_STEP: (1, a.v_max),
        WvField.SET_GATE_STOP: v,
        WvField.WIDTH_START: (1, a.pulse_width_max),
        WvField.WIDTH_STEP: (1, a.pulse_width_max),
        WvField.WIDTH_STOP: (1, a.pulse_width_max),
        WvField.RESET_LINE_START: v,
        WvField.RESET_LINE_STEP: (1, a.v_max),
        WvField.RESET_LINE_STOP: v,
        WvField.RESET_GATE: v,
        WvField.VERIFY_V: (0, a.v_read_max),
        WvField.WINDOW_LO: (0, 0xFFFF),
        WvField.WINDOW_HI: (0, 0xFFFF),
        WvField.MAX_PULSES: (1, 255),
        WvField.MAX_ALTERNATIONS: (0, 255),
        WvField.PASSES: (1, 15),
    }


#: Cross-field rules: (field reported, lower-or-equal field, upper field): lo <= hi.
ORDER_RULES = (
    (WvField.SET_LINE_STOP, WvField.SET_LINE_START, WvField.SET_LINE_STOP),
    (WvField.SET_GATE_STOP, WvField.SET_GATE_START, WvField.SET_GATE_STOP),
    (WvField.WIDTH_STOP, WvField.WIDTH_START, WvField.WIDTH_STOP),
    (WvField.RESET_LINE_STOP, WvField.RESET_LINE_START, WvField.RESET_LINE_STOP),
    (WvField.WINDOW_HI, WvField.WINDOW_LO, WvField.WINDOW_HI),
)


def set_rules(cfg):
    """Ordered ``(field, rule)`` pairs of the register-set check: a set breaks the first rule
    whose conditions hold, reported as its field. ``rule(s)`` reads the set's fields as
    ``s[WvField.X]`` (the model: a row of ints; the gateware: an ``ArrayLayout`` view).

    Field limits come first, in field order (a bound every 16-bit value meets is left out),
    then the cross-field ``ORDER_RULES``.
    """
    rules = []
    for f, (lo, hi) in FIELD_LIMITS(cfg).items():
        def limit(s, f=f, lo=lo, hi=hi):
            return ([s[f] < lo] if lo > 0 else []) + ([s[f] > hi] if hi < 0xFFFF else [])
        rules.append((f, limit))
    for f, lo_f, hi_f in ORDER_RULES:
        rules.append((f, lambda s, lo_f=lo_f, hi_f=hi_f: [s[lo_f] > s[hi_f]]))
    return rules


def check_register_set(cfg, s):
    """First broken rule of one register set (``set_rules``) as the field that breaks it, or
    None."""
    return first_match(set_rules(cfg), [int(v) for v in s], default=None)


class WvOp(enum.IntEnum):
    """Host commands of the write-verify unit."""

    WRITE_SET = 0  # set, field, value
    READ_SET = 1  # set, field -> value
    WRITE_TARGET = 2  # addr = cell index (row * cols + col), value = register set
    READ_TARGET = 3  # addr -> value
    RUN = 4  # kind, region, ... -> status when the run ends
    READ_RESULT = 5  # addr -> result word (result_fields): pulses, current, pass
    READ_HIST = 6  # addr = bin -> cells
    READ_FAIL = 7  # addr = index -> cell index
    READ_STAT = 8  # addr (WvStat) -> counter


class WvStat(enum.IntEnum):
    """READ_STAT addresses: the counters of the last run."""

    PULSES = 0  # pulses of the last run (32 bits, wraps)
    FAILURES = 1  # cells that did not pass
    CELLS = 2  # cells of the last run
    LAST_ERROR = 3  # WvError of the last RUN (refused or BAD_SET), NONE after a run
    ERROR_DETAIL = 4  # BAD_SET: set << 8 | field


class WvRunKind(enum.IntEnum):
    PROGRAM = 0  # write-verify every cell of the region to its target's register set
    ENDURANCE = 1  # `count` x (SET, RESET) per cell with set `set`'s stop voltages, then a read
    PULSE = 2  # one pulse per cell: `polarity` (0 SET, 1 RESET), v_line, v_gate, width; a read
    READ_MAP = 3  # one verify read per cell at v_read


class WvError(enum.IntEnum):
    NONE = 0
    BAD_COMMAND = 1  # unknown op or run kind, address out of range
    BAD_REGION = 2  # empty or outside the array
    BAD_SET = 3  # a register set breaks a rule; detail = set << 8 | field
    BAD_VOLTAGE = 4  # PULSE/READ_MAP voltage or width out of range


def command_fields(cfg):
    """``[(name, width | enum)]`` of an engine command, LSB first: the engine's command
    stream (``hdl.write_verify.wv_command_layout``) and the START_PROGRAM body
    (``hdl.spec.host.pack_wv``) both come from this list."""
    vb = cfg.array.v_bits
    return [("op", WvOp), ("set", (WV_SETS - 1).bit_length()), ("field", 5), ("addr", 16),
            ("value", 16), ("kind", WvRunKind), ("row0", 8), ("col0", 8), ("nrows", 9),
            ("ncols", 9), ("count", 16), ("polarity", 1), ("v_line", vb), ("v_gate", vb),
            ("width", 8), ("v_read", vb)]


def response_fields(cfg):
    """``[(name, width | enum)]`` of an engine response."""
    return [("error", WvError), ("value", 40)]


def result_fields(cfg):
    """``[(name, width)]`` of a READ_RESULT word (one cell's last run), LSB first."""
    a = cfg.array
    return [("pulses", 16), ("current", a.g_bits + a.v_bits), ("passed", 1)]


def access_rules(cfg):
    """``op -> rule`` of the host commands other than RUN: a command is refused with
    BAD_COMMAND when a condition of its op's rule holds; an op missing here (and not RUN) is
    always refused."""
    a, w = cfg.array, cfg.write_verify
    cells = a.rows * a.cols

    def set_field(c):
        return [c.set >= WV_SETS, c.field >= WV_FIELDS]

    def cell(c):
        return [c.addr >= cells]

    return {
        WvOp.WRITE_SET: set_field,
        WvOp.READ_SET: set_field,
        WvOp.WRITE_TARGET: lambda c: [c.addr >= cells, c.value >= WV_SETS],
        WvOp.READ_TARGET: cell,
        WvOp.READ_RESULT: cell,
        WvOp.READ_HIST: lambda c: [c.addr >= w.hist_bins],
        WvOp.READ_FAIL: lambda c: [c.addr >= w.fail_list_depth],
        WvOp.READ_STAT: lambda c: [c.addr > max(WvStat)],
    }


def run_refusals(cfg):
    """Ordered ``(WvError, rule)`` pairs of a RUN: the first rule whose conditions hold gives
    the error it is refused with (``hdl.spec.rules.first_match``); none: accepted.

    The command fields ``kind`` and ``polarity`` are exactly as wide as their ranges, so
    those two conditions are constant in the gateware (and written ``>=`` past the range,
    which lint does not flag); they matter to the model, whose commands are plain ints.
    """
    a = cfg.array
    K = WvRunKind

    def region(c):
        return [c.nrows < 1, c.ncols < 1, c.row0 + c.nrows > a.rows, c.col0 + c.ncols > a.cols]

    def endurance(c):
        return [(c.kind == K.ENDURANCE) & ((c.set >= WV_SETS) | (c.count < 1)
                                           | (c.count > 0x7FFF))]

    def pulse(c):
        return [(c.kind == K.PULSE) & ((c.polarity >= 2) | (c.v_line > a.v_max)
                                       | (c.v_gate > a.v_max) | (c.width < 1)
                                       | (c.width > a.pulse_width_max))]

    def v_read(c):
        return [((c.kind == K.PULSE) | (c.kind == K.READ_MAP)) & (c.v_read > a.v_read_max)]

    return [
        (WvError.BAD_COMMAND, lambda c: [c.kind >= len(K)]),
        (WvError.BAD_REGION, region),
        (WvError.BAD_COMMAND, endurance),
        (WvError.BAD_VOLTAGE, pulse),
        (WvError.BAD_VOLTAGE, v_read),
    ]
