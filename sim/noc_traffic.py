"""Traffic patterns for the NoC: per-node injection schedules for ``sim.noc.NocModel`` and the
cocotb testbench (``tb/test_noc.py``), and the scoreboard that checks deliveries.

Every generator takes a ``random.Random`` so one seed reproduces the whole run. A schedule
is, per node, a list of ``(release_cycle, flit_word)``; see ``sim/noc.py`` for how it is
presented. Each generator also returns the list of :class:`Packet` it sent, which the
scoreboard checks against what came out, independently of the golden model.
"""

from dataclasses import dataclass

import numpy as np

from hdl.spec.noc import FlitKind, MsgType, make_flit, make_head, make_packet, node_xy

__all__ = [
    "Packet",
    "uniform_dest",
    "transpose_dest",
    "hotspot_dest",
    "make_schedule",
    "bad_packet",
    "sink_pattern",
    "scoreboard",
]


@dataclass(frozen=True)
class Packet:
    src: int
    dest: int
    flits: tuple
    good: bool = True


def uniform_dest(cfg, rng, src):
    """Any node but the source, uniformly."""
    n = cfg.mesh_width * cfg.mesh_height
    d = rng.randrange(n - 1)
    return d + (d >= src)


def transpose_dest(cfg, rng, src):
    """``(x, y) -> (y, x)`` on square meshes (diagonal nodes send to the mirror corner
    ``(W-1-x, H-1-y)``); on other meshes the mirror for everybody."""
    x, y = node_xy(cfg, src)
    W, H = cfg.mesh_width, cfg.mesh_height
    if W == H and x != y:
        return x * W + y
    return (H - 1 - y) * W + (W - 1 - x)


def hotspot_dest(cfg, rng, src, hotspot=None, fraction=0.5):
    """With probability ``fraction`` the hotspot node (the host by default), else uniform."""
    hot = cfg.host_node if hotspot is None else hotspot
    if src != hot and rng.random() < fraction:
        return hot
    return uniform_dest(cfg, rng, src)


def random_packet(cfg, rng, src, dest, max_flits):
    n_body = rng.randrange(max_flits)
    w = cfg.noc.flit_payload_bits
    body = [rng.getrandbits(w) for _ in range(n_body)]
    mtype = rng.choice(list(MsgType))
    aux_bits = w - 16 - cfg.noc.max_packet_flits.bit_length()
    return Packet(src, dest, tuple(make_packet(cfg, src, dest, mtype, body,
                                               aux=rng.getrandbits(aux_bits))))


def bad_packet(cfg, rng, src):
    """A malformed packet: destination outside the mesh, wrong length field, a body with no
    head, or a head inside a packet; the injection NI must drop it whole."""
    W, H = cfg.mesh_width, cfg.mesh_height
    w = cfg.noc.flit_payload_bits
    sx, sy = node_xy(cfg, src)
    choices = ["short", "long", "stray", "nested"]
    if W < 8 or H < 8:
        choices.append("no_such_node")
    if cfg.noc.max_packet_flits < (1 << cfg.noc.max_packet_flits.bit_length()) - 1:
        choices.append("too_long_field")
    kind = rng.choice(choices)

    def head(dx, dy, length):
        return make_head(cfg, dest_x=dx, dest_y=dy, src_x=sx, src_y=sy,
                         mtype=MsgType.ERROR, length=length)

    dx, dy = rng.randrange(W), rng.randrange(H)
    n = rng.randrange(2, 6)
    body = [make_flit(FlitKind.BODY, rng.getrandbits(w)) for _ in range(n - 2)]
    tail = make_flit(FlitKind.TAIL, rng.getrandbits(w))
    if kind == "no_such_node":
        if W < 8 and (H == 8 or rng.random() < 0.5):
            dx = rng.randrange(W, 8)
        else:
            dy = rng.randrange(H, 8)
        flits = [make_flit(FlitKind.HEAD, head(dx, dy, n))] + body + [tail]
        if rng.random() < 0.3:
            flits = [make_flit(FlitKind.SINGLE, head(dx, dy, 1))]
    elif kind == "short":   # length field says fewer flits than there are
        flits = [make_flit(FlitKind.HEAD, head(dx, dy, rng.randrange(0, n)))] + body + [tail]
    elif kind == "long":    # length field says more flits than there are
        flits = [make_flit(FlitKind.HEAD, head(dx, dy, n + rng.randrange(1, 4)))] + body + [tail]
        if rng.random() < 0.3:
            flits = [make_flit(FlitKind.SINGLE, head(dx, dy, rng.randrange(2, 5)))]
    elif kind == "stray":   # body flits and a tail with no head
        flits = body + [tail]
    elif kind == "nested":  # a head or single flit inside a packet (length field right)
        inner = make_flit(rng.choice([FlitKind.HEAD, FlitKind.SINGLE]), head(dx, dy, 1))
        cut = rng.randrange(len(body) + 1)
        if inner & 2:       # a single ends the packet: the flits after it start a new one
            body, tail = body[:cut], None
        flits = body[:cut] + [inner] + body[cut:]
        flits = [make_flit(FlitKind.HEAD, head(dx, dy, len(flits) + 2 - (tail is None)))] \
            + flits + ([tail] if tail is not None else [])
    else:                   # length field and flit count agree, but above max_packet_flits
        n = cfg.noc.max_packet_flits + 1
        body = [make_flit(FlitKind.BODY, rng.getrandbits(w)) for _ in range(n - 2)]
        flits = [make_flit(FlitKind.HEAD, head(dx, dy, n))] + body + [tail]
    return Packet(src, -1, tuple(flits), good=False)


def make_schedule(cfg, rng, dest_fn, packets_per_node, rate, max_flits=6, bad_fraction=0.0,
                  gap_fraction=0.0, start=0):
    """Per-node injection schedule.

    Parameters
    ----------
    dest_fn : callable (cfg, rng, src) -> dest
    packets_per_node : int
    rate : float
        Offered load in flits per node per cycle (packets are released at the average
        rate that gives it; ``>= 1`` releases everything at ``start``: saturation).
    max_flits : int
        Packets are 1..max_flits flits long, uniformly.
    bad_fraction : float
        Fraction of malformed packets mixed in (see :func:`bad_packet`).
    gap_fraction : float
        Probability that a flit is released a few cycles after its predecessor's release
        (valid gaps inside a packet).

    Returns
    -------
    sources : list of list of (int, int)
    packets : list of Packet
    """
    n = cfg.mesh_width * cfg.mesh_height
    sources = [[] for _ in range(n)]
    packets = []
    mean_flits = (1 + max_flits) / 2
    for src in range(n):
        t = float(start)
        for _ in range(packets_per_node):
            if bad_fraction and rng.random() < bad_fraction:
                pkt = bad_packet(cfg, rng, src)
            else:
                pkt = random_packet(cfg, rng, src, dest_fn(cfg, rng, src), max_flits)
            packets.append(pkt)
            rel = int(t)
            for word in pkt.flits:
                if gap_fraction and rng.random() < gap_fraction:
                    rel += rng.randrange(1, 4)
                sources[src].append((rel, word))
            if rate < 1:
                t += rng.expovariate(rate / mean_flits)
    return sources, packets


def sink_pattern(cfg, rng, p_ready, period=251):
    """Eject back-pressure: ``[period, nodes]`` booleans, each ready with ``p_ready``."""
    n = cfg.mesh_width * cfg.mesh_height
    return np.array([[rng.random() < p_ready for _ in range(n)] for _ in range(period)],
                    dtype=bool)


def scoreboard(cfg, packets, ejected, complete=True):
    """Check delivered flits against the sent packets, without the golden model.

    Every good packet arrives exactly once, intact, at its destination, in order per
    (source, destination) pair, and its flits leave the eject port back to back (no other
    packet interleaved). Bad packets never arrive. With ``complete=False`` (a run stopped
    before draining) deliveries must be a prefix of each pair's sequence. Returns the
    number of packets delivered; raises ``AssertionError`` naming the first difference.
    """
    n = cfg.mesh_width * cfg.mesh_height
    expected = {}
    for p in packets:
        if p.good:
            expected.setdefault((p.src, p.dest), []).append(p.flits)
    per_node = [[] for _ in range(n)]
    for _, node, word in ejected:
        per_node[node].append(word)
    got = {}
    for node, words in enumerate(per_node):
        cur = []
        for w in words:
            kind = w & 3
            if not cur:
                assert kind & 1, f"node {node}: flit {w:#x} arrived outside any packet"
            else:
                assert not kind & 1, f"node {node}: head {w:#x} inside another packet"
            cur.append(w)
            if kind & 2:
                payload = cur[0] >> 2
                sx, sy = payload >> 6 & 7, payload >> 9 & 7
                src = sy * cfg.mesh_width + sx
                got.setdefault((src, node), []).append(tuple(cur))
                cur = []
        assert complete is False or not cur, f"node {node}: unfinished packet {cur}"
    delivered = 0
    for pair, seq in got.items():
        want = expected.get(pair, [])
        assert len(seq) <= len(want), (
            f"{pair}: {len(seq)} packets arrived, {len(want)} were sent (duplicate or stray)")
        for k, (a, b) in enumerate(zip(seq, want, strict=False)):
            assert a == b, f"{pair}: packet #{k} differs or out of order: {a} != {b}"
        delivered += len(seq)
    if complete:
        for pair, want in expected.items():
            have = len(got.get(pair, []))
            assert have == len(want), f"{pair}: {have} of {len(want)} packets arrived"
    return delivered
