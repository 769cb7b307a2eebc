"""Flit and packet format of the network on chip, defined once (pure Python, no Amaranth).

The gateware (``hdl/noc.py``) builds its Amaranth layouts from the field lists here; the
golden model (``sim/noc.py``) and the testbenches pack and unpack flits with the functions
here. See ``docs/noc.md`` for the picture.

A flit is ``kind`` (2 bits, :class:`FlitKind`) in bits ``[1:0]`` and a payload of
``cfg.noc.flit_payload_bits`` bits above it. The payload of a head (or single) flit is the
packet header, least significant field first:

======== ============================ ==========================================
field    width                        meaning
======== ============================ ==========================================
dest_x   3                            destination column (0 = west edge)
dest_y   3                            destination row (0 = north edge)
src_x    3                            source column
src_y    3                            source row
mtype    4                            :class:`MsgType`
length   ``max_packet_flits.bit_length()`` packet length in flits, head included
aux      the rest of the payload      message-specific (address, tag, ...)
======== ============================ ==========================================

Node ``n`` sits at ``x = n % mesh_width``, ``y = n // mesh_width``.
"""

import enum

from hdl.spec.fields import pack, total_width, unpack, width_of

__all__ = [
    "LOCAL",
    "NORTH",
    "EAST",
    "SOUTH",
    "WEST",
    "FlitKind",
    "MsgType",
    "COORD_BITS",
    "KIND_BITS",
    "flit_fields",
    "head_fields",
    "make_flit",
    "make_head",
    "parse_head",
    "make_packet",
    "node_xy",
]

#: Router ports: the local (tile or host) port and the four mesh directions.
LOCAL, NORTH, EAST, SOUTH, WEST = range(5)

#: Bits of one mesh coordinate (meshes up to 8 x 8).
COORD_BITS = 3
#: Bits of the flit kind.
KIND_BITS = 2
#: Bits of the message type.
MTYPE_BITS = 4


class FlitKind(enum.IntEnum):
    """Position of a flit in its packet. Bit 0 = "starts a packet", bit 1 = "ends a packet"."""

    BODY = 0
    HEAD = 1
    TAIL = 2
    #: A one-flit packet: head and tail at once.
    SINGLE = 3


class MsgType(enum.IntEnum):
    """Message type carried in the head. Requests get (at most) one response each."""

    CSR_READ = 0         #: request: read a tile CSR (aux = address); answered by CSR_DATA
    CSR_WRITE = 1        #: request: write a tile CSR (aux = address, one body word)
    BUF_READ = 2         #: request: read a tile buffer (aux = address); answered by BUF_DATA
    BUF_WRITE = 3        #: request: write words into a tile buffer (aux = address)
    START_MVM = 4        #: request: run the layer descriptor's MVM
    START_PROGRAM = 5    #: request: program the weight-target buffer into the array
    DONE = 6             #: response/notification: an operation finished
    ERROR = 7            #: response/notification: refused command, bad address or length
    ACTIVATIONS = 8      #: data: activations for a tile's input buffer (aux = offset)
    PARTIAL_SUMS = 9     #: data: partial sums to accumulate (aux = offset)
    CSR_DATA = 10        #: response to CSR_READ
    BUF_DATA = 11        #: response to BUF_READ


def _noc(cfg):
    return getattr(cfg, "noc", cfg)


def length_bits(cfg):
    """Width of the head's length field."""
    return _noc(cfg).max_packet_flits.bit_length()


def flit_fields(cfg):
    """``[(name, width | enum)]`` of a flit, least significant first."""
    return [("kind", FlitKind), ("payload", _noc(cfg).flit_payload_bits)]


def head_fields(cfg):
    """``[(name, width | enum)]`` of a head flit's payload, least significant first."""
    fields = [
        ("dest_x", COORD_BITS),
        ("dest_y", COORD_BITS),
        ("src_x", COORD_BITS),
        ("src_y", COORD_BITS),
        ("mtype", MsgType),
        ("length", length_bits(cfg)),
    ]
    used = total_width(fields)
    fields.append(("aux", _noc(cfg).flit_payload_bits - used))
    return fields


def make_flit(kind, payload):
    """Integer of one flit (the Amaranth flit layout's bit pattern)."""
    return int(kind) | (int(payload) << KIND_BITS)


def make_head(cfg, *, dest_x, dest_y, src_x, src_y, mtype, length, aux=0):
    """Payload (not the flit) of a head: pack the header fields."""
    return pack(head_fields(cfg), dict(dest_x=dest_x, dest_y=dest_y, src_x=src_x, src_y=src_y,
                                        mtype=mtype, length=length, aux=aux))


def parse_head(cfg, payload):
    """Header fields of a head flit's payload, as a dict."""
    return unpack(head_fields(cfg), payload)


def node_xy(cfg, node):
    return node % cfg.mesh_width, node // cfg.mesh_width



def make_packet(cfg, src, dest, mtype, body, aux=0):
    """Flit words of a well-formed packet from node ``src`` to node ``dest``.

    ``body`` is the list of body payload words (may be empty: a single-flit packet).
    """
    sx, sy = node_xy(cfg, src)
    dx, dy = node_xy(cfg, dest)
    length = 1 + len(body)
    head = make_head(cfg, dest_x=dx, dest_y=dy, src_x=sx, src_y=sy, mtype=mtype,
                     length=length, aux=aux)
    if not body:
        return [make_flit(FlitKind.SINGLE, head)]
    flits = [make_flit(FlitKind.HEAD, head)]
    flits += [make_flit(FlitKind.BODY, w) for w in body[:-1]]
    flits.append(make_flit(FlitKind.TAIL, body[-1]))
    return flits


assert width_of(FlitKind) == KIND_BITS and width_of(MsgType) == MTYPE_BITS
