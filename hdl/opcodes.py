"""Opcodes shared by the gateware and the golden model (pure Python, no Amaranth import).

Amaranth accepts a standard :class:`enum.IntEnum` as a shape, so the same class is the
hardware opcode field and the golden model's command kind.
"""

import enum

__all__ = ["CrossbarOp"]


class CrossbarOp(enum.IntEnum):
    """Command of the behavioral crossbar (``hdl/crossbar.py``, ``sim/crossbar.py``).

    Opcodes 7 and above do not exist and are answered with an error.
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
