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
"""

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.noc import NocDepacketizer, NocPacketizer, flit_layout, head_layout, stream
from hdl.spec.host import (
    RESPONSE_WORDS,
    WINDOW_TAG,
    BusCause,
    Irq,
    check_host_config,
    config_words,
)
from hdl.spec.noc import MsgType, node_xy
from hdl.spec.regmap import ADDR_BITS, HOST_COUNTERS, REGISTERS, WINDOW_NODE_STRIDE, region

__all__ = ["HostNode", "wishbone_signature"]



def wishbone_signature():
    """The slave's port (member names as Verilog ports ``wb_*``), seen from the slave."""
    return {
        "wb_cyc": In(1), "wb_stb": In(1), "wb_we": In(1), "wb_adr": In(ADDR_BITS),
        "wb_sel": In(4), "wb_dat_w": In(32), "wb_dat_r": Out(32), "wb_ack": Out(1),
        "wb_err": Out(1), "wb_stall": Out(1), "irq": Out(1),
    }


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
        W, H = cfg.mesh_width, cfg.mesh_height
        nodes = W * H
        hx, hy = node_xy(cfg, cfg.host_node)
        maxp = cfg.noc.max_packet_flits
        asram_base = region("ASRAM").base
        win = region("WINDOW")

        m.submodules.cmdq = cmdq = SyncFIFOBuffered(width=32, depth=h.cmd_queue_words)
        m.submodules.respq = respq = SyncFIFOBuffered(width=32, depth=h.resp_queue_words)
        m.submodules.asram = asram = Memory(shape=32, depth=h.asram_words, init=[])
        m.submodules.pack = pk = NocPacketizer(cfg, hx, hy)
        m.submodules.depack = dep = NocDepacketizer(cfg)
        wiring.connect(m, pk.flits, wiring.flipped(self.flits_out))
        wiring.connect(m, wiring.flipped(self.flits_in), dep.flits)
        rd = asram.read_port(transparent_for=())
        wr = asram.write_port(granularity=8)

        # -- registers -------------------------------------------------------------------
        scratch = Signal(32)
        irq_enable = Signal(len(Irq))
        irq_status = Signal(len(Irq))
        err_count = Signal(32)
        err_cause = Signal(4)
        err_info = Signal(8)
        err_addr = Signal(32)
        counters = {name: Signal(32, name=f"ctr_{name.lower()}") for name in HOST_COUNTERS}
        irq_set = Signal(len(Irq))      # events this cycle
        resp_inc = Signal()             # a packet's last word entered the response queue
        resp_packets = Signal(range(h.resp_queue_words + 1))
        pop_left = Signal(range(maxp))  # body words of the packet being popped
        irq_view = Signal(len(Irq))     # IRQ_STATUS as read: RESP is the live level
        m.d.comb += irq_set[Irq.RESP].eq(resp_inc)   # (irq_view shows the level instead)
        m.d.comb += irq_view.eq(Cat(resp_packets != 0, irq_status[1:]))
        irq_clear = Signal(len(Irq))    # W1C this cycle

        # A packet being written into the command queue: body words still to come.
        cmd_left = Signal(range(maxp))
        cmd_complete = Signal(range(h.cmd_queue_words + 1))   # complete packets queued
        cmd_done_inc = Signal()
        cmd_done_dec = Signal()

        # -- bus front end ---------------------------------------------------------------
        adr, sel, we, dat = self.wb_adr, self.wb_sel, self.wb_we, self.wb_dat_w
        busy = Signal()         # an access is in flight (STALL)
        ack_r = Signal()
        err_r = Signal()
        rdata = Signal(32)
        rd_asram = Signal()     # the response data comes from the SRAM read port
        m.d.comb += [
            self.wb_stall.eq(busy),
            self.wb_ack.eq(ack_r & self.wb_cyc),
            self.wb_err.eq(err_r & self.wb_cyc),
            self.wb_dat_r.eq(Mux(rd_asram, rd.data, rdata)),
            self.irq.eq((irq_view & irq_enable).any()),
        ]
        take = Signal()
        m.d.comb += take.eq(self.wb_cyc & self.wb_stb & ~busy)
        with m.If(ack_r | err_r):
            m.d.sync += [ack_r.eq(0), err_r.eq(0), busy.eq(0), rd_asram.eq(0)]

        lane_mask = Signal(32)
        m.d.comb += lane_mask.eq(Cat(*(sel[i].replicate(8) for i in range(4))))
        wdata = Signal(32)
        m.d.comb += wdata.eq(dat & lane_mask)
        lowest = Mux(sel[0], 0, Mux(sel[1], 1, Mux(sel[2], 2, 3)))
        sel_ok = Signal()
        with m.Switch(sel):
            with m.Case(0b0001, 0b0010, 0b0100, 0b1000, 0b0011, 0b1100, 0b1111):
                m.d.comb += sel_ok.eq((adr[:2] == 0) | (adr[:2] == lowest))
        word_sel = sel == 0b1111

        # Decode (combinational, for the access being taken).
        cause = Signal(4)           # BusCause if the access ends with ERR now
        is_reg = Signal(len(REGISTERS))
        in_asram = Signal()
        in_window = Signal()
        asram_idx = adr[2:] - (asram_base >> 2)
        m.d.comb += in_asram.eq((adr >= asram_base) & (adr < asram_base + 4 * h.asram_words))
        m.d.comb += in_window.eq((adr >= win.base) & (adr < win.base + win.size))
        win_node = (adr - win.base)[WINDOW_NODE_STRIDE.bit_length() - 1:]
        win_reg = adr[2:WINDOW_NODE_STRIDE.bit_length() - 1]
        for i, r in enumerate(REGISTERS):
            m.d.comb += is_reg[i].eq(adr[2:] == r.offset >> 2)
        reg_idx = {r.name: i for i, r in enumerate(REGISTERS)}

        def hit(name):
            return is_reg[reg_idx[name]]

        # CMD_DATA head checks (when no packet is being written, the word is a head).
        head_in = data.View(head_layout(cfg), dat)
        head_bad = Signal()
        m.d.comb += head_bad.eq((cmd_left == 0) & (
            (head_in.length == 0) | (head_in.length > maxp) |
            (head_in.dest_x >= W) | (head_in.dest_y >= H)))

        with m.If(~sel_ok):
            m.d.comb += cause.eq(BusCause.MISALIGNED)
        with m.Elif(in_asram):
            pass
        with m.Elif(in_window):
            with m.If(~word_sel):
                m.d.comb += cause.eq(BusCause.WORD_ONLY)
            with m.Elif((win_node >= nodes) | (win_node == cfg.host_node)):
                m.d.comb += cause.eq(BusCause.BAD_NODE)
        with m.Elif(~is_reg.any() | (adr >= asram_base)):
            m.d.comb += cause.eq(BusCause.UNMAPPED)
        for r in REGISTERS:
            with m.If(sel_ok & hit(r.name) & (adr < asram_base)):
                if r.access == "RO":
                    with m.If(we):
                        m.d.comb += cause.eq(BusCause.READ_ONLY)
                elif r.access == "WO":
                    with m.If(~we):
                        m.d.comb += cause.eq(BusCause.WRITE_ONLY)
                    with m.Elif(~word_sel):
                        m.d.comb += cause.eq(BusCause.WORD_ONLY)
                    with m.Elif(head_bad):
                        m.d.comb += cause.eq(BusCause.BAD_HEAD)
                elif r.access == "RC":
                    with m.If(we):
                        m.d.comb += cause.eq(BusCause.READ_ONLY)
                    with m.Elif(~word_sel):
                        m.d.comb += cause.eq(BusCause.WORD_ONLY)
                    with m.Elif(~respq.r_rdy):
                        m.d.comb += cause.eq(BusCause.RESP_EMPTY)

        # Read values of the plain registers.
        cw = config_words(cfg)
        status = Cat(cmdq.level == 0, ~cmdq.w_rdy, ~respq.r_rdy, ~respq.w_rdy, cmd_left != 0)
        values = {
            **{k: Const(v, 32) for k, v in cw.items()},
            "SCRATCH": scratch, "CTRL": Const(0, 32), "STATUS": status,
            "IRQ_ENABLE": irq_enable, "IRQ_STATUS": irq_view, "ERR_COUNT": err_count,
            "ERR_CAUSE": Cat(err_cause, Const(0, 4), err_info), "ERR_ADDR": err_addr,
            "CMD_FREE": h.cmd_queue_words - cmdq.level, "RESP_DATA": respq.r_data,
            "RESP_LEVEL": respq.level, "CMD_DATA": Const(0, 32), **counters,
        }
        assert set(values) == {r.name for r in REGISTERS}, set(values) ^ {r.name for r in REGISTERS}
        read_value = Signal(32)
        for r in REGISTERS:
            with m.If(hit(r.name)):
                m.d.comb += read_value.eq(values[r.name])

        # Error log: a bus error or a packet error this cycle.
        log_valid = Signal()
        log_cause = Signal(4)
        log_info = Signal(8)
        log_addr = Signal(32)
        pkt_log_valid = Signal()
        pkt_log_info = Signal(8)
        pkt_log_addr = Signal(32)
        clear_counters = Signal()
        clear_errlog = Signal()

        def log_error(c, info=0, addr=None):
            """Comb statements that log a bus error this cycle (ERR follows from err_r)."""
            w_addr = win.base + w_node * WINDOW_NODE_STRIDE + w_reg * 4
            return [log_valid.eq(1), log_cause.eq(c), log_info.eq(info),
                    log_addr.eq(w_addr if addr is None else addr)]

        # Window state.
        win_state = Signal(2)       # 0 idle, 1 waiting to be sent, 2 waiting for the answer
        w_node = Signal(range(nodes))
        w_reg = Signal(8)
        w_we = Signal()
        w_data = Signal(32)
        w_timer = Signal(range(h.window_timeout + 1))
        w_answer = Signal()         # the receiver took the answer this cycle
        w_answer_err = Signal(8)
        w_answer_val = Signal(32)
        w_answer_bad = Signal()
        w_sent = Signal()           # the sender finished the window packet this cycle

        cmd_wait = Signal()         # a CMD_DATA write waits for space
        cmd_push = Signal()

        with m.If(take):
            m.d.sync += busy.eq(1)
            with m.If(cause != 0):
                m.d.sync += err_r.eq(1)
                m.d.comb += log_error(cause, addr=adr)
            with m.Elif(in_asram):
                m.d.comb += [rd.addr.eq(asram_idx), rd.en.eq(~we)]
                with m.If(we):
                    m.d.comb += [wr.addr.eq(asram_idx), wr.data.eq(dat),
                                 wr.en.eq(sel)]
                m.d.sync += [ack_r.eq(1), rd_asram.eq(~we)]
            with m.Elif(in_window):
                m.d.sync += [win_state.eq(1), w_node.eq(win_node), w_reg.eq(win_reg),
                             w_we.eq(we), w_data.eq(dat), w_timer.eq(0)]
            with m.Else():
                m.d.sync += rdata.eq(read_value)
                with m.If(hit("CMD_DATA")):
                    with m.If(cmdq.w_rdy):
                        m.d.comb += cmd_push.eq(1)
                        m.d.sync += ack_r.eq(1)
                    with m.Else():
                        m.d.sync += [cmd_wait.eq(1), rdata.eq(dat)]
                with m.Else():
                    m.d.sync += ack_r.eq(1)
                    with m.If(hit("RESP_DATA")):
                        m.d.comb += respq.r_en.eq(1)
                    with m.If(we):
                        with m.If(hit("SCRATCH")):
                            m.d.sync += scratch.eq((scratch & ~lane_mask) | wdata)
                        with m.If(hit("IRQ_ENABLE")):
                            m.d.sync += irq_enable.eq((irq_enable & ~lane_mask) | wdata)
                        with m.If(hit("IRQ_STATUS")):
                            m.d.comb += irq_clear.eq(wdata)
                        with m.If(hit("CTRL")):
                            m.d.comb += [clear_counters.eq(wdata[0]),
                                         clear_errlog.eq(wdata[1])]

        # A CMD_DATA write that waited for space.
        with m.If(cmd_wait):
            with m.If(~self.wb_cyc):
                m.d.sync += [cmd_wait.eq(0), busy.eq(0)]
            with m.Elif(cmdq.w_rdy):
                m.d.comb += cmd_push.eq(1)
                m.d.sync += [cmd_wait.eq(0), ack_r.eq(1)]
        push_word = Mux(cmd_wait, rdata, dat)   # a waiting write parked its word in rdata
        push_head = data.View(head_layout(cfg), push_word)
        m.d.comb += [cmdq.w_en.eq(cmd_push), cmdq.w_data.eq(push_word)]
        with m.If(cmd_push):
            with m.If(cmd_left == 0):
                m.d.sync += cmd_left.eq(push_head.length - 1)
                m.d.comb += cmd_done_inc.eq(push_head.length == 1)
            with m.Else():
                m.d.sync += cmd_left.eq(cmd_left - 1)
                m.d.comb += cmd_done_inc.eq(cmd_left == 1)

        # -- window ----------------------------------------------------------------------
        with m.If(win_state == 1):
            with m.If(w_sent):
                m.d.sync += win_state.eq(2)
        with m.If(win_state == 2):
            m.d.sync += w_timer.eq(w_timer + 1)
            with m.If(~self.wb_cyc):
                m.d.sync += [win_state.eq(0), busy.eq(0)]
            with m.Elif(w_answer):
                m.d.sync += win_state.eq(0)
                with m.If(w_answer_bad):
                    m.d.sync += err_r.eq(1)
                    m.d.comb += log_error(BusCause.WINDOW_ERROR, w_answer_err)
                with m.Else():
                    m.d.sync += ack_r.eq(1)
            with m.Elif(w_timer == h.window_timeout - 1):
                m.d.sync += [win_state.eq(0), err_r.eq(1)]
                m.d.comb += log_error(BusCause.WINDOW_TIMEOUT)

        # -- sender: command-queue packets and window requests -----------------------------
        node_x = Array(Const(n % W, 3) for n in range(nodes))
        node_y = Array(Const(n // W, 3) for n in range(nodes))
        q_head = data.View(head_layout(cfg), cmdq.r_data)
        s_left = Signal(range(maxp))
        with m.FSM(name="sender"):
            with m.State("Idle"):
                # Queued packets first: they were all written before the window access
                # (the bus is held while it waits), so packets leave in program order.
                with m.If(cmd_complete != 0):
                    m.next = "Queue-Head"
                with m.Elif(win_state == 1):
                    m.next = "Window-Head"
            with m.State("Queue-Head"):
                m.d.comb += [
                    pk.header.valid.eq(1),
                    pk.header.payload.dest_x.eq(q_head.dest_x),
                    pk.header.payload.dest_y.eq(q_head.dest_y),
                    pk.header.payload.mtype.eq(q_head.mtype),
                    pk.header.payload.words.eq(q_head.length - 1),
                    pk.header.payload.aux.eq(q_head.aux),
                ]
                with m.If(pk.header.ready):
                    m.d.comb += [cmdq.r_en.eq(1), cmd_done_dec.eq(1)]
                    m.d.sync += s_left.eq(q_head.length - 1)
                    with m.If(q_head.length == 1):
                        m.next = "Idle"
                    with m.Else():
                        m.next = "Queue-Body"
            with m.State("Queue-Body"):
                m.d.comb += [pk.words.valid.eq(1), pk.words.payload.eq(cmdq.r_data)]
                with m.If(pk.words.ready):
                    m.d.comb += cmdq.r_en.eq(1)
                    m.d.sync += s_left.eq(s_left - 1)
                    with m.If(s_left == 1):
                        m.next = "Idle"
            with m.State("Window-Head"):
                m.d.comb += [
                    pk.header.valid.eq(1),
                    pk.header.payload.dest_x.eq(node_x[w_node]),
                    pk.header.payload.dest_y.eq(node_y[w_node]),
                    pk.header.payload.mtype.eq(Mux(w_we, MsgType.CSR_WRITE, MsgType.CSR_READ)),
                    pk.header.payload.words.eq(w_we),
                    pk.header.payload.aux.eq(WINDOW_TAG | w_reg),
                ]
                with m.If(pk.header.ready):
                    with m.If(w_we):
                        m.next = "Window-Body"
                    with m.Else():
                        m.d.comb += w_sent.eq(1)
                        m.next = "Idle"
            with m.State("Window-Body"):
                m.d.comb += [pk.words.valid.eq(1), pk.words.payload.eq(w_data)]
                with m.If(pk.words.ready):
                    m.d.comb += w_sent.eq(1)
                    m.next = "Idle"
        with m.If(cmd_done_inc & ~cmd_done_dec):
            m.d.sync += cmd_complete.eq(cmd_complete + 1)
        with m.Elif(cmd_done_dec & ~cmd_done_inc):
            m.d.sync += cmd_complete.eq(cmd_complete - 1)
        m.d.comb += irq_set[Irq.CMD_EMPTY].eq(cmdq.r_en & (cmdq.level == 1) & ~cmdq.w_en)

        # -- receiver ------------------------------------------------------------------------
        dh = dep.header.payload
        raw_head = Signal(head_layout(cfg))
        m.d.comb += [
            raw_head.dest_x.eq(dh.dest_x), raw_head.dest_y.eq(dh.dest_y),
            raw_head.src_x.eq(dh.src_x), raw_head.src_y.eq(dh.src_y),
            raw_head.mtype.eq(dh.mtype), raw_head.length.eq(dh.words + 1),
            raw_head.aux.eq(dh.aux),
        ]
        r_mtype = Signal(4)
        r_src = Signal(8)
        r_off = Signal(16)
        r_first = Signal()          # no word of this data packet was out of range yet
        r_win_idx = Signal()
        is_data = (dh.mtype == MsgType.ACTIVATIONS) | (dh.mtype == MsgType.PARTIAL_SUMS)
        w_match = ((win_state == 2) & (dh.aux == (WINDOW_TAG | w_reg)) &
                   (dh.src_x == node_x[w_node]) & (dh.src_y == node_y[w_node]) &
                   (dh.words == RESPONSE_WORDS) &
                   ((dh.mtype == MsgType.CSR_DATA) | (dh.mtype == MsgType.DONE) |
                    (dh.mtype == MsgType.ERROR)))
        bus_writes_asram = Signal()
        m.d.comb += bus_writes_asram.eq(take & (cause == 0) & in_asram & we)
        dw = dep.words.payload

        def packet_irq(mtype):
            return [resp_inc.eq(1),
                    irq_set[Irq.DONE].eq(mtype == MsgType.DONE),
                    irq_set[Irq.ERROR].eq(mtype == MsgType.ERROR)]

        with m.FSM(name="receiver"):
            with m.State("Head"):
                with m.If(dep.header.valid):
                    m.d.sync += [r_mtype.eq(dh.mtype), r_src.eq(dh.src_y * W + dh.src_x),
                                 r_first.eq(1), r_win_idx.eq(0)]
                    with m.If(is_data):
                        m.d.comb += dep.header.ready.eq(1)
                        with m.If(dh.words == 0):
                            m.d.comb += irq_set[Irq.DATA].eq(1)
                        with m.Else():
                            m.next = "Data-Offset"
                    with m.Elif(w_match):
                        m.d.comb += dep.header.ready.eq(1)
                        m.next = "Window"
                    with m.Else():
                        m.d.comb += [dep.header.ready.eq(respq.w_rdy),
                                     respq.w_en.eq(1), respq.w_data.eq(raw_head)]
                        with m.If(respq.w_rdy):
                            with m.If(dh.words == 0):
                                m.d.comb += packet_irq(dh.mtype)
                            with m.Else():
                                m.next = "Response"
            with m.State("Response"):
                m.d.comb += [dep.words.ready.eq(respq.w_rdy), respq.w_en.eq(dep.words.valid),
                             respq.w_data.eq(dw.data)]
                with m.If(dep.words.valid & respq.w_rdy & dw.last):
                    m.d.comb += packet_irq(r_mtype)
                    m.next = "Head"
            with m.State("Data-Offset"):
                m.d.comb += dep.words.ready.eq(1)
                with m.If(dep.words.valid):
                    m.d.sync += r_off.eq(dw.data[:16])
                    with m.If(dw.last):
                        m.d.comb += irq_set[Irq.DATA].eq(1)
                        m.next = "Head"
                    with m.Else():
                        m.next = "Data"
            with m.State("Data"):
                m.d.comb += dep.words.ready.eq(~bus_writes_asram)
                with m.If(dep.words.valid & ~bus_writes_asram):
                    m.d.sync += r_off.eq(r_off + 1)
                    with m.If(r_off < h.asram_words):
                        m.d.comb += [wr.addr.eq(r_off), wr.data.eq(dw.data), wr.en.eq(0b1111)]
                        m.d.sync += counters["DATA_WORDS"].eq(counters["DATA_WORDS"] + 1)
                    with m.Elif(r_first):
                        m.d.sync += r_first.eq(0)
                        m.d.comb += [pkt_log_valid.eq(1), pkt_log_info.eq(r_src),
                                     pkt_log_addr.eq(r_off)]
                    with m.If(dw.last):
                        m.d.comb += irq_set[Irq.DATA].eq(1)
                        m.next = "Head"
            with m.State("Window"):
                m.d.comb += dep.words.ready.eq(1)
                with m.If(dep.words.valid):
                    m.d.sync += r_win_idx.eq(1)
                    with m.If(~r_win_idx):
                        m.d.sync += w_answer_val.eq(dw.data)
                    with m.If(dw.last):
                        m.d.comb += [w_answer.eq(1), w_answer_bad.eq(r_mtype == MsgType.ERROR),
                                     w_answer_err.eq(dw.data[16:24])]
                        m.next = "Head"
        # The answer's value register is written in the same cycle the bus takes it.
        with m.If(w_answer & ~w_answer_bad & (win_state == 2) & self.wb_cyc):
            m.d.sync += rdata.eq(Mux(r_win_idx, w_answer_val, dw.data))

        # -- error log, interrupts, counters --------------------------------------------------
        errors_now = log_valid.as_unsigned() + pkt_log_valid.as_unsigned()
        with m.If(clear_errlog):
            m.d.sync += [err_count.eq(0), err_cause.eq(0), err_info.eq(0), err_addr.eq(0)]
        with m.Elif(errors_now != 0):
            total = err_count + errors_now
            m.d.sync += err_count.eq(Mux(total[32:].any(), 0xFFFF_FFFF, total[:32]))
            with m.If(log_valid):
                m.d.sync += [err_cause.eq(log_cause), err_info.eq(log_info),
                             err_addr.eq(log_addr)]
            with m.Else():
                m.d.sync += [err_cause.eq(BusCause.ASRAM_RANGE), err_info.eq(pkt_log_info),
                             err_addr.eq(pkt_log_addr)]
        m.d.comb += irq_set[Irq.BUS_ERROR].eq(errors_now != 0)
        m.d.sync += irq_status.eq((irq_status & ~irq_clear) | irq_set)

        # RESP is a level: complete packets in the response queue (pushed minus popped).
        pop_head = data.View(head_layout(cfg), respq.r_data)
        resp_dec = Signal()
        with m.If(respq.r_en):
            with m.If(pop_left == 0):
                m.d.sync += pop_left.eq(pop_head.length - 1)
                m.d.comb += resp_dec.eq(pop_head.length == 1)
            with m.Else():
                m.d.sync += pop_left.eq(pop_left - 1)
                m.d.comb += resp_dec.eq(pop_left == 1)
        with m.If(resp_inc & ~resp_dec):
            m.d.sync += resp_packets.eq(resp_packets + 1)
        with m.Elif(resp_dec & ~resp_inc):
            m.d.sync += resp_packets.eq(resp_packets - 1)

        inject = pk.flits
        eject = dep.flits
        sent = inject.valid & inject.ready
        got = eject.valid & eject.ready
        incs = {
            "CYCLES": 1,
            "BUS_ACKS": self.wb_ack,
            "BUS_ERRS": self.wb_err,
            "PACKETS_OUT": sent & inject.payload.kind[1],
            "FLITS_OUT": sent,
            "PACKETS_IN": got & eject.payload.kind[1],
            "FLITS_IN": got,
        }
        with m.If(clear_counters):
            for c in counters.values():
                m.d.sync += c.eq(0)
        with m.Else():
            for name, inc in incs.items():
                m.d.sync += counters[name].eq(counters[name] + inc)
        return m
