"""Field lists: the one definition of a packed format.

A format is a list ``[(name, width | enum class)]``, least significant field first. The
gateware turns it into an Amaranth ``StructLayout`` (``hdl.common.layout``: an enum field
has the enum as its shape); the golden model, the driver and the testbenches pack and unpack
integers with :func:`pack` and :func:`unpack`. Both read the same list, so the bit positions
cannot disagree.
"""

import enum

__all__ = ["width_of", "total_width", "pack", "unpack"]


def width_of(shape):
    """Bits of one field: an int is its width; an enum takes its largest value's bits (as an
    Amaranth enum shape does)."""
    if isinstance(shape, type) and issubclass(shape, enum.Enum):
        return max(max(int(m.value) for m in shape).bit_length(), 1)
    return int(shape)


def total_width(fields):
    return sum(width_of(s) for _, s in fields)


def pack(fields, values, what="field"):
    """Integer of ``values`` (a dict or an object with the fields as attributes); a missing
    field is 0. Raises ValueError naming a value that does not fit its field."""
    get = values.get if isinstance(values, dict) else (lambda n, d: getattr(values, n, d))
    if isinstance(values, dict):
        unknown = set(values) - {n for n, _ in fields}
        if unknown:
            raise KeyError(f"no field {sorted(unknown)} in {[n for n, _ in fields]}")
    word, offset = 0, 0
    for name, shape in fields:
        width = width_of(shape)
        v = int(get(name, 0))
        if not 0 <= v < (1 << width):
            raise ValueError(f"{what} {name} = {v} does not fit in {width} bits")
        word |= v << offset
        offset += width
    return word


def unpack(fields, word):
    """``{name: int}`` of a packed integer."""
    out, offset = {}, 0
    for name, shape in fields:
        width = width_of(shape)
        out[name] = (int(word) >> offset) & ((1 << width) - 1)
        offset += width
    return out
