"""Helpers for rules written once and evaluated on Python ints or Amaranth values.

A refusal rule is a function of a command that returns a list of "bad" conditions. The golden
model calls it with a dataclass of ints and gets Python bools; the gateware calls it with a
stream payload (an Amaranth view) and gets 1-bit values. Rules therefore use only ``==``,
``!=``, ``<``, ``<=``, ``>``, ``>=``, ``+``, ``-``, ``&`` and ``|`` (never ``not``, ``and``,
``or`` or ``~``, which mean different things on the two kinds of operand).
"""

__all__ = ["any_of", "first_match"]


def any_of(conditions):
    """OR of ``conditions`` (Python bools or Amaranth values); ``False`` when empty."""
    out = False
    for c in conditions:
        out = out | c
    return out


def first_match(table, cmd, default=0):
    """Python only: the code of the first ``(code, rule)`` in ``table`` whose rule holds."""
    for code, rule in table:
        if any_of(rule(cmd)):
            return code
    return default
