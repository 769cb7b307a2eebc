"""Golden model of the whole chip as the host sees it: bus accesses in, values out.

The host node's registers, queues, activation SRAM and remote-CSR window
(``hdl/spec/regmap.py``), the tile network interfaces (``hdl/spec/host.py``) and one
:class:`~sim.tile.TileModel` per tile. It is transaction-level: a packet completed in the
command queue is delivered, executed and answered at once. The RTL does the same work over
many cycles, so the two agree at every point where the host has waited for what it asked
for (the driver always does: one request outstanding, and each answer taken before the
next request). Tile cycles stay exact: every tile command adds its latency to the tile's
``BUSY`` counter as in ``sim/tile.py``, including the output-stream stalls the NI causes
(2 cycles per extra output packet).

Pure numpy / Python; no Amaranth, no cocotb.
"""

import dataclasses
from collections import deque

from hdl.spec.host import (
    BUFFER_OPS,
    EXPECT_BITS,
    QUEUE_OFFSET,
    RESPONSE_WORDS,
    TILE_COUNTER_BASE,
    TILE_FIELD_BASE,
    WINDOW_TAG,
    Buffer,
    BusCause,
    Irq,
    NiError,
    TileCsr,
    byte_select_ok,
    config_words,
    out_burst,
    pack_info,
    wv_words,
)
from hdl.spec.host import unpack_wv as spec_unpack_wv
from hdl.spec.noc import MsgType, make_head, node_xy, parse_head
from hdl.spec.regmap import (
    ADDR_BITS,
    HOST_COUNTERS,
    REGISTERS,
    WINDOW_NODE_STRIDE,
    region,
    register,
)
from hdl.spec.tile import TILE_COUNTERS, TILE_FIELDS, TileField, TileOp
from hdl.spec.write_verify import WvOp
from sim.tile import TileCommand, TileModel
from sim.write_verify import WvCommand

__all__ = ["ChipModel", "unpack_wv", "ni_stalls"]

M32 = 0xFFFF_FFFF
EXPECT_MASK = (1 << EXPECT_BITS) - 1
_RESPONSES = (MsgType.DONE, MsgType.ERROR, MsgType.CSR_DATA, MsgType.BUF_DATA)
_STATUS = register("STATUS")
_ERR_CAUSE = register("ERR_CAUSE")


def unpack_wv(cfg, words):
    """The :class:`WvCommand` a START_PROGRAM body carries (inverse of ``pack_wv``)."""
    return WvCommand(**spec_unpack_wv(cfg, words))


def ni_stalls(cfg, out_count):
    """Output-stream stall cycles an MVM sees behind the NI: 2 per packet after the first
    (its head and offset word), when the network takes every flit at once."""
    packets = -(-out_count // out_burst(cfg))
    return 2 * max(0, packets - 1)


def _lanes(sel):
    return sum(0xFF << (8 * i) for i in range(4) if sel >> i & 1)


class _TileNi:
    def __init__(self, cfg, node):
        self.tile = TileModel(cfg, node)
        self.requests = 0
        self.rejects = 0
        self.out_packets = 0
        self.expect = 0          # NI_EXPECT: data words that start an MVM (0: off)
        self.arrived = 0         # NI_ARRIVED
        self.owner = None        # the node that wrote NI_EXPECT (answered by those MVMs)


class ChipModel:
    """Bus-level golden model of a chip.

    :meth:`read` and :meth:`write` take a byte address, a byte select and (for writes) the
    data, and return ``(ok, data)`` / ``ok``: ``ok`` is False where the RTL ends the access
    with ERR. ``irq`` is the interrupt output.
    """

    def __init__(self, cfg):
        self.cfg = cfg
        h = cfg.host
        self.nis = {n: _TileNi(cfg, n) for n in cfg.tiles}
        self.scratch = 0
        self.irq_enable = 0
        self.irq_status = 0
        self.err_count = self.err_cause = self.err_info = self.err_addr = 0
        self.counters = dict.fromkeys(HOST_COUNTERS, 0)
        self.cmdq = []           # words of the packet being written
        self.cmd_left = 0
        self.respq = deque()     # words
        self.resp_last = deque()  # per word: it ends a packet
        self.backlog = deque()   # words waiting in the network while the queue is full
        self.asram = [0] * h.asram_words
        self._regs = {r.offset: r for r in REGISTERS}
        self._config = config_words(cfg)

    def tile(self, node):
        return self.nis[node].tile

    @property
    def irq_view(self):
        """IRQ_STATUS as read: RESP is the level "a whole packet is in the response queue"."""
        resp = any(last for last in self.resp_last)
        return self.irq_status & ~1 | int(resp)

    @property
    def irq(self):
        return bool(self.irq_view & self.irq_enable)

    # -- error log ------------------------------------------------------------------------

    def _log(self, cause, addr, info=0):
        self.err_count = min(self.err_count + 1, M32)
        self.err_cause, self.err_info, self.err_addr = int(cause), info, addr
        self.irq_status |= 1 << Irq.BUS_ERROR

    def _end(self, ok, addr, cause=BusCause.NONE, info=0):
        if ok:
            self.counters["BUS_ACKS"] += 1
        else:
            self.counters["BUS_ERRS"] += 1
            self._log(cause, addr, info)
        return ok

    # -- bus --------------------------------------------------------------------------------

    def _decode(self, addr, sel, we):
        """``(kind, detail, cause)``; kind in reg / asram / window / error."""
        addr &= (1 << ADDR_BITS) - 1
        asram, win = region("ASRAM"), region("WINDOW")
        if not byte_select_ok(sel, addr & 3):
            return "error", None, BusCause.MISALIGNED
        if asram.base <= addr < asram.base + 4 * self.cfg.host.asram_words:
            return "asram", (addr - asram.base) >> 2, 0
        if win.base <= addr < win.base + win.size:
            node, reg = (addr - win.base) // WINDOW_NODE_STRIDE, (addr >> 2) & 0xFF
            if sel != 0xF:
                return "error", None, BusCause.WORD_ONLY
            if node >= self.cfg.mesh_width * self.cfg.mesh_height or node == self.cfg.host_node:
                return "error", None, BusCause.BAD_NODE
            return "window", (node, reg), 0
        r = self._regs.get(addr & ~3) if addr < asram.base else None
        if r is None:
            return "error", None, BusCause.UNMAPPED
        if we and r.access in ("RO", "RC"):
            return "error", None, BusCause.READ_ONLY
        if not we and r.access == "WO":
            return "error", None, BusCause.WRITE_ONLY
        if r.access in ("WO", "RC") and sel != 0xF:
            return "error", None, BusCause.WORD_ONLY
        return "reg", r, 0

    def _value(self, name):
        c = self.counters
        h = self.cfg.host
        status = _STATUS.pack(
            CMD_EMPTY=not self.cmdq, CMD_FULL=len(self.cmdq) >= h.cmd_queue_words,
            RESP_EMPTY=not self.respq, RESP_FULL=len(self.respq) >= h.resp_queue_words,
            CMD_PARTIAL=self.cmd_left != 0)
        values = {
            **self._config, "SCRATCH": self.scratch, "CTRL": 0, "STATUS": status,
            "IRQ_ENABLE": self.irq_enable, "IRQ_STATUS": self.irq_view,
            "ERR_COUNT": self.err_count,
            "ERR_CAUSE": _ERR_CAUSE.pack(CAUSE=self.err_cause, INFO=self.err_info),
            "ERR_ADDR": self.err_addr, "CMD_FREE": self.cfg.host.cmd_queue_words - len(self.cmdq),
            "RESP_LEVEL": len(self.respq), "CMD_DATA": 0, **{k: v & M32 for k, v in c.items()},
        }
        return values[name]

    def read(self, addr, sel=0xF):
        addr &= (1 << ADDR_BITS) - 1
        kind, detail, cause = self._decode(addr, sel, False)
        if kind == "error":
            return self._end(False, addr, cause), 0
        if kind == "asram":
            return self._end(True, addr), self.asram[detail]
        if kind == "window":
            node, reg = detail
            return self._window(addr, node, reg, None)
        r = detail
        if r.name == "RESP_DATA":
            if not self.respq:
                return self._end(False, addr, BusCause.RESP_EMPTY), 0
            value = self._pop()
        else:
            value = self._value(r.name)
        return self._end(True, addr), value

    def write(self, addr, value, sel=0xF):
        value &= M32
        addr &= (1 << ADDR_BITS) - 1
        kind, detail, cause = self._decode(addr, sel, True)
        if kind == "error":
            return self._end(False, addr, cause)
        lanes = _lanes(sel)
        if kind == "asram":
            self.asram[detail] = (self.asram[detail] & ~lanes | value & lanes) & M32
            return self._end(True, addr)
        if kind == "window":
            node, reg = detail
            return self._window(addr, node, reg, value)[0]
        name = detail.name
        if name == "CMD_DATA":
            if self.cmd_left == 0 and not self._head_ok(value):
                return self._end(False, addr, BusCause.BAD_HEAD)
            ok = self._end(True, addr)
            self._push(value)
            return ok
        if name == "SCRATCH":
            self.scratch = self.scratch & ~lanes | value & lanes
        elif name == "IRQ_ENABLE":
            self.irq_enable = (self.irq_enable & ~lanes | value & lanes) & ((1 << len(Irq)) - 1)
        elif name == "IRQ_STATUS":
            self.irq_status &= ~(value & lanes)
        elif name == "CTRL":
            v = value & lanes
            if v & 1:
                self.counters = dict.fromkeys(self.counters, 0)
            if v & 2:
                self.err_count = self.err_cause = self.err_info = self.err_addr = 0
        return self._end(True, addr)

    # -- command queue -------------------------------------------------------------------

    def _head_ok(self, word):
        h = parse_head(self.cfg, word)
        return (1 <= h["length"] <= self.cfg.noc.max_packet_flits
                and h["dest_x"] < self.cfg.mesh_width and h["dest_y"] < self.cfg.mesh_height)

    def _push(self, word):
        self.cmdq.append(word)
        if self.cmd_left == 0:
            self.cmd_left = parse_head(self.cfg, word)["length"] - 1
        else:
            self.cmd_left -= 1
        if self.cmd_left == 0:
            head, body = self.cmdq[0], self.cmdq[1:]
            self.cmdq = []
            h = parse_head(self.cfg, head)
            self.irq_status |= 1 << Irq.CMD_EMPTY
            self._route(self.cfg.host_node, h["dest_y"] * self.cfg.mesh_width + h["dest_x"],
                        h["mtype"], h["aux"], body)

    # -- network --------------------------------------------------------------------------

    def _route(self, src, dest, mtype, aux, body):
        """Deliver a packet (and everything it causes)."""
        if src == self.cfg.host_node:
            self.counters["PACKETS_OUT"] += 1
            self.counters["FLITS_OUT"] += 1 + len(body)
        if dest == self.cfg.host_node:
            self._host_receive(src, dest, mtype, aux, body)
        else:
            for p in self._ni(dest, src, mtype, aux, body):
                self._route(dest, *p)

    def _host_receive(self, src, dest, mtype, aux, body):
        cfg = self.cfg
        self.counters["PACKETS_IN"] += 1
        self.counters["FLITS_IN"] += 1 + len(body)
        if mtype in (MsgType.ACTIVATIONS, MsgType.PARTIAL_SUMS) and body and \
                body[0] & QUEUE_OFFSET:
            # To the response queue, whole, like an answer.
            pass
        elif mtype in (MsgType.ACTIVATIONS, MsgType.PARTIAL_SUMS):
            if body:
                offset, first = body[0] & 0xFFFF, True
                for i, v in enumerate(body[1:]):
                    a = (offset + i) & 0xFFFF
                    if a < cfg.host.asram_words:
                        self.asram[a] = v & M32
                        self.counters["DATA_WORDS"] += 1
                    elif first:
                        first = False
                        self.err_count = min(self.err_count + 1, M32)
                        self.err_cause, self.err_info, self.err_addr = \
                            int(BusCause.ASRAM_RANGE), src, a
                        self.irq_status |= 1 << Irq.BUS_ERROR
            self.irq_status |= 1 << Irq.DATA
            return
        sx, sy = node_xy(cfg, src)
        dx, dy = node_xy(cfg, dest)
        head = make_head(cfg, dest_x=dx, dest_y=dy, src_x=sx, src_y=sy, mtype=mtype,
                         length=1 + len(body), aux=aux)
        words = [head] + list(body)
        for i, w in enumerate(words):
            self.backlog.append((w & M32, i == len(words) - 1, mtype))
        self._drain()

    def _drain(self):
        while self.backlog and len(self.respq) < self.cfg.host.resp_queue_words:
            word, last, mtype = self.backlog.popleft()
            self.respq.append(word)
            self.resp_last.append(last)
            if last:
                if mtype == MsgType.DONE:
                    self.irq_status |= 1 << Irq.DONE
                if mtype == MsgType.ERROR:
                    self.irq_status |= 1 << Irq.ERROR

    def _pop(self):
        word = self.respq.popleft()
        self.resp_last.popleft()
        self._drain()
        return word

    def _window(self, addr, node, reg, value):
        aux = WINDOW_TAG | reg
        mtype = MsgType.CSR_READ if value is None else MsgType.CSR_WRITE
        body = [] if value is None else [value]
        self.counters["PACKETS_OUT"] += 1
        self.counters["FLITS_OUT"] += 1 + len(body)
        answer = None
        for p in self._ni(node, self.cfg.host_node, mtype, aux, body):
            dest, rmtype, raux, rbody = p
            if (answer is None and dest == self.cfg.host_node and raux == aux
                    and rmtype in (MsgType.CSR_DATA, MsgType.DONE, MsgType.ERROR)
                    and len(rbody) == RESPONSE_WORDS):
                self.counters["PACKETS_IN"] += 1
                self.counters["FLITS_IN"] += 1 + len(rbody)
                answer = (rmtype, rbody)
            else:
                self._route(node, *p)
        rmtype, rbody = answer
        if rmtype == MsgType.ERROR:
            return self._end(False, addr, BusCause.WINDOW_ERROR, (rbody[1] >> 16) & 0xFF), 0
        return self._end(True, addr), rbody[0]

    # -- tile network interface -----------------------------------------------------------

    def _ni(self, node, src, mtype, aux, body):
        """Execute one packet at tile ``node``, then the MVMs its data words start; return
        the packets it sends ``[(dest, mtype, aux, body)]`` in order."""
        out = self._ni_packet(node, src, mtype, aux, body)
        ni = self.nis[node]
        while ni.expect and ni.arrived >= ni.expect:
            ni.arrived -= ni.expect
            _, value, packets = self._mvm(ni)
            out += packets
            out.append((ni.owner, MsgType.DONE, 0,
                        [value & M32, pack_info(value, 0, MsgType.START_MVM)]))
        return out

    def _mvm(self, ni):
        """Run the tile's MVM: (error, value, its output packets)."""
        cfg, tile, out = self.cfg, ni.tile, []
        n_out = tile.desc[TileField.OUT_COUNT]
        r = tile.execute(TileCommand(TileOp.MVM), ni_stalls(cfg, n_out))
        burst = out_burst(cfg)
        outs = list(r.outputs)
        for k in range(0, len(outs), burst):
            chunk = outs[k:k + burst]
            o = chunk[0]
            dmt = MsgType.PARTIAL_SUMS if o.kind else MsgType.ACTIVATIONS
            out.append((o.dest, dmt, 0, [o.offset] + [v.value & M32 for v in chunk]))
            ni.out_packets += 1
        return int(r.error), int(r.value), out

    def _ni_packet(self, node, src, mtype, aux, body):
        """Execute one packet at tile ``node``; return the packets it sends."""
        cfg, ni = self.cfg, self.nis[node]
        tile = ni.tile
        ni.requests += 1
        mtype = int(mtype)
        reg = aux & 0xFF
        err, err_idx, count, value = 0, 0, 0, 0
        out = []

        def reject(code):
            ni.rejects += 1
            return int(code)

        def run(cmd, stalls=0):
            r = tile.execute(cmd, stalls)
            return int(r.error), int(r.value), r

        if mtype == MsgType.BUF_WRITE and aux > max(Buffer):
            err = reject(NiError.BAD_ADDRESS)
        if mtype in (MsgType.BUF_WRITE, MsgType.ACTIVATIONS, MsgType.PARTIAL_SUMS) and body:
            if mtype == MsgType.ACTIVATIONS:
                op = TileOp.WRITE_INPUT
            elif mtype == MsgType.PARTIAL_SUMS:
                op = TileOp.WRITE_PSUM
            else:
                op = BUFFER_OPS.get(aux)
            start = body[0]
            for i, w in enumerate(body[1:]):
                if err:
                    continue
                if mtype == MsgType.ACTIVATIONS:
                    w &= (1 << cfg.input_bits) - 1
                if op == TileOp.WV:
                    # A TARGETS word: the engine's WRITE_TARGET of cell start + i (every
                    # other command field zero, as the NI builds it).
                    e, _, _ = run(TileCommand(op, wv=dataclasses.replace(
                        unpack_wv(cfg, [0] * wv_words(cfg)), op=WvOp.WRITE_TARGET,
                        addr=(start + i) & 0xFFFF, value=w & 0xFFFF)))
                else:
                    e, _, _ = run(TileCommand(op, (start + i) & 0xFFFF, w & M32))
                if e:
                    err, err_idx = e, i
                else:
                    count += 1
            if mtype != MsgType.BUF_WRITE:
                ni.arrived = (ni.arrived + count) & EXPECT_MASK

        if mtype == MsgType.CSR_READ:
            if body:
                err = reject(NiError.BAD_LENGTH)
            elif reg < TILE_FIELD_BASE + TILE_FIELDS:
                err, value, _ = run(TileCommand(TileOp.READ_CONFIG, reg))
            elif TILE_COUNTER_BASE <= reg < TILE_COUNTER_BASE + TILE_COUNTERS:
                err, value, _ = run(TileCommand(TileOp.READ_COUNTER, reg - TILE_COUNTER_BASE))
            elif reg in iter(TileCsr):
                value = {TileCsr.NODE: node, TileCsr.NI_REQUESTS: ni.requests,
                         TileCsr.NI_REJECTS: ni.rejects,
                         TileCsr.NI_OUT_PACKETS: ni.out_packets,
                         TileCsr.NI_EXPECT: ni.expect,
                         TileCsr.NI_ARRIVED: ni.arrived}[TileCsr(reg)]
            else:
                err = reject(NiError.BAD_ADDRESS)
        elif mtype == MsgType.CSR_WRITE:
            if len(body) != 1:
                err = reject(NiError.BAD_LENGTH)
            elif reg < TILE_FIELD_BASE + TILE_FIELDS:
                err, value, _ = run(TileCommand(TileOp.CONFIG, reg, body[0]))
            elif reg == TileCsr.NI_EXPECT:
                if body[0] >> EXPECT_BITS:
                    err = reject(NiError.BAD_VALUE)
                else:
                    ni.expect, ni.arrived, ni.owner = body[0], 0, src
            else:
                err = reject(NiError.BAD_ADDRESS)
        elif mtype == MsgType.START_MVM:
            if body:
                err = reject(NiError.BAD_LENGTH)
            else:
                err, value, packets = self._mvm(ni)
                out += packets
        elif mtype == MsgType.START_PROGRAM:
            if len(body) != wv_words(cfg):
                err = reject(NiError.BAD_LENGTH)
            else:
                err, value, _ = run(TileCommand(TileOp.WV, wv=unpack_wv(cfg, body)))
        elif mtype == MsgType.BUF_WRITE:
            if not body:
                err = reject(NiError.BAD_LENGTH)
            elif err:
                value = err_idx
            else:
                value = count
        elif mtype in (MsgType.ACTIVATIONS, MsgType.PARTIAL_SUMS) or mtype in _RESPONSES:
            if mtype in _RESPONSES or not body or err:
                ni.rejects += 1
            return out
        else:
            err = reject(NiError.BAD_TYPE)

        if err:
            rmtype = MsgType.ERROR
        elif mtype == MsgType.CSR_READ:
            rmtype = MsgType.CSR_DATA
        else:
            rmtype = MsgType.DONE
        out.append((src, rmtype, aux, [value & M32, pack_info(value, err, mtype)]))
        return out
