"""Host node: a Wishbone B4 slave in front of the network (DESIGN section 8).

The memory map is ``hdl/spec/regmap.py`` (generated into ``docs/registers.md``); the protocol
constants are ``hdl/spec/host.py``; ``docs/host.md`` has the timing.

Bus timing. One access is in flight at a time. An access is taken in the cycle
``CYC & STB & !STALL``; simple accesses (registers, the SRAM, errors) end with ACK or ERR in
the next cycle. STALL is high from the cycle after an access is taken until the cycle its
ACK/ERR is given, so a classic master, which holds STB through the ACK cycle, is never
taken twice, and a pipelined master gets one transfer every 2 cycles. A CMD_DATA write into a
full queue waits for space; a window access waits for the tile's answer (or the timeout).
Dropping CYC ends a waiting access without ACK (the window's answer, if it comes later,
goes to the response queue).

Components (:class:`HostNode` wires them):

* :class:`BusFrontEnd` - the Wishbone slave: take/STALL/ACK/ERR, byte selects, address
  decode and the error cause of every access; CMD_DATA words out, RESP_DATA pops.
* :class:`RegisterFile` - generated from the register map: read mux, RW storage, W1C/W1P
  write pulses.
* :class:`ErrorLog` - ERR_COUNT / ERR_CAUSE / ERR_ADDR.
* :class:`Window` - the remote-CSR window (``Idle`` -> ``Send`` -> ``Answer``).
* :class:`PacketFifo` - the command queue and the response queue: a word FIFO that follows
  packet boundaries from each head's length and knows when a whole packet is in it.
* :class:`Sender` - command-queue packets and window requests to the packetizer.
* :class:`Receiver` - packets from the depacketizer: data packets to the SRAM, the window's
  answer to the window, everything else to the response queue.
* :class:`Counters` - the performance counters.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.common import node_coordinates, send_head, send_word
from hdl.noc import (
    NocDepacketizer,
    NocPacketizer,
    flit_layout,
    head_layout,
    message_header_layout,
)
from hdl.spec.host import (
    QUEUE_OFFSET,
    RESPONSE_WORDS,
    WINDOW_TAG,
    BusCause,
    Irq,
    byte_select_ok,
    check_host_config,
    config_words,
)
from hdl.spec.noc import COORD_BITS, MsgType, node_xy
from hdl.spec.regmap import (
    ADDR_BITS,
    HOST_COUNTERS,
    REGISTERS,
    WINDOW_NODE_STRIDE,
    region,
    register,
)

__all__ = [
    "HostNode",
    "BusFrontEnd",
    "RegisterFile",
    "ErrorLog",
    "Window",
    "PacketFifo",
    "Sender",
    "Receiver",
    "Counters",
    "wishbone_signature",
    "forward",
]


def wishbone_signature():
    """The slave's port (member names as Verilog ports ``wb_*``), seen from the slave."""
    return {
        "wb_cyc": In(1), "wb_stb": In(1), "wb_we": In(1), "wb_adr": In(ADDR_BITS),
        "wb_sel": In(4), "wb_dat_w": In(32), "wb_dat_r": Out(32), "wb_ack": Out(1),
        "wb_err": Out(1), "wb_stall": Out(1), "irq": Out(1),
    }


def forward(m, outer, inner, names):
    """Pass the ports ``names`` of a component (``outer``) to the same-named ports of one of
    its submodules (``inner``): ``In`` members inward, ``Out`` members outward (comb)."""
    for name in names:
        flow = outer.signature.members[name].flow
        o, i = getattr(outer, name), getattr(inner, name)
        m.d.comb += i.eq(o) if flow == In else o.eq(i)


# -- layouts and signatures between the components ---------------------------------------------

#: An error-log entry: an access that ends with ERR, or a bad received packet, this cycle.
ERROR_ENTRY = data.StructLayout({"valid": 1, "cause": BusCause, "info": 8, "addr": 32})
#: A word read from a :class:`PacketFifo`, ``last`` when it ends its packet.
PACKET_WORD = data.StructLayout({"data": 32, "last": 1})
#: What a received packet raises in IRQ_STATUS (the other events come from elsewhere).
RECEIVE_EVENTS = data.StructLayout({Irq.DONE.name: 1, Irq.ERROR.name: 1, Irq.DATA.name: 1})
#: The register the access being taken hits (one-hot, by name).
REGISTER_HITS = data.StructLayout({r.name: 1 for r in REGISTERS})

IRQ_STATUS = register("IRQ_STATUS")
STATUS = register("STATUS")
ERR_CAUSE = register("ERR_CAUSE")


def register_shape(r):
    """A register's fields at their bit positions (its width is its highest field bit), or
    32 plain bits for a register without fields."""
    if not r.fields:
        return unsigned(32)
    return data.FlexibleLayout(r.bits.bit_length(), {
        f.name: data.Field(unsigned(f.width), f.lsb) for f in r.fields})


def register_port_signature():
    """Front end -> register file: the register hit and the write; the read value back."""
    return wiring.Signature({
        "hit": Out(REGISTER_HITS),
        "write": Out(1),        # a write to the hit register is taken (no error)
        "mask": Out(32),        # the byte select as a bit mask
        "data": Out(32),        # the write data, lanes outside the select zeroed
        "value": In(32),        # the hit register's read value
    })


def window_port_signature(cfg):
    """Front end -> window: start a remote CSR access; window -> front end: how it ends."""
    return wiring.Signature({
        "start": Out(1),        # a window access is taken this cycle
        "node": Out(range(cfg.mesh_width * cfg.mesh_height)),
        "reg": Out(8),
        "we": Out(1),
        "data": Out(32),
        "cyc": Out(1),          # the bus's CYC: low ends a waiting access
        "ack": In(1),           # end with ACK next cycle, read data ``rdata``
        "err": In(1),           # end with ERR next cycle; log ``cause``, ``info``, ``addr``
        "abort": In(1),         # CYC dropped: the access ends without ACK/ERR
        "rdata": In(32),
        "cause": In(BusCause),
        "info": In(8),
        "addr": In(32),
    })


def window_request_signature():
    """Window -> sender: the request packet to send; sender -> window: it has left."""
    return wiring.Signature({
        "valid": Out(1), "x": Out(COORD_BITS), "y": Out(COORD_BITS), "we": Out(1),
        "reg": Out(8), "data": Out(32), "sent": In(1),
    })


def window_answer_signature():
    """Window -> receiver: the answer it waits for; receiver -> window: the answer came."""
    return wiring.Signature({
        "waiting": Out(1), "x": Out(COORD_BITS), "y": Out(COORD_BITS), "reg": Out(8),
        "valid": In(1),         # the answer's last word is taken this cycle
        "error": In(1),         # it is an ERROR packet
        "info": In(8),          # the tile's error code
        "value": In(32),        # its first word
    })


def sram_port_signature(cfg):
    """Front end -> SRAM: the access being taken; the read data (next cycle) back."""
    return wiring.Signature({
        "addr": Out(range(cfg.host.asram_words)), "read": Out(1), "write": Out(1),
        "sel": Out(4), "data": Out(32), "rdata": In(32),
    })


# -- components ---------------------------------------------------------------------------------


class BusFrontEnd(wiring.Component):
    """The Wishbone slave: takes one access at a time, decodes it and ends it.

    Registers, the SRAM and every error end with ACK/ERR in the next cycle. A CMD_DATA word
    goes out on ``push`` (into the command queue) and waits there for space; a window access
    is handed to the window (``window``), which ends it. Every ERR is logged on ``log``.

    Attributes
    ----------
    wb_* : the Wishbone port (without ``irq``)
    regs : Out(register_port_signature())
    window : Out(window_port_signature(cfg))
    sram : Out(sram_port_signature(cfg))
    push : Out(stream.Signature(32))
        CMD_DATA words; ``valid`` may fall without ``ready`` when CYC drops.
    in_packet : In(1)
        The next CMD_DATA word is a body word (a head word is checked: BAD_HEAD).
    pop : Out(1)
        A RESP_DATA read pops the response queue.
    can_pop : In(1)
        The response queue has a word (else RESP_DATA ends with ERR, RESP_EMPTY).
    log : Out(ERROR_ENTRY)
    """

    def __init__(self, cfg):
        self._cfg = cfg
        super().__init__({
            **{k: v for k, v in wishbone_signature().items() if k != "irq"},
            "regs": Out(register_port_signature()),
            "window": Out(window_port_signature(cfg)),
            "sram": Out(sram_port_signature(cfg)),
            "push": Out(stream.Signature(32)),
            "in_packet": In(1),
            "pop": Out(1),
            "can_pop": In(1),
            "log": Out(ERROR_ENTRY),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, h = self._cfg, self._cfg.host
        maxp = cfg.noc.max_packet_flits
        asram_base = region("ASRAM").base
        win = region("WINDOW")
        adr, sel, we, dat, cyc = self.wb_adr, self.wb_sel, self.wb_we, self.wb_dat_w, self.wb_cyc
        regs, window, sram, push, log = self.regs, self.window, self.sram, self.push, self.log
        hit = regs.hit

        busy = Signal()         # an access is in flight (STALL)
        ack_r = Signal()
        err_r = Signal()
        rdata = Signal(32)      # read data; a waiting CMD_DATA write parks its word here
        rd_asram = Signal()     # the read data comes from the SRAM read port
        cmd_wait = Signal()     # a CMD_DATA write waits for space
        take = Signal()
        m.d.comb += [
            take.eq(self.wb_cyc & self.wb_stb & ~busy),
            self.wb_stall.eq(busy),
            self.wb_ack.eq(ack_r & cyc),
            self.wb_err.eq(err_r & cyc),
            self.wb_dat_r.eq(Mux(rd_asram, sram.rdata, rdata)),
        ]
        with m.If(ack_r | err_r):
            m.d.sync += [ack_r.eq(0), err_r.eq(0), busy.eq(0), rd_asram.eq(0)]

        # Decode (combinational, for the access being taken).
        lane_mask = Cat(*(sel[i].replicate(8) for i in range(4)))
        sel_ok = Signal()
        m.d.comb += sel_ok.eq(byte_select_ok(sel, adr[:2]))
        word_sel = sel == 0b1111
        in_asram = Signal()
        in_window = Signal()
        m.d.comb += [
            in_asram.eq((adr >= asram_base) & (adr < asram_base + 4 * h.asram_words)),
            in_window.eq((adr >= win.base) & (adr < win.base + win.size)),
            *(getattr(hit, r.name).eq(adr[2:] == r.offset >> 2) for r in REGISTERS),
        ]
        win_node = (adr - win.base)[WINDOW_NODE_STRIDE.bit_length() - 1:]
        head = data.View(head_layout(cfg), dat)     # a CMD_DATA head word
        head_bad = ~self.in_packet & (
            (head.length == 0) | (head.length > maxp) |
            (head.dest_x >= cfg.mesh_width) | (head.dest_y >= cfg.mesh_height))

        cause = Signal(BusCause)    # why the access ends with ERR now (NONE: it goes ahead)
        with m.If(~sel_ok):
            m.d.comb += cause.eq(BusCause.MISALIGNED)
        with m.Elif(in_asram):
            pass
        with m.Elif(in_window):
            with m.If(~word_sel):
                m.d.comb += cause.eq(BusCause.WORD_ONLY)
            with m.Elif((win_node >= cfg.mesh_width * cfg.mesh_height) |
                        (win_node == cfg.host_node)):
                m.d.comb += cause.eq(BusCause.BAD_NODE)
        with m.Elif(~hit.as_value().any() | (adr >= asram_base)):
            m.d.comb += cause.eq(BusCause.UNMAPPED)
        for r in REGISTERS:
            with m.If(sel_ok & getattr(hit, r.name) & (adr < asram_base)):
                if r.access in ("RO", "RC"):
                    with m.If(we):
                        m.d.comb += cause.eq(BusCause.READ_ONLY)
                    if r.access == "RC":
                        with m.Elif(~word_sel):
                            m.d.comb += cause.eq(BusCause.WORD_ONLY)
                        with m.Elif(~self.can_pop):
                            m.d.comb += cause.eq(BusCause.RESP_EMPTY)
                elif r.access == "WO":
                    with m.If(~we):
                        m.d.comb += cause.eq(BusCause.WRITE_ONLY)
                    with m.Elif(~word_sel):
                        m.d.comb += cause.eq(BusCause.WORD_ONLY)
                    with m.Elif(head_bad):
                        m.d.comb += cause.eq(BusCause.BAD_HEAD)

        m.d.comb += [
            regs.mask.eq(lane_mask),
            regs.data.eq(dat & lane_mask),
            sram.addr.eq(adr[2:] - (asram_base >> 2)),
            sram.sel.eq(sel),
            sram.data.eq(dat),
            window.node.eq(win_node),
            window.reg.eq(adr[2:WINDOW_NODE_STRIDE.bit_length() - 1]),
            window.we.eq(we),
            window.data.eq(dat),
            window.cyc.eq(cyc),
            push.payload.eq(Mux(cmd_wait, rdata, dat)),
        ]
        with m.If(take):
            m.d.sync += busy.eq(1)
            with m.If(cause != BusCause.NONE):
                m.d.sync += err_r.eq(1)
                m.d.comb += log.valid.eq(1)
            with m.Elif(in_asram):
                m.d.comb += [sram.read.eq(~we), sram.write.eq(we)]
                m.d.sync += [ack_r.eq(1), rd_asram.eq(~we)]
            with m.Elif(in_window):
                m.d.comb += window.start.eq(1)
            with m.Else():
                m.d.comb += regs.write.eq(we)
                m.d.sync += rdata.eq(regs.value)
                with m.If(hit.CMD_DATA):
                    m.d.comb += push.valid.eq(1)
                    with m.If(push.ready):
                        m.d.sync += ack_r.eq(1)
                    with m.Else():
                        m.d.sync += [cmd_wait.eq(1), rdata.eq(dat)]
                with m.Else():
                    m.d.sync += ack_r.eq(1)
                    m.d.comb += self.pop.eq(hit.RESP_DATA)

        # A CMD_DATA write that waits for space.
        with m.If(cmd_wait):
            m.d.comb += push.valid.eq(cyc)
            with m.If(~cyc):
                m.d.sync += [cmd_wait.eq(0), busy.eq(0)]
            with m.Elif(push.ready):
                m.d.sync += [cmd_wait.eq(0), ack_r.eq(1)]

        # A window access ends.
        with m.If(window.ack):
            m.d.sync += [ack_r.eq(1), rdata.eq(window.rdata)]
        with m.If(window.err):
            m.d.sync += err_r.eq(1)
            m.d.comb += log.valid.eq(1)
        with m.If(window.abort):
            m.d.sync += busy.eq(0)

        # The error log entry: the access being taken, or (while busy) the window's.
        with m.If(busy):
            m.d.comb += [log.cause.eq(window.cause), log.info.eq(window.info),
                         log.addr.eq(window.addr)]
        with m.Else():
            m.d.comb += [log.cause.eq(cause), log.addr.eq(adr)]
        return m


class RegisterFile(wiring.Component):
    """The registers of the map: the read value of the hit register, RW storage, and the bits
    written to W1C / W1P registers.

    Generated from ``REGISTERS``: constants (``config_words``) read as constants; RW
    registers are stored here (byte selects respected); W1C and W1P registers give the
    written ones on ``pulse`` (W1P and WO registers read 0); every other register's read
    value comes in on ``value``.

    Attributes
    ----------
    bus : In(register_port_signature())
    value : In(StructLayout({name: 32}))
        Read values of the registers held elsewhere (RO, RC, W1C).
    rw : Out(StructLayout({name: register_shape}))
        The RW registers.
    pulse : Out(StructLayout({name: register_shape}))
        W1C / W1P: the bits written as 1 this cycle.
    """

    def __init__(self, cfg):
        self._constants = config_words(cfg)
        held = [r for r in REGISTERS if r.name not in self._constants and
                r.access in ("RO", "RC", "W1C")]
        super().__init__({
            "bus": In(register_port_signature()),
            "value": In(data.StructLayout({r.name: 32 for r in held})),
            "rw": Out(data.StructLayout({
                r.name: register_shape(r) for r in REGISTERS if r.access == "RW"})),
            "pulse": Out(data.StructLayout({
                r.name: register_shape(r) for r in REGISTERS if r.access in ("W1C", "W1P")})),
        })

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        for r in REGISTERS:
            hit = getattr(bus.hit, r.name)
            if r.name in self._constants:
                value = Const(self._constants[r.name], 32)
            elif r.access == "RW":
                width = r.bits.bit_length()
                assert r.bits == (1 << width) - 1, f"{r.name}: RW bits must start at bit 0"
                value = Signal(width, name=f"reg_{r.name.lower()}", init=r.reset)
                m.d.comb += getattr(self.rw, r.name).eq(value)
                with m.If(bus.write & hit):
                    m.d.sync += value.eq((value & ~bus.mask) | bus.data)
            elif r.access in ("W1C", "W1P"):
                with m.If(bus.write & hit):
                    m.d.comb += getattr(self.pulse, r.name).eq(bus.data)
                value = getattr(self.value, r.name) if r.access == "W1C" else Const(0, 32)
            elif r.access == "WO":
                value = Const(0, 32)
            else:
                value = getattr(self.value, r.name)
            with m.If(hit):
                m.d.comb += bus.value.eq(value)
        return m


class ErrorLog(wiring.Component):
    """ERR_COUNT (saturating), ERR_CAUSE and ERR_ADDR.

    A bus error and a packet error can come in the same cycle: both are counted, the bus
    error is the one kept.

    Attributes
    ----------
    bus, packet : In(ERROR_ENTRY)
    clear : In(1)
        CTRL.CLEAR_ERRLOG.
    count, cause, info, addr : Out
        The registers.
    logged : Out(1)
        An error is logged this cycle (the BUS_ERROR interrupt event).
    """

    def __init__(self):
        super().__init__({
            "bus": In(ERROR_ENTRY), "packet": In(ERROR_ENTRY), "clear": In(1),
            "count": Out(32), "cause": Out(BusCause), "info": Out(8), "addr": Out(32),
            "logged": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        errors = self.bus.valid.as_unsigned() + self.packet.valid.as_unsigned()
        m.d.comb += self.logged.eq(errors != 0)
        with m.If(self.clear):
            m.d.sync += [self.count.eq(0), self.cause.eq(BusCause.NONE), self.info.eq(0),
                         self.addr.eq(0)]
        with m.Elif(errors != 0):
            total = self.count + errors
            m.d.sync += self.count.eq(Mux(total[32:].any(), 0xFFFF_FFFF, total[:32]))
            entry = Mux(self.bus.valid, self.bus.as_value(), self.packet.as_value())
            entry = data.View(ERROR_ENTRY, entry)
            m.d.sync += [self.cause.eq(entry.cause), self.info.eq(entry.info),
                         self.addr.eq(entry.addr)]
        return m


class Window(wiring.Component):
    """The remote-CSR window: one tile register access at a time.

    ``Idle`` -> (the bus takes a window access) ``Send`` -> (the sender sent the CSR_READ /
    CSR_WRITE request) ``Answer`` -> (the receiver took the tagged answer: ACK, or ERR
    WINDOW_ERROR for an ERROR answer; ``window_timeout`` cycles: ERR WINDOW_TIMEOUT; CYC
    dropped: no answer to the bus) ``Idle``.

    Attributes
    ----------
    bus : In(window_port_signature(cfg))
    request : Out(window_request_signature())
    answer : Out(window_answer_signature())
    """

    def __init__(self, cfg):
        self._cfg = cfg
        super().__init__({
            "bus": In(window_port_signature(cfg)),
            "request": Out(window_request_signature()),
            "answer": Out(window_answer_signature()),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, h = self._cfg, self._cfg.host
        bus, req, ans = self.bus, self.request, self.answer
        node = Signal(range(cfg.mesh_width * cfg.mesh_height))
        reg = Signal(8)
        we = Signal()
        wdata = Signal(32)
        timer = Signal(range(h.window_timeout + 1))
        node_x, node_y = node_coordinates(cfg, COORD_BITS)
        m.d.comb += [
            req.x.eq(node_x[node]), req.y.eq(node_y[node]), req.we.eq(we), req.reg.eq(reg),
            req.data.eq(wdata),
            ans.x.eq(req.x), ans.y.eq(req.y), ans.reg.eq(reg),
            bus.rdata.eq(ans.value),
            bus.addr.eq(region("WINDOW").base + node * WINDOW_NODE_STRIDE + reg * 4),
        ]
        with m.If(bus.start):
            m.d.sync += [node.eq(bus.node), reg.eq(bus.reg), we.eq(bus.we),
                         wdata.eq(bus.data), timer.eq(0)]
        with m.FSM(name="window"):
            with m.State("Idle"):
                with m.If(bus.start):
                    m.next = "Send"
            with m.State("Send"):
                m.d.comb += req.valid.eq(1)
                with m.If(req.sent):
                    m.next = "Answer"
            with m.State("Answer"):
                m.d.comb += ans.waiting.eq(1)
                m.d.sync += timer.eq(timer + 1)
                with m.If(~bus.cyc):
                    m.d.comb += bus.abort.eq(1)
                    m.next = "Idle"
                with m.Elif(ans.valid):
                    m.next = "Idle"
                    with m.If(ans.error):
                        m.d.comb += [bus.err.eq(1), bus.cause.eq(BusCause.WINDOW_ERROR),
                                     bus.info.eq(ans.info)]
                    with m.Else():
                        m.d.comb += bus.ack.eq(1)
                with m.Elif(timer == h.window_timeout - 1):
                    m.d.comb += [bus.err.eq(1), bus.cause.eq(BusCause.WINDOW_TIMEOUT)]
                    m.next = "Idle"
        return m


class PacketFifo(wiring.Component):
    """A word FIFO of packets: each a head word (``head_layout``, its ``length`` counts the
    head) and ``length - 1`` body words.

    It follows the packet boundaries on both sides from the heads' lengths and counts the
    packets written to their last word and not yet read to their last word.

    Attributes
    ----------
    w : In(stream.Signature(32))
        ``valid`` without ``ready`` is allowed to fall.
    r : Out(stream.Signature(PACKET_WORD))
        ``last``: the word ends its packet.
    level : Out(range(depth + 1))
        Words in the queue.
    partial : Out(1)
        The words written so far end inside a packet (the next word is not a head).
    whole : Out(1)
        A packet is in the queue to its last word.
    emptied : Out(1)
        The queue's last word is read this cycle (and none written).
    """

    def __init__(self, cfg, depth):
        self._cfg, self._depth = cfg, depth
        super().__init__({
            "w": In(stream.Signature(32)),
            "r": Out(stream.Signature(PACKET_WORD)),
            "level": Out(range(depth + 1)),
            "partial": Out(1),
            "whole": Out(1),
            "emptied": Out(1),
        })

    def _boundary(self, m, transfer, word, name):
        """Body words of the current packet still to come on one side (0: the next word is a
        head), and whether ``word`` ends its packet."""
        left = Signal(range(self._cfg.noc.max_packet_flits), name=f"{name}_left")
        last = Signal(name=f"{name}_last")
        head = data.View(head_layout(self._cfg), word)
        with m.If(left == 0):
            m.d.comb += last.eq(head.length == 1)
            with m.If(transfer):
                m.d.sync += left.eq(head.length - 1)
        with m.Else():
            m.d.comb += last.eq(left == 1)
            with m.If(transfer):
                m.d.sync += left.eq(left - 1)
        return left, last

    def elaborate(self, platform):
        m = Module()
        m.submodules.fifo = fifo = SyncFIFOBuffered(width=32, depth=self._depth)
        m.d.comb += [
            fifo.w_en.eq(self.w.valid), fifo.w_data.eq(self.w.payload),
            self.w.ready.eq(fifo.w_rdy),
            self.r.valid.eq(fifo.r_rdy), self.r.payload.data.eq(fifo.r_data),
            fifo.r_en.eq(self.r.ready),
            self.level.eq(fifo.level),
        ]
        written = self.w.valid & self.w.ready
        read = self.r.valid & self.r.ready
        w_left, w_last = self._boundary(m, written, self.w.payload, "w")
        _, r_last = self._boundary(m, read, fifo.r_data, "r")
        m.d.comb += [self.partial.eq(w_left != 0), self.r.payload.last.eq(r_last),
                     self.emptied.eq(read & (fifo.level == 1) & ~written)]

        packets = Signal(range(self._depth + 1))
        inc = written & w_last
        dec = read & r_last
        with m.If(inc & ~dec):
            m.d.sync += packets.eq(packets + 1)
        with m.Elif(dec & ~inc):
            m.d.sync += packets.eq(packets - 1)
        m.d.comb += self.whole.eq(packets != 0)
        return m


class Sender(wiring.Component):
    """Sends whole command-queue packets and window requests through the packetizer.

    Queued packets go first: they were all written before the window access (the bus is
    held while it waits), so packets leave in program order.

    Attributes
    ----------
    queue : In(stream.Signature(PACKET_WORD))
        The command queue's read side.
    queued : In(1)
        A whole packet is in the command queue.
    window : In(window_request_signature())
    header, words : Out
        To the packetizer.
    """

    def __init__(self, cfg):
        self._cfg = cfg
        super().__init__({
            "queue": In(stream.Signature(PACKET_WORD)),
            "queued": In(1),
            "window": In(window_request_signature()),
            "header": Out(stream.Signature(message_header_layout(cfg))),
            "words": Out(stream.Signature(unsigned(cfg.noc.flit_payload_bits))),
        })

    def elaborate(self, platform):
        m = Module()
        q, w = self.queue, self.window
        head = data.View(head_layout(self._cfg), q.payload.data)
        with m.FSM(name="sender"):
            with m.State("Idle"):
                with m.If(self.queued):
                    m.next = "Queue-Head"
                with m.Elif(w.valid):
                    m.next = "Window-Head"
            with m.State("Queue-Head"):
                with m.If(send_head(m, self.header, dest_x=head.dest_x, dest_y=head.dest_y,
                                    mtype=head.mtype, words=head.length - 1, aux=head.aux)):
                    m.d.comb += q.ready.eq(1)
                    with m.If(q.payload.last):
                        m.next = "Idle"
                    with m.Else():
                        m.next = "Queue-Body"
            with m.State("Queue-Body"):
                with m.If(send_word(m, self.words, q.payload.data)):
                    m.d.comb += q.ready.eq(1)
                    with m.If(q.payload.last):
                        m.next = "Idle"
            with m.State("Window-Head"):
                mtype = Mux(w.we, MsgType.CSR_WRITE, MsgType.CSR_READ)
                with m.If(send_head(m, self.header, dest_x=w.x, dest_y=w.y, mtype=mtype,
                                    words=w.we, aux=WINDOW_TAG | w.reg)):
                    with m.If(w.we):
                        m.next = "Window-Body"
                    with m.Else():
                        m.d.comb += w.sent.eq(1)
                        m.next = "Idle"
            with m.State("Window-Body"):
                with m.If(send_word(m, self.words, w.data)):
                    m.d.comb += w.sent.eq(1)
                    m.next = "Idle"
        return m


class Receiver(wiring.Component):
    """Takes every packet for the host from the depacketizer.

    ACTIVATIONS / PARTIAL_SUMS ``[offset, v0, ...]`` write ``SRAM[offset + i]`` (words past
    the SRAM are dropped, the first one logged as ASRAM_RANGE) and raise DATA, unless the
    offset has bit 15 set (``QUEUE_OFFSET``): then the packet goes whole into the response
    queue, like an answer, and the driver reads it in order with its sender's DONE; the answer
    the window waits for goes to the window; every other packet goes whole (head payload,
    then body) into the response queue, raising DONE / ERROR with its last word.

    Attributes
    ----------
    header, words : In
        From the depacketizer.
    resp : Out(stream.Signature(32))
        Into the response queue.
    window : In(window_answer_signature())
    sram : Out
        ``addr``, ``data``, ``en``: a data word written into the SRAM.
    sram_busy : In(1)
        The bus writes the SRAM this cycle: data words wait.
    events : Out(RECEIVE_EVENTS)
    data_word : Out(1)
        A word was written into the SRAM (the DATA_WORDS counter).
    log : Out(ERROR_ENTRY)
    """

    def __init__(self, cfg):
        self._cfg = cfg
        super().__init__({
            "header": In(stream.Signature(message_header_layout(cfg))),
            "words": In(stream.Signature(data.StructLayout({
                "data": unsigned(cfg.noc.flit_payload_bits), "last": unsigned(1)}))),
            "resp": Out(stream.Signature(32)),
            "window": In(window_answer_signature()),
            "sram": Out(wiring.Signature({
                "addr": Out(range(cfg.host.asram_words)), "data": Out(32), "en": Out(1)})),
            "sram_busy": In(1),
            "events": Out(RECEIVE_EVENTS),
            "data_word": Out(1),
            "log": Out(ERROR_ENTRY),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        hdr, words, resp, win, ev = self.header, self.words, self.resp, self.window, self.events
        dh, dw = hdr.payload, words.payload
        raw_head = Signal(head_layout(cfg))     # the head payload as it came in
        held_head = Signal(head_layout(cfg))    # a data packet's head, until its offset word
        mtype = Signal(MsgType)
        src = Signal(8)
        off = Signal(16)
        first = Signal()        # no word of this data packet was out of range yet
        win_idx = Signal()      # the window answer's first word was taken
        win_value = Signal(32)
        m.d.comb += [
            raw_head.dest_x.eq(dh.dest_x), raw_head.dest_y.eq(dh.dest_y),
            raw_head.src_x.eq(dh.src_x), raw_head.src_y.eq(dh.src_y),
            raw_head.mtype.eq(dh.mtype), raw_head.length.eq(dh.words + 1),
            raw_head.aux.eq(dh.aux),
            win.value.eq(Mux(win_idx, win_value, dw.data)), win.error.eq(mtype == MsgType.ERROR),
            win.info.eq(dw.data[16:24]),
            self.sram.addr.eq(off), self.sram.data.eq(dw.data),
            self.log.cause.eq(BusCause.ASRAM_RANGE), self.log.info.eq(src),
            self.log.addr.eq(off),
        ]
        is_data = (dh.mtype == MsgType.ACTIVATIONS) | (dh.mtype == MsgType.PARTIAL_SUMS)
        answer = (win.waiting & (dh.aux == (WINDOW_TAG | win.reg)) &
                  (dh.src_x == win.x) & (dh.src_y == win.y) & (dh.words == RESPONSE_WORDS) &
                  ((dh.mtype == MsgType.CSR_DATA) | (dh.mtype == MsgType.DONE) |
                   (dh.mtype == MsgType.ERROR)))

        def response_events(t):
            return [ev.DONE.eq(t == MsgType.DONE), ev.ERROR.eq(t == MsgType.ERROR)]

        with m.FSM(name="receiver"):
            with m.State("Head"):
                with m.If(hdr.valid):
                    m.d.sync += [mtype.eq(dh.mtype), src.eq(dh.src_y * cfg.mesh_width + dh.src_x),
                                 first.eq(1), win_idx.eq(0)]
                    with m.If(is_data):
                        m.d.comb += hdr.ready.eq(1)
                        m.d.sync += held_head.eq(raw_head)
                        with m.If(dh.words == 0):
                            m.d.comb += ev.DATA.eq(1)
                        with m.Else():
                            m.next = "Data-Offset"
                    with m.Elif(answer):
                        m.d.comb += hdr.ready.eq(1)
                        m.next = "Window"
                    with m.Else():
                        m.d.comb += [hdr.ready.eq(resp.ready), resp.valid.eq(1),
                                     resp.payload.eq(raw_head)]
                        with m.If(resp.ready):
                            with m.If(dh.words == 0):
                                m.d.comb += response_events(dh.mtype)
                            with m.Else():
                                m.next = "Response"
            with m.State("Response"):
                m.d.comb += [words.ready.eq(resp.ready), resp.valid.eq(words.valid),
                             resp.payload.eq(dw.data)]
                with m.If(words.valid & resp.ready & dw.last):
                    m.d.comb += response_events(mtype)
                    m.next = "Head"
            with m.State("Data-Offset"):
                queued = dw.data & QUEUE_OFFSET != 0
                m.d.comb += words.ready.eq(~queued)
                with m.If(words.valid & queued):
                    # Bound for the response queue: the held head first, then the offset
                    # word and the values through "Response".
                    m.next = "Queue-Head"
                with m.Elif(words.valid):
                    m.d.sync += off.eq(dw.data[:16])
                    with m.If(dw.last):
                        m.d.comb += ev.DATA.eq(1)
                        m.next = "Head"
                    with m.Else():
                        m.next = "Data"
            with m.State("Queue-Head"):
                m.d.comb += [resp.valid.eq(1), resp.payload.eq(held_head)]
                with m.If(resp.ready):
                    m.next = "Response"
            with m.State("Data"):
                m.d.comb += words.ready.eq(~self.sram_busy)
                with m.If(words.valid & ~self.sram_busy):
                    m.d.sync += off.eq(off + 1)
                    with m.If(off < cfg.host.asram_words):
                        m.d.comb += [self.sram.en.eq(1), self.data_word.eq(1)]
                    with m.Elif(first):
                        m.d.sync += first.eq(0)
                        m.d.comb += self.log.valid.eq(1)
                    with m.If(dw.last):
                        m.d.comb += ev.DATA.eq(1)
                        m.next = "Head"
            with m.State("Window"):
                m.d.comb += words.ready.eq(1)
                with m.If(words.valid):
                    m.d.sync += win_idx.eq(1)
                    with m.If(~win_idx):
                        m.d.sync += win_value.eq(dw.data)
                    with m.If(dw.last):
                        m.d.comb += win.valid.eq(1)
                        m.next = "Head"
        return m


class Counters(wiring.Component):
    """The host's performance counters (``HOST_COUNTERS``): 32 bits, wrapping; each adds its
    ``inc`` bit every cycle. ``clear`` (CTRL.CLEAR_COUNTERS) zeroes them all."""

    def __init__(self):
        super().__init__({
            "inc": In(data.StructLayout({name: 1 for name in HOST_COUNTERS})),
            "clear": In(1),
            "value": Out(data.StructLayout({name: 32 for name in HOST_COUNTERS})),
        })

    def elaborate(self, platform):
        m = Module()
        for name in HOST_COUNTERS:
            count = getattr(self.value, name)
            with m.If(self.clear):
                m.d.sync += count.eq(0)
            with m.Else():
                m.d.sync += count.eq(count + getattr(self.inc, name))
        return m


class HostNode(wiring.Component):
    """The host node at mesh node ``cfg.host_node``.

    Attributes
    ----------
    wb_* : the Wishbone B4 slave port (32-bit data, byte address, 4 byte selects)
    irq : Out(1)
        ``|(IRQ_STATUS & IRQ_ENABLE)``.
    flits_in : In(stream.Signature(flit_layout(cfg)))
        From the mesh's eject port of the host node.
    flits_out : Out(stream.Signature(flit_layout(cfg)))
        To the mesh's inject port of the host node.
    """

    def __init__(self, cfg):
        check_host_config(cfg)
        self._cfg = cfg
        super().__init__({
            **wishbone_signature(),
            "flits_in": In(stream.Signature(flit_layout(cfg))),
            "flits_out": Out(stream.Signature(flit_layout(cfg))),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, h = self._cfg, self._cfg.host
        m.submodules.bus = bus = BusFrontEnd(cfg)
        m.submodules.regs = regs = RegisterFile(cfg)
        m.submodules.errlog = errlog = ErrorLog()
        m.submodules.window = window = Window(cfg)
        m.submodules.cmdq = cmdq = PacketFifo(cfg, h.cmd_queue_words)
        m.submodules.respq = respq = PacketFifo(cfg, h.resp_queue_words)
        m.submodules.sender = sender = Sender(cfg)
        m.submodules.receiver = rx = Receiver(cfg)
        m.submodules.counters = counters = Counters()
        m.submodules.pack = pk = NocPacketizer(cfg, *node_xy(cfg, cfg.host_node))
        m.submodules.depack = dep = NocDepacketizer(cfg)
        m.submodules.asram = asram = Memory(shape=32, depth=h.asram_words, init=[])
        rd = asram.read_port(transparent_for=())
        wr = asram.write_port(granularity=8)

        forward(m, self, bus, [name for name in wishbone_signature() if name != "irq"])
        wiring.connect(m, bus.regs, regs.bus)
        wiring.connect(m, bus.window, window.bus)
        wiring.connect(m, bus.push, cmdq.w)
        wiring.connect(m, cmdq.r, sender.queue)
        wiring.connect(m, window.request, sender.window)
        wiring.connect(m, sender.header, pk.header)
        wiring.connect(m, sender.words, pk.words)
        wiring.connect(m, pk.flits, wiring.flipped(self.flits_out))
        wiring.connect(m, wiring.flipped(self.flits_in), dep.flits)
        wiring.connect(m, dep.header, rx.header)
        wiring.connect(m, dep.words, rx.words)
        wiring.connect(m, rx.resp, respq.w)
        wiring.connect(m, window.answer, rx.window)
        m.d.comb += [
            bus.in_packet.eq(cmdq.partial),
            bus.can_pop.eq(respq.r.valid),
            respq.r.ready.eq(bus.pop),
            sender.queued.eq(cmdq.whole),
            errlog.bus.eq(bus.log),
            errlog.packet.eq(rx.log),
            errlog.clear.eq(regs.pulse.CTRL.CLEAR_ERRLOG),
        ]

        # The activation SRAM: the bus reads and writes it, the receiver writes data words
        # (and waits while the bus writes).
        m.d.comb += [rd.addr.eq(bus.sram.addr), rd.en.eq(bus.sram.read),
                     bus.sram.rdata.eq(rd.data), rx.sram_busy.eq(bus.sram.write)]
        with m.If(bus.sram.write):
            m.d.comb += [wr.addr.eq(bus.sram.addr), wr.data.eq(bus.sram.data),
                         wr.en.eq(bus.sram.sel)]
        with m.Elif(rx.sram.en):
            m.d.comb += [wr.addr.eq(rx.sram.addr), wr.data.eq(rx.sram.data), wr.en.eq(0b1111)]

        # Interrupts: events are sticky until written 1; RESP is the level "a whole packet is
        # in the response queue".
        irq_status = Signal(len(Irq))
        events = IRQ_STATUS.pack(DONE=rx.events.DONE, ERROR=rx.events.ERROR,
                                 BUS_ERROR=errlog.logged, DATA=rx.events.DATA,
                                 CMD_EMPTY=cmdq.emptied)
        m.d.sync += irq_status.eq((irq_status & ~regs.pulse.IRQ_STATUS.as_value()) | events)
        irq_view = IRQ_STATUS.pack(RESP=respq.whole, **{
            i.name: irq_status[i] for i in Irq if i != Irq.RESP})
        m.d.comb += self.irq.eq((irq_view & regs.rw.IRQ_ENABLE.as_value()).any())

        inject, eject = pk.flits, dep.flits
        sent = inject.valid & inject.ready
        got = eject.valid & eject.ready
        m.d.comb += [
            counters.clear.eq(regs.pulse.CTRL.CLEAR_COUNTERS),
            counters.inc.CYCLES.eq(1),
            counters.inc.BUS_ACKS.eq(self.wb_ack),
            counters.inc.BUS_ERRS.eq(self.wb_err),
            counters.inc.PACKETS_OUT.eq(sent & inject.payload.kind[1]),
            counters.inc.FLITS_OUT.eq(sent),
            counters.inc.PACKETS_IN.eq(got & eject.payload.kind[1]),
            counters.inc.FLITS_IN.eq(got),
            counters.inc.DATA_WORDS.eq(rx.data_word),
        ]

        # Read values of the registers held outside the register file.
        value = regs.value
        m.d.comb += [
            value.STATUS.eq(STATUS.pack(
                CMD_EMPTY=cmdq.level == 0, CMD_FULL=~cmdq.w.ready, RESP_EMPTY=~respq.r.valid,
                RESP_FULL=~respq.w.ready, CMD_PARTIAL=cmdq.partial)),
            value.IRQ_STATUS.eq(irq_view),
            value.ERR_COUNT.eq(errlog.count),
            value.ERR_CAUSE.eq(ERR_CAUSE.pack(CAUSE=errlog.cause, INFO=errlog.info)),
            value.ERR_ADDR.eq(errlog.addr),
            value.CMD_FREE.eq(h.cmd_queue_words - cmdq.level),
            value.RESP_DATA.eq(respq.r.payload.data),
            value.RESP_LEVEL.eq(respq.level),
            *(getattr(value, name).eq(getattr(counters.value, name)) for name in HOST_COUNTERS),
        ]
        return m
