"""Behavioral crossbar: opcodes, command fields, device-hash fields, latency and refusals.

Pure Python (standard library only). The gateware (``hdl/crossbar.py``) and the golden model
(``sim/crossbar.py``) both read these definitions; ``docs/crossbar.md`` explains them.
"""

import enum

__all__ = [
    "CrossbarOp",
    "DEVICE_STAGES",
    "PURPOSE_STATIC",
    "PURPOSE_EVENT",
    "PURPOSE_RELAX",
    "PURPOSE_MVM_NOISE",
    "MVM_NOISE_PAIRS_PER_HASH",
    "STUCK_CMP",
    "STUCK_LRS",
    "VTH_SET_BELL",
    "VTH_RESET_BELL",
    "GAIN_BELL",
    "C2C_BELL",
    "READ_BELL",
    "COMPLIANCE_BELL",
    "HRS_BELL",
    "RELAX_BELL",
    "command_fields",
    "response_fields",
    "pair_current_bits",
    "mvm_row_groups",
    "mvm_noise_hashes",
    "mvm_noise_max",
    "latency",
    "refusal_rules",
]


class CrossbarOp(enum.IntEnum):
    """Command of the behavioral crossbar (``hdl/crossbar.py``, ``sim/crossbar.py``).

    Opcode 7 does not exist and is answered with an error.
    """

    #: Verify read of one cell at ``v_line``: answers ``I = g * v_line`` (+ read noise).
    READ = 0
    #: SET pulse on one cell: drain (bit line) ``v_line``, gate ``v_gate``, ``width`` cycles.
    SET = 1
    #: RESET pulse on one cell: source line ``v_line``, gate ``v_gate``, ``width`` cycles.
    RESET = 2
    #: One input bit-plane MVM: rows whose ``bits`` are 1 are driven at ``v_read_mvm``.
    MVM = 3
    #: Relax/anneal every cell with strength ``value`` (retention loss, bake).
    RELAX = 4
    #: Back door: set one cell's conductance to ``value`` (stuck cells do not move).
    LOAD = 5
    #: Back door: answer one cell's conductance code, no event.
    PEEK = 6


# -- the counter-based cell hash: input purposes (``x = purpose << 24 | tile << 16 | ...``) ----
#: Device-to-device parameters: keyed with counter 0.
PURPOSE_STATIC = 0
#: Cycle-to-cycle pulse noise and read noise: keyed with the cell's event counter.
PURPOSE_EVENT = 1
#: Relax/anneal spread: keyed with the array's anneal count.
PURPOSE_RELAX = 2
#: MVM read noise: keyed with the array's MVM count; ``col`` is the hash index ``j``, whose
#: four 16-bit bell fields are pairs ``4j .. 4j + 3`` (pair ``p`` at bit ``16 * (p % 4)``).
PURPOSE_MVM_NOISE = 3
MVM_NOISE_PAIRS_PER_HASH = 4

# -- bit fields of the static hash (device-to-device variation) -------------------------------
STUCK_CMP = (0, 14)  # (lsb, width): stuck iff this field < stuck_rate_q14
STUCK_LRS = 14  # stuck at LRS (1) or HRS (0)
VTH_SET_BELL = 16
VTH_RESET_BELL = 32
GAIN_BELL = 48
# -- bit fields of the event hash --------------------------------------------------------------
C2C_BELL = 0
READ_BELL = 16
COMPLIANCE_BELL = 32
HRS_BELL = 48
# -- bit field of the relax hash ---------------------------------------------------------------
RELAX_BELL = 0


def command_fields(cfg):
    """``[(name, width or enum)]`` of the crossbar's command stream, LSB first."""
    a = cfg.array
    return [
        ("op", CrossbarOp),
        ("row", 8),
        ("col", 8),
        ("v_line", a.v_bits),   # V_D (SET), V_S (RESET) or V_read (READ)
        ("v_gate", a.v_bits),
        ("width", 8),           # pulse width in cycles
        ("value", 16),          # LOAD conductance, RELAX strength
        ("bits", a.rows),       # MVM input bit-plane, bit r drives row r
    ]


def response_fields(cfg):
    """``[(name, width)]`` of the crossbar's response stream."""
    a = cfg.array
    return [
        ("error", 1),
        ("value", a.g_bits + a.v_bits),  # READ current (20 nA LSB), PEEK conductance
    ]


def mvm_noise_hashes(cfg):
    """Hashes per MVM for its read noise (``device.mvm_read_noise``; 0 when it is off)."""
    if not cfg.device.mvm_read_noise:
        return 0
    return -(-cfg.array.pairs // MVM_NOISE_PAIRS_PER_HASH)


def mvm_noise_max(cfg):
    """Largest MVM read-noise offset, in conductance codes: ``(-30 * s) >> 4`` negated."""
    return -((-30 * cfg.device.mvm_read_noise) >> 4)


def pair_current_bits(cfg):
    """Width of a signed differential pair current of one MVM plane (20 nA LSB), read noise
    included."""
    a = cfg.array
    return ((a.rows * a.g_max + mvm_noise_max(cfg)) * a.v_read_mvm).bit_length() + 1


def mvm_row_groups(cfg):
    """Row groups an MVM reads, one per cycle: ``ceil(rows / read_rows)``.

    Group ``i`` is rows ``i * read_rows .. (i + 1) * read_rows - 1`` (the last one is short
    when ``read_rows`` does not divide ``rows``); the gateware keeps one group per word of
    its conductance memory.
    """
    a = cfg.array
    return -(-a.rows // a.read_rows)


#: Register stages of the cell's device model (``hdl.crossbar.CellDevice``) after its hashes:
#: the hash-derived spreads, then the overdrive-times-gain products, then the steps (pulse
#: width x product), with the clamps after the last register. Unpipelined, the model was a
#: 47 ns path with three multipliers in series on an ECP5 (21 MHz, ``docs/fpga.md``); every
#: command that uses the model waits for them.
DEVICE_STAGES = 3


def latency(cfg, op, width=1, error=False):
    """Cycles from the cycle a command is accepted to the cycle its response is first valid.

    ``N = cfg.hash_cycles``, ``D =`` :data:`DEVICE_STAGES`. A refused command answers after
    1 cycle.

    ========================  =================================
    command                   cycles
    ========================  =================================
    SET, RESET                ``4 + N + D + width``
    READ with read noise      ``4 + N + D``
    READ without read noise   ``4``
    LOAD                      ``4 + N + D``
    PEEK                      ``3``
    MVM                       ``ceil(rows / read_rows) + 3``
    MVM with MVM read noise   ``max(ceil(rows / read_rows) + 3, N + 1)``
    RELAX                     ``rows * cols * (N + D + 3) + 1``
    ========================  =================================
    """
    n = cfg.hash_cycles + DEVICE_STAGES        # the hashes, then the device model
    a = cfg.array
    if error:
        return 1
    op = CrossbarOp(op)
    if op in (CrossbarOp.SET, CrossbarOp.RESET):
        return 4 + n + width
    if op == CrossbarOp.READ:
        return 4 + n if cfg.device.read_noise else 4
    if op == CrossbarOp.LOAD:
        return 4 + n
    if op == CrossbarOp.PEEK:
        return 3
    if op == CrossbarOp.MVM:
        # Accept, one cycle per row group, one more for the last group's memory read, the
        # scale by v_read_mvm; the response is valid the cycle after. The read-noise hashes
        # start at the accept; the scale waits for them (N cycles) if the rows are faster.
        rows = mvm_row_groups(cfg) + 3
        return max(rows, cfg.hash_cycles + 1) if cfg.device.mvm_read_noise else rows
    if op == CrossbarOp.RELAX:
        return a.rows * a.cols * (n + 3) + 1
    raise AssertionError(op)


def refusal_rules(cfg):
    """``op -> rule``: a command is refused when any condition of its op's rule holds (see
    ``hdl.spec.rules``); an op missing here (7) is always refused.

    A refused command answers ``error = 1`` one cycle after it is accepted and changes
    nothing.
    """
    a = cfg.array

    def outside(c):
        return [c.row >= a.rows, c.col >= a.cols]

    def pulse(c):
        return outside(c) + [c.v_line > a.v_max, c.v_gate > a.v_max, c.width == 0,
                             c.width > a.pulse_width_max]

    return {
        CrossbarOp.READ: lambda c: outside(c) + [c.v_line > a.v_read_max],
        CrossbarOp.SET: pulse,
        CrossbarOp.RESET: pulse,
        CrossbarOp.MVM: lambda c: [],
        CrossbarOp.RELAX: lambda c: [c.value > 255],
        CrossbarOp.LOAD: lambda c: outside(c) + [c.value > a.g_max],
        CrossbarOp.PEEK: outside,
    }
