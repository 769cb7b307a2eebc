"""Gateware shared by the blocks: layouts from the spec's field lists, the command skeleton,
the packet-head sender and the node-coordinate tables.

Every block that takes commands on a stream and answers each on another (crossbar,
write-verify engine, tile) opens its state machine with :func:`command_idle` and closes it
with :func:`respond_state`; every block that sends packets offers their heads with
:func:`send_head` and their words with :func:`send_word`.
"""

import enum
from contextlib import contextmanager

from amaranth.hdl import Array, Const, Mux, Signal, Value, ValueCastable, unsigned
from amaranth.lib import data

from hdl.spec.rules import any_of

__all__ = [
    "layout",
    "any_of",
    "refusal",
    "command_idle",
    "respond_state",
    "send_head",
    "send_word",
    "node_coordinates",
    "first_match_code",
    "check_index",
]


def layout(fields):
    """A ``StructLayout`` from a spec field list ``[(name, width | enum | layout)]``.

    An ``int`` is an unsigned width; an enum class is its own shape (so the field reads as
    the enum in waveforms and has exactly the enum's width); anything else is a shape.
    """
    def shape(s):
        if isinstance(s, int):
            return unsigned(s)
        if isinstance(s, type) and issubclass(s, enum.Enum):
            return s
        return s
    return data.StructLayout({name: shape(s) for name, s in fields})


def refusal(m, rules, payload):
    """A 1-bit signal: the command on ``payload`` is refused by its op's rule in ``rules``
    (``{op: rule}`` from the spec, see ``hdl.spec.rules``); an op with no rule is refused."""
    refused = Signal()
    with m.Switch(payload.op):
        for op, rule in rules.items():
            with m.Case(op):
                m.d.comb += refused.eq(any_of(rule(payload)))
        with m.Default():
            m.d.comb += refused.eq(1)
    return refused


@contextmanager
def command_idle(m, cmd, *, latch, refused, on_refuse=()):
    """The ``Idle`` state of a command block; the body of the ``with`` runs for an accepted
    command, in the cycle it is taken, and sets ``m.next``.

    Idle is ready for a command; when one comes, ``latch`` (sync statements) runs for every
    command, and a refused one (``refused`` true) also runs ``on_refuse`` and goes straight
    to ``Respond``. Use inside ``with m.FSM(...)``, as its first state.
    """
    with m.State("Idle"):
        m.d.comb += cmd.ready.eq(1)
        with m.If(cmd.valid):
            m.d.sync += latch
            with m.If(refused):
                m.d.sync += list(on_refuse)
                m.next = "Respond"
            with m.Else():
                yield


def respond_state(m, resp, name="Respond", then="Idle"):
    """The state that offers the response (whose payload the block drives) until taken."""
    with m.State(name):
        m.d.comb += resp.valid.eq(1)
        with m.If(resp.ready):
            m.next = then


def send_head(m, header, *, dest_x, dest_y, mtype, words, aux=None):
    """Offer one message header to a packetizer (comb); returns its ``ready`` (taken)."""
    p = header.payload
    m.d.comb += [
        header.valid.eq(1),
        p.dest_x.eq(dest_x),
        p.dest_y.eq(dest_y),
        p.mtype.eq(mtype),
        p.words.eq(words),
    ]
    if aux is not None:
        m.d.comb += p.aux.eq(aux)
    return header.ready


def send_word(m, words, value):
    """Offer one payload word to a packetizer (comb); returns its ``ready`` (taken)."""
    m.d.comb += [words.valid.eq(1), words.payload.eq(value)]
    return words.ready


def node_coordinates(cfg, bits):
    """``(x, y)`` lookup tables indexed by node number, ``bits`` wide."""
    nodes = cfg.mesh_width * cfg.mesh_height
    w = cfg.mesh_width
    return (Array(Const(n % w, bits) for n in range(nodes)),
            Array(Const(n // w, bits) for n in range(nodes)))


def first_match_code(table, payload, default=0):
    """The gateware counterpart of ``hdl.spec.rules.first_match``: the code of the first
    ``(code, rule)`` of ``table`` whose rule holds on ``payload`` (a Mux chain), else
    ``default``."""
    code = default
    for c, rule in reversed(table):
        code = Mux(any_of(rule(payload)), c, code)
    return code



def check_index(name, v, hi, bits):
    """Check a per-instance index parameter (a node, a coordinate): an ``int`` in
    ``0..hi - 1``, or an unsigned Amaranth value of at most ``bits`` bits (an input port of
    a module generated once and instantiated many times, ``hdl/chip.py``: its value is the
    instantiating module's business, only its width is checked here).

    Returns ``v`` (the int, or the value cast to :class:`Value`); raises ``ValueError``
    naming ``name`` otherwise.
    """
    if isinstance(v, (Value, ValueCastable)):
        v = Value.cast(v)
        if v.shape().signed or len(v) > bits:
            raise ValueError(f"{name} = {v!r}: a value must be unsigned and at most {bits} "
                             f"bits wide, not {v.shape()}")
        return v
    if not isinstance(v, int) or not 0 <= v < hi:
        raise ValueError(f"{name} = {v!r}: must be an integer in 0..{hi - 1} or an unsigned "
                         f"value of at most {bits} bits")
    return v
