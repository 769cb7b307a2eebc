"""Network on chip: 2-D mesh of 5-port wormhole routers with XY routing (DESIGN section 7).

Blocks (``docs/noc.md`` has the timing and the deadlock-freedom argument):

* :class:`FlitFifo` - a router input FIFO; ``w.ready`` is "not full" (a register), never
  "not full or being read", so no combinational path runs from one router to the next.
* :class:`NocRouter` - 5 input FIFOs, XY route computation on head flits, per output a
  wormhole lock (held from the cycle a head wins arbitration until its tail leaves) and a
  round-robin arbiter.
* :class:`NocInjector` - the injection network interface: checks every packet (destination
  inside the mesh, length field equal to the flit count, head/tail framing) and holds it in
  a packet buffer until its tail has been checked; a bad packet is dropped whole and counted.
* :class:`NocMesh` - W x H routers and injectors; each node's inject/eject flit streams are
  ports (the tiles and the host attach there).
* :class:`NocPacketizer` / :class:`NocDepacketizer` - a tile's or the host's view: a header
  plus a stream of payload words in, flits out, and back.

``sim/noc.py`` is the cycle-exact golden model of the mesh.
"""

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, Value, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.common import check_index, layout
from hdl.spec.noc import (
    COORD_BITS,
    EAST,
    LOCAL,
    NORTH,
    SOUTH,
    WEST,
    FlitKind,
    MsgType,
    flit_fields,
    head_fields,
)

__all__ = [
    "flit_layout",
    "head_layout",
    "message_header_layout",
    "FlitFifo",
    "NocRouter",
    "NocInjector",
    "NocMesh",
    "NocPacketizer",
    "NocDepacketizer",
]


def flit_layout(cfg):
    """One flit: ``kind`` (:class:`FlitKind`) and ``payload``; from ``hdl/spec/noc.py``."""
    return layout(flit_fields(cfg))


def head_layout(cfg):
    """The payload of a head or single flit; from ``hdl/spec/noc.py``."""
    return layout(head_fields(cfg))


def message_header_layout(cfg):
    """What a tile gives its packetizer (and gets from its depacketizer) per message."""
    fields = dict(head_fields(cfg))
    return data.StructLayout({
        "dest_x": unsigned(fields["dest_x"]),
        "dest_y": unsigned(fields["dest_y"]),
        "src_x": unsigned(fields["src_x"]),   # filled by the depacketizer; ignored on send
        "src_y": unsigned(fields["src_y"]),
        "mtype": MsgType,
        "words": unsigned(fields["length"]),  # payload words after the head (length - 1)
        "aux": unsigned(fields["aux"]),
    })


def _wrap_inc(sig, depth):
    return Mux(sig == depth - 1, 0, sig + 1)


class FlitFifo(wiring.Component):
    """First-word-fall-through FIFO of flits.

    Parameters
    ----------
    cfg : ChipConfig
    depth : int

    Attributes
    ----------
    w : In(stream.Signature(flit_layout(cfg)))
        ``ready`` = not full, from registers only.
    r : Out(stream.Signature(flit_layout(cfg)))
        ``valid`` = not empty; a flit written in cycle ``t`` can leave in cycle ``t + 1``.
    """

    def __init__(self, cfg, depth):
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth = {depth!r}: must be a positive integer")
        self._depth = depth
        self._layout = flit_layout(cfg)
        super().__init__({
            "w": In(stream.Signature(self._layout)),
            "r": Out(stream.Signature(self._layout)),
        })

    @property
    def depth(self):
        return self._depth

    def elaborate(self, platform):
        m = Module()
        depth = self._depth
        m.submodules.mem = mem = Memory(shape=self._layout, depth=depth, init=[])
        wp = mem.write_port()
        rp = mem.read_port(domain="comb")

        wr_ptr = Signal(range(depth))
        rd_ptr = Signal(range(depth))
        level = Signal(range(depth + 1))
        push = self.w.valid & self.w.ready
        pop = self.r.valid & self.r.ready

        m.d.comb += [
            self.w.ready.eq(level != depth),
            self.r.valid.eq(level != 0),
            wp.addr.eq(wr_ptr),
            wp.data.eq(self.w.payload),
            wp.en.eq(push),
            rp.addr.eq(rd_ptr),
            self.r.payload.eq(rp.data),
        ]
        with m.If(push):
            m.d.sync += wr_ptr.eq(_wrap_inc(wr_ptr, depth))
        with m.If(pop):
            m.d.sync += rd_ptr.eq(_wrap_inc(rd_ptr, depth))
        m.d.sync += level.eq(level + push - pop)
        return m


class NocRouter(wiring.Component):
    """5-port wormhole router at mesh position ``(x, y)`` with XY routing.

    Port ``i`` of ``inputs``/``outputs`` is local, north, east, south, west (``sim.noc``).
    A head (or single) flit at the front of an input FIFO requests the output its XY route
    names. A free output grants the first requester in round-robin order starting after the
    input it granted last, and stays locked to that input - even if the link is not ready -
    until the packet's tail (or the single flit) has left; so an output's ``valid`` and
    ``payload`` never change before ``ready``. A flit moves when its output is ready.

    Parameters
    ----------
    cfg : ChipConfig
    x, y : int
        Router position; x grows east, y grows south.
    """

    def __init__(self, cfg, x, y):
        for name, v, hi in (("x", x, cfg.mesh_width), ("y", y, cfg.mesh_height)):
            if not isinstance(v, int) or not 0 <= v < hi:
                raise ValueError(f"{name} = {v!r}: must be an integer in 0..{hi - 1}")
        self._cfg, self._x, self._y = cfg, x, y
        layout = flit_layout(cfg)
        super().__init__({
            "inputs": In(stream.Signature(layout)).array(5),
            "outputs": Out(stream.Signature(layout)).array(5),
        })

    @property
    def position(self):
        return self._x, self._y

    def elaborate(self, platform):
        m = Module()
        cfg, x, y = self._cfg, self._x, self._y
        hl = head_layout(cfg)

        # -- submodules ---------------------------------------------------------------------------
        fifos = []
        for i in range(5):
            fifo = FlitFifo(cfg, cfg.noc.fifo_depth)
            m.submodules[f"fifo_{i}"] = fifo
            fifos.append(fifo)

        # -- connections ---------------------------------------------------------------------------
        for i in range(5):
            wiring.connect(m, wiring.flipped(self.inputs[i]), fifos[i].w)

        # -- combinational: route computation on the flit at the front of every FIFO ---------------
        requests = [Signal(5, name=f"request_{o}") for o in range(5)]
        for i, fifo in enumerate(fifos):
            head = data.View(hl, fifo.r.payload.payload)
            starts = fifo.r.valid & Value.cast(fifo.r.payload.kind)[0]
            dx, dy = head.dest_x, head.dest_y
            same_x = dx == x
            # No port leads off the mesh: leave out the comparisons that are constant there.
            top = (1 << COORD_BITS) - 1
            route = {
                EAST: dx > x if x < top else Const(0),
                WEST: dx < x if x > 0 else Const(0),
                SOUTH: same_x & (dy > y) if y < top else Const(0),
                NORTH: same_x & (dy < y) if y > 0 else Const(0),
                LOCAL: same_x & (dy == y),
            }
            for o in range(5):
                m.d.comb += requests[o][i].eq(starts & route[o])

        # -- per output: wormhole lock, round-robin arbiter, switch -------------------------------
        front_valid = Array(f.r.valid for f in fifos)
        front = Array(f.r.payload.as_value() for f in fifos)
        pops = [[] for _ in range(5)]
        for o in range(5):
            out = self.outputs[o]
            locked = Signal(name=f"locked_{o}")
            owner = Signal(range(5), name=f"owner_{o}")
            rr_start = Signal(range(5), name=f"rr_start_{o}")
            pick = Signal(range(5), name=f"pick_{o}")
            sel = Signal(range(5), name=f"sel_{o}")
            any_request = requests[o].any()
            with m.Switch(rr_start):
                for s in range(5):
                    with m.Case(s):
                        # Last assignment wins: walk from lowest to highest priority.
                        for k in reversed(range(5)):
                            i = (s + k) % 5
                            with m.If(requests[o][i]):
                                m.d.comb += pick.eq(i)
            m.d.comb += [
                sel.eq(Mux(locked, owner, pick)),
                out.valid.eq((locked | any_request) & front_valid[sel]),
                out.payload.eq(front[sel]),
            ]
            transfer = out.valid & out.ready
            for i in range(5):
                pops[i].append(transfer & (sel == i))
            # A grant locks the output at once; the tail (or single flit) leaving unlocks it.
            ends = transfer & Value.cast(out.payload.kind)[1]
            m.d.sync += locked.eq((locked | any_request) & ~ends)
            with m.If(~locked & any_request):
                m.d.sync += [owner.eq(pick), rr_start.eq(_wrap_inc(pick, 5))]

        for i in range(5):
            m.d.comb += fifos[i].r.ready.eq(Cat(*pops[i]).any())
        return m


class NocInjector(wiring.Component):
    """Injection network interface: checks packets and drops bad ones whole.

    A packet is bad if its destination is outside the mesh, its head's ``length`` is not
    the number of flits up to and including its tail (or is above ``max_packet_flits``),
    it starts with a body/tail flit, or a head/single flit arrives inside it. Flits of a
    good packet are written to the packet buffer as they arrive and become visible to the
    router only when the tail is accepted; a bad packet's flits are discarded up to its
    tail (the next flit with the tail bit), the buffer's write pointer rolls back and
    ``errors`` counts one. ``inject.ready`` is "buffer not full" (committed + pending).

    Attributes
    ----------
    inject : In(stream.Signature(flit_layout(cfg)))
    out : Out(stream.Signature(flit_layout(cfg)))
        To the router's local input.
    errors : Out(unsigned(cfg.noc.error_counter_bits))
        Dropped packets, saturating.
    """

    def __init__(self, cfg):
        self._cfg = cfg
        layout = flit_layout(cfg)
        super().__init__({
            "inject": In(stream.Signature(layout)),
            "out": Out(stream.Signature(layout)),
            "errors": Out(unsigned(cfg.noc.error_counter_bits)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, noc = self._cfg, self._cfg.noc
        depth = noc.ni_buffer_flits
        length_width = dict(head_fields(cfg))["length"]

        # -- submodules ---------------------------------------------------------------------------
        m.submodules.buffer = buf = Memory(shape=flit_layout(cfg), depth=depth, init=[])
        wp = buf.write_port()
        rp = buf.read_port(domain="comb")

        # -- state --------------------------------------------------------------------------------
        wr_ptr = Signal(range(depth))      # next write (inside the packet being received)
        commit_ptr = Signal(range(depth))  # end of the last good packet
        rd_ptr = Signal(range(depth))
        committed = Signal(range(depth + 1))   # flits visible to the router
        pending = Signal(range(depth + 1))     # flits of the packet being received
        in_packet = Signal()
        bad = Signal()
        count = Signal(length_width)
        length = Signal(length_width)

        # -- combinational: checker ---------------------------------------------------------------
        flit = self.inject.payload
        kind = Value.cast(flit.kind)
        is_head, is_tail = kind[0], kind[1]
        head = data.View(head_layout(cfg), flit.payload)
        coord_top = 1 << COORD_BITS
        dest_ok = Const(1)
        if cfg.mesh_width < coord_top:
            dest_ok = dest_ok & (head.dest_x < cfg.mesh_width)
        if cfg.mesh_height < coord_top:
            dest_ok = dest_ok & (head.dest_y < cfg.mesh_height)
        count_new = Mux(in_packet, count + 1, 1)
        bad_start = Mux(
            is_head,
            ~dest_ok | Mux(is_tail, head.length != 1,
                           (head.length < 2) | (head.length > noc.max_packet_flits)),
            1)
        bad_cont = bad | is_head | Mux(is_tail, count_new != length, count_new >= length)
        bad_now = Signal()
        accept = Signal()
        write = Signal()
        read = Signal()
        commit = Signal()
        m.d.comb += [
            self.inject.ready.eq(committed + pending < depth),
            accept.eq(self.inject.valid & self.inject.ready),
            bad_now.eq(Mux(in_packet, bad_cont, bad_start)),
            write.eq(accept & ~bad_now),
            commit.eq(accept & is_tail & ~bad_now),
            wp.addr.eq(wr_ptr),
            wp.data.eq(flit),
            wp.en.eq(write),
            rp.addr.eq(rd_ptr),
            self.out.valid.eq(committed != 0),
            self.out.payload.eq(rp.data),
            read.eq(self.out.valid & self.out.ready),
        ]

        # -- synchronous ---------------------------------------------------------------------------
        wr_next = Mux(write, _wrap_inc(wr_ptr, depth), wr_ptr)
        with m.If(read):
            m.d.sync += rd_ptr.eq(_wrap_inc(rd_ptr, depth))
        m.d.sync += committed.eq(committed - read + Mux(commit, pending + 1, 0))
        with m.If(accept):
            with m.If(is_tail):
                m.d.sync += [in_packet.eq(0), pending.eq(0)]
                with m.If(bad_now):
                    m.d.sync += wr_ptr.eq(commit_ptr)   # roll back the dropped packet
                    with m.If(self.errors != (1 << noc.error_counter_bits) - 1):
                        m.d.sync += self.errors.eq(self.errors + 1)
                with m.Else():
                    m.d.sync += [wr_ptr.eq(wr_next), commit_ptr.eq(wr_next)]
            with m.Else():
                m.d.sync += [
                    in_packet.eq(1),
                    bad.eq(bad_now),
                    count.eq(count_new),
                    wr_ptr.eq(wr_next),
                    pending.eq(pending + write),
                ]
                with m.If(~in_packet):
                    m.d.sync += length.eq(head.length)
        return m


class NocMesh(wiring.Component):
    """``cfg.mesh_width`` x ``cfg.mesh_height`` routers with an injection NI per node.

    Node ``n`` is router ``(n % W, n // W)``. Links between neighbours are direct
    valid/ready connections (one cycle per hop); ports on the mesh edge are tied off.

    Attributes
    ----------
    inject : In(stream.Signature(flit_layout(cfg))).array(nodes)
        Flits into node ``n``'s injection NI.
    eject : Out(stream.Signature(flit_layout(cfg))).array(nodes)
        Flits out of node ``n``'s router local port.
    errors : Out(unsigned(error_counter_bits)).array(nodes)
        Packets dropped by node ``n``'s injection NI.
    """

    def __init__(self, cfg):
        self._cfg = cfg
        layout = flit_layout(cfg)
        nodes = cfg.mesh_width * cfg.mesh_height
        super().__init__({
            "inject": In(stream.Signature(layout)).array(nodes),
            "eject": Out(stream.Signature(layout)).array(nodes),
            "errors": Out(unsigned(cfg.noc.error_counter_bits)).array(nodes),
        })

    @property
    def nodes(self):
        return self._cfg.mesh_width * self._cfg.mesh_height

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        W, H = cfg.mesh_width, cfg.mesh_height

        # -- submodules ---------------------------------------------------------------------------
        routers, injectors = [], []
        for n in range(W * H):
            x, y = n % W, n // W
            router = NocRouter(cfg, x, y)
            injector = NocInjector(cfg)
            m.submodules[f"router_{x}_{y}"] = router
            m.submodules[f"injector_{x}_{y}"] = injector
            routers.append(router)
            injectors.append(injector)

        # -- connections ---------------------------------------------------------------------------
        for n in range(W * H):
            x, y = n % W, n // W
            r = routers[n]
            wiring.connect(m, wiring.flipped(self.inject[n]), injectors[n].inject)
            wiring.connect(m, injectors[n].out, r.inputs[LOCAL])
            wiring.connect(m, r.outputs[LOCAL], wiring.flipped(self.eject[n]))
            m.d.comb += self.errors[n].eq(injectors[n].errors)
            if x < W - 1:
                wiring.connect(m, r.outputs[EAST], routers[n + 1].inputs[WEST])
                wiring.connect(m, routers[n + 1].outputs[WEST], r.inputs[EAST])
            if y < H - 1:
                wiring.connect(m, r.outputs[SOUTH], routers[n + W].inputs[NORTH])
                wiring.connect(m, routers[n + W].outputs[NORTH], r.inputs[SOUTH])
        return m


class NocPacketizer(wiring.Component):
    """A tile's or the host's sender: one header plus ``header.words`` payload words in,
    one packet of flits out (a single flit when ``words`` is 0).

    The head is sent in the cycle the header is valid (the header is consumed with it);
    then exactly ``words`` words are passed through, the last one as the tail. A header
    with ``words + 1 > max_packet_flits`` is sent as given and dropped by the injection NI.

    Parameters
    ----------
    cfg : ChipConfig
    x, y : int or Value
        This node's position, written into the head's source fields; an unsigned value of
        at most ``COORD_BITS`` bits (an input port) when the module is shared by several
        nodes (``hdl/chip.py``).

    Attributes
    ----------
    header : In(stream.Signature(message_header_layout(cfg)))
    words : In(stream.Signature(unsigned(cfg.noc.flit_payload_bits)))
    flits : Out(stream.Signature(flit_layout(cfg)))
    """

    def __init__(self, cfg, x, y):
        x = check_index("x", x, cfg.mesh_width, COORD_BITS)
        y = check_index("y", y, cfg.mesh_height, COORD_BITS)
        self._cfg, self._x, self._y = cfg, x, y
        super().__init__({
            "header": In(stream.Signature(message_header_layout(cfg))),
            "words": In(stream.Signature(unsigned(cfg.noc.flit_payload_bits))),
            "flits": Out(stream.Signature(flit_layout(cfg))),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        hdr = self.header.payload
        remaining = Signal.like(hdr.words)
        head = Signal(head_layout(cfg))
        m.d.comb += [
            head.dest_x.eq(hdr.dest_x),
            head.dest_y.eq(hdr.dest_y),
            head.src_x.eq(self._x),
            head.src_y.eq(self._y),
            head.mtype.eq(hdr.mtype),
            head.length.eq(hdr.words + 1),
            head.aux.eq(hdr.aux),
        ]
        with m.FSM(name="packetizer"):
            with m.State("Send-Head"):
                m.d.comb += [
                    self.flits.valid.eq(self.header.valid),
                    self.flits.payload.kind.eq(
                        Mux(hdr.words == 0, FlitKind.SINGLE, FlitKind.HEAD)),
                    self.flits.payload.payload.eq(head),
                    self.header.ready.eq(self.flits.ready),
                ]
                with m.If(self.flits.valid & self.flits.ready & (hdr.words != 0)):
                    m.d.sync += remaining.eq(hdr.words)
                    m.next = "Send-Words"
            with m.State("Send-Words"):
                m.d.comb += [
                    self.flits.valid.eq(self.words.valid),
                    self.flits.payload.kind.eq(
                        Mux(remaining == 1, FlitKind.TAIL, FlitKind.BODY)),
                    self.flits.payload.payload.eq(self.words.payload),
                    self.words.ready.eq(self.flits.ready),
                ]
                with m.If(self.flits.valid & self.flits.ready):
                    m.d.sync += remaining.eq(remaining - 1)
                    with m.If(remaining == 1):
                        m.next = "Send-Head"
        return m


class NocDepacketizer(wiring.Component):
    """A tile's or the host's receiver: flits in, a header per packet and its payload words
    out. Purely combinational steering: a head or single flit goes to ``header`` (``words``
    = length - 1), a body or tail flit to ``words`` (``last`` = tail). Both outputs are
    ready-coupled to ``flits``, so the receiver sinks at the rate its consumer accepts.

    Attributes
    ----------
    flits : In(stream.Signature(flit_layout(cfg)))
    header : Out(stream.Signature(message_header_layout(cfg)))
    words : Out(stream.Signature(StructLayout({"data": payload_bits, "last": 1})))
    """

    def __init__(self, cfg):
        self._cfg = cfg
        super().__init__({
            "flits": In(stream.Signature(flit_layout(cfg))),
            "header": Out(stream.Signature(message_header_layout(cfg))),
            "words": Out(stream.Signature(data.StructLayout({
                "data": unsigned(cfg.noc.flit_payload_bits), "last": unsigned(1)}))),
        })

    def elaborate(self, platform):
        m = Module()
        flit = self.flits.payload
        kind = Value.cast(flit.kind)
        head = data.View(head_layout(self._cfg), flit.payload)
        hdr = self.header.payload
        m.d.comb += [
            hdr.dest_x.eq(head.dest_x),
            hdr.dest_y.eq(head.dest_y),
            hdr.src_x.eq(head.src_x),
            hdr.src_y.eq(head.src_y),
            hdr.mtype.eq(head.mtype),
            hdr.words.eq(head.length - 1),
            hdr.aux.eq(head.aux),
            self.words.payload.data.eq(flit.payload),
            self.words.payload.last.eq(kind[1]),
        ]
        with m.If(kind[0]):
            m.d.comb += [
                self.header.valid.eq(self.flits.valid),
                self.flits.ready.eq(self.header.ready),
            ]
        with m.Else():
            m.d.comb += [
                self.words.valid.eq(self.flits.valid),
                self.flits.ready.eq(self.words.ready),
            ]
        return m
