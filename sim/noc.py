"""Cycle-level golden model of the network on chip (pure Python + numpy, no Amaranth/cocotb).

It models exactly the registers of ``hdl/noc.py`` (see ``docs/noc.md``): per node an
injection network interface (checker + packet buffer) and a 5-port router with one input
FIFO per port, XY routing, wormhole output locking and round-robin output arbitration. For
any injected traffic and any sink back-pressure pattern it predicts the cycle every flit is
accepted at an inject port and the cycle it leaves an eject port, equal to the RTL.

Cycle ``t`` means: the state after ``t`` rising edges since reset was released; everything
a cycle does is decided from that state and the cycle's inputs (sources presenting flits,
sink ready), and takes effect at the next edge.

Stimulus conventions (the testbench drives the RTL the same way):

* ``sources[n]`` is a list of ``(release_cycle, flit_word)``: node ``n``'s inject port
  presents flit ``j`` from the first cycle ``t >= release_cycle`` after flit ``j - 1`` was
  accepted, and holds it (valid high, payload stable) until the NI accepts it;
* ``sink_ready`` is a boolean array ``[P, nodes]``; node ``n``'s eject port is ready in
  cycle ``t`` iff ``sink_ready[t % P, n]`` (``None``: always ready).
"""

from collections import deque

import numpy as np

from hdl.spec.fields import width_of
from hdl.spec.noc import EAST, LOCAL, NORTH, SOUTH, WEST, FlitKind, head_fields

__all__ = ["NocModel", "xy_route"]


def xy_route(x, y, dest_x, dest_y):
    """Output port of the router at ``(x, y)`` for a head going to ``(dest_x, dest_y)``:
    X first (east/west), then Y (south = increasing y), then local."""
    if dest_x > x:
        return EAST
    if dest_x < x:
        return WEST
    if dest_y > y:
        return SOUTH
    if dest_y < y:
        return NORTH
    return LOCAL


def _rr_table():
    """``RR[start][mask]``: the first input ``i`` in ``start, start+1, ...`` (mod 5) whose bit
    is set in ``mask``; the round-robin pick of the hardware arbiter."""
    table = []
    for start in range(5):
        row = [-1] * 32
        for mask in range(1, 32):
            for k in range(5):
                i = (start + k) % 5
                if mask >> i & 1:
                    row[mask] = i
                    break
        table.append(row)
    return table


_RR = _rr_table()
_NEXT = [(i + 1) % 5 for i in range(5)]


class NocModel:
    """The whole W x H mesh with its injection NIs.

    Parameters
    ----------
    cfg : ChipConfig
    sources : list of list of (int, int)
        Per node, ``(release_cycle, flit_word)`` in injection order.
    sink_ready : numpy.ndarray of bool, shape (P, nodes), optional
        Eject back-pressure pattern, used cyclically; ``None`` = always ready.

    Attributes
    ----------
    cycle : int
        Cycles simulated so far.
    accepted : list of list of int
        Per node, the cycle each source flit was accepted by the inject port.
    ejected : list of (int, int, int)
        ``(cycle, node, flit_word)`` of every flit that left an eject port, in time order
        (nodes in increasing order within a cycle).
    errors : list of int
        Per node, packets dropped by the injection NI (saturating counter).
    """

    def __init__(self, cfg, sources, sink_ready=None):
        self.cfg = cfg
        noc = cfg.noc
        self.W, self.H = cfg.mesh_width, cfg.mesh_height
        self.N = self.W * self.H
        if len(sources) != self.N:
            raise ValueError(f"sources: need one list per node ({self.N}), got {len(sources)}")
        self.depth = noc.fifo_depth
        self.ni_depth = noc.ni_buffer_flits
        self.max_len = noc.max_packet_flits
        self.err_max = (1 << noc.error_counter_bits) - 1
        off, self._len_off = 0, None
        for name, shape in head_fields(cfg):
            if name == "length":
                self._len_off, self._len_mask = off, (1 << width_of(shape)) - 1
            off += width_of(shape)
        if sink_ready is None:
            sink_ready = np.ones((1, self.N), dtype=bool)
        sink_ready = np.asarray(sink_ready, dtype=bool)
        if sink_ready.ndim != 2 or sink_ready.shape[1] != self.N or sink_ready.shape[0] < 1:
            raise ValueError(f"sink_ready: need shape (P, {self.N}), got {sink_ready.shape}")
        self._sink = [tuple(bool(v) for v in row) for row in sink_ready]

        self._src_release = [[int(r) for r, _ in s] for s in sources]
        self._src_word = [[int(w) for _, w in s] for s in sources]
        self._src_idx = [0] * self.N

        # Routers: fifos[r][port] holds (kind, dest_node, word); dest_node is only read from
        # heads. owner[r][o] = input holding output o (-1 = free); rr[r][o] = RR start.
        self.fifos = [[deque() for _ in range(5)] for _ in range(self.N)]
        self.owner = [[-1] * 5 for _ in range(self.N)]
        self.rr = [[0] * 5 for _ in range(self.N)]
        self._route = []
        self._down = []
        for r in range(self.N):
            x, y = r % self.W, r // self.W
            self._route.append([xy_route(x, y, d % self.W, d // self.W) for d in range(self.N)])
            down = [None] * 5
            if y > 0:
                down[NORTH] = self.fifos[r - self.W][SOUTH]
            if x < self.W - 1:
                down[EAST] = self.fifos[r + 1][WEST]
            if y < self.H - 1:
                down[SOUTH] = self.fifos[r + self.W][NORTH]
            if x > 0:
                down[WEST] = self.fifos[r - 1][EAST]
            self._down.append(down)

        # Injection NIs: committed flits (visible to the router), pending flits of the
        # packet being received, and the checker state.
        self.ni_committed = [deque() for _ in range(self.N)]
        self.ni_pending = [[] for _ in range(self.N)]
        self.ni_in_packet = [False] * self.N
        self.ni_bad = [False] * self.N
        self.ni_count = [0] * self.N
        self.ni_length = [0] * self.N
        self.errors = [0] * self.N

        self.cycle = 0
        self.accepted = [[] for _ in range(self.N)]
        self.ejected = []

    # -- queries -------------------------------------------------------------------------------

    def idle(self):
        """Every source flit injected and no flit left anywhere in the network."""
        return (all(i == len(s) for i, s in zip(self._src_idx, self._src_word, strict=True))
                and not any(self.ni_committed) and not any(self.ni_pending)
                and not any(q for fr in self.fifos for q in fr))

    def in_flight(self):
        return (sum(len(q) for q in self.ni_committed) + sum(len(p) for p in self.ni_pending)
                + sum(len(q) for fr in self.fifos for q in fr))

    # -- simulation ----------------------------------------------------------------------------

    def _decode(self, word):
        """(kind, dest_node, word) of a flit word; dest only meaningful for heads."""
        kind = word & 3
        if kind & 1:
            p = word >> 2
            dx, dy = p & 7, (p >> 3) & 7
            return kind, dy * self.W + dx, word
        return kind, -1, word

    def _ni_accept(self, n, word):
        """The injection NI's checker taking one flit (``hdl/noc.py`` NocInjector)."""
        kind = word & 3
        head, tail = kind & 1, kind >> 1
        p = word >> 2
        if not self.ni_in_packet[n]:
            if head:
                length = (p >> self._len_off) & self._len_mask
                dest_ok = (p & 7) < self.W and ((p >> 3) & 7) < self.H
                if tail:
                    bad = not dest_ok or length != 1
                else:
                    bad = not dest_ok or length < 2 or length > self.max_len
                self.ni_length[n] = length
            else:
                bad = True     # a body or tail with no head
            count = 1
        else:
            count = self.ni_count[n] + 1
            length = self.ni_length[n]
            bad = (self.ni_bad[n] or bool(head)
                   or (count != length if tail else count >= length))
        if not bad:
            self.ni_pending[n].append(self._decode(word))
        if tail:
            if bad:
                self.errors[n] = min(self.errors[n] + 1, self.err_max)
            else:
                self.ni_committed[n].extend(self.ni_pending[n])
            self.ni_pending[n] = []
            self.ni_in_packet[n] = False
        else:
            self.ni_in_packet[n] = True
            self.ni_bad[n] = bad
            self.ni_count[n] = count

    def run(self, cycles):
        """Simulate ``cycles`` more cycles."""
        N, D, B = self.N, self.depth, self.ni_depth
        fifos, owner, rr, route, down = self.fifos, self.owner, self.rr, self._route, self._down
        sink, P = self._sink, len(self._sink)
        ni_c, ni_p = self.ni_committed, self.ni_pending
        src_rel, src_word, src_idx = self._src_release, self._src_word, self._src_idx
        accepted, ejected = self.accepted, self.ejected
        RR, NEXT = _RR, _NEXT
        for t in range(self.cycle, self.cycle + cycles):
            ready_row = sink[t % P]
            pops = []
            pushes = []
            # Routers: every decision reads the state at the start of the cycle; pops and
            # pushes are applied after all routers have decided.
            for r in range(N):
                fr = fifos[r]
                q0, q1, q2, q3, q4 = fr
                if not (q0 or q1 or q2 or q3 or q4):
                    continue
                rt = route[r]
                req = [0, 0, 0, 0, 0]
                for i in range(5):
                    q = fr[i]
                    if q:
                        f = q[0]
                        if f[0] & 1:
                            req[rt[f[1]]] |= 1 << i
                own = owner[r]
                for o in range(5):
                    sel = own[o]
                    if sel >= 0:
                        q = fr[sel]
                        if not q:
                            continue
                    else:
                        m = req[o]
                        if not m:
                            continue
                        sel = RR[rr[r][o]][m]
                        own[o] = sel
                        rr[r][o] = NEXT[sel]
                        q = fr[sel]
                    f = q[0]
                    if o == 0:
                        if not ready_row[r]:
                            continue
                        ejected.append((t, r, f[2]))
                    else:
                        dq = down[r][o]
                        if len(dq) >= D:
                            continue
                        pushes.append((dq, f))
                    pops.append(q)
                    if f[0] & 2:
                        own[o] = -1
            # Injection NIs: buffer -> router local FIFO, and source -> checker.
            for n in range(N):
                c = ni_c[n]
                space = len(c) + len(ni_p[n]) < B
                if c and len(fifos[n][0]) < D:
                    pushes.append((fifos[n][0], c.popleft()))
                j = src_idx[n]
                if space and j < len(src_rel[n]) and src_rel[n][j] <= t:
                    self._ni_accept(n, src_word[n][j])
                    accepted[n].append(t)
                    src_idx[n] = j + 1
            for q in pops:
                q.popleft()
            for q, f in pushes:
                q.append(f)
        self.cycle += cycles
        return self

    def run_until_idle(self, limit):
        """Run in steps of 16 cycles until :meth:`idle`; returns the cycles simulated (up to
        15 past the last delivery - the testbench runs the RTL as long, so those cycles
        check that nothing else comes out). Raises ``RuntimeError`` if still busy after
        ``limit`` cycles (deadlock, or a sink that never becomes ready)."""
        while not self.idle():
            if self.cycle >= limit:
                raise RuntimeError(f"NoC not idle after {limit} cycles "
                                   f"({self.in_flight()} flits in flight)")
            self.run(16)
        return self.cycle


    def delivered_packets(self):
        """Every packet that has fully left an eject port, in the order the tails left:
        ``(node, head_cycle, tail_cycle, flit_words)``. The flits of one packet leave an
        eject port back to back (an output stays locked to one packet), so grouping each
        node's ejected flits at tails recovers the packets."""
        current = {}
        packets = []
        for t, node, word in self.ejected:
            start, words = current.setdefault(node, (t, []))
            words.append(word)
            if word & FlitKind.TAIL:
                packets.append((node, start, t, words))
                del current[node]
        return packets
