"""A tile on the network: the compute tile behind its network interface (NI).

The NI turns request packets into tile commands and answers each request with one 3-flit
response packet to its source; it turns the MVM outputs into ACTIVATIONS / PARTIAL_SUMS
packets. The protocol is in ``hdl/spec/host.py`` and ``docs/host.md``.

* One request at a time, in arrival order (:class:`NiExecutor`, which asks
  :class:`NiRequestDecoder` what a request does once its body is in). A request's body
  words are taken as they are used, so a BUF_WRITE streams into the tile without a buffer.
* The output sender (:class:`NiOutputSender`) keeps a shadow of the descriptor fields that
  shape the outputs (DEST, OFFSET, OUT_COUNT, OUT_RAW), updated when a CONFIG the NI
  forwarded succeeds. At START_MVM it knows how many outputs will come and where they go,
  so it sends each packet's head and offset word before the outputs exist and then passes
  the outputs straight through: no output buffer, and no output-stream stall except 2
  cycles between packets when one MVM needs more than one (``out_burst`` outputs per
  packet).
* The responder (:class:`NiResponder`) sends the response packet. It and the output sender
  share the packetizer; they never offer at the same time.
* Data packets (ACTIVATIONS, PARTIAL_SUMS) write the input / partial-sum buffer and are
  not answered; a bad one (an element out of range, no offset word) counts in
  ``NI_REJECTS``. Responses sent to a tile are sunk and counted the same way.
"""

import enum

from amaranth.hdl import Module, Mux, Signal, Value
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hdl.common import node_coordinates, send_head, send_word
from hdl.noc import NocDepacketizer, NocPacketizer, flit_layout, message_header_layout
from hdl.spec.host import (
    BUFFER_OPS,
    EXPECT_BITS,
    RESPONSE_WORDS,
    TILE_COUNTER_BASE,
    TILE_FIELD_BASE,
    Buffer,
    NiError,
    TileCsr,
    check_host_config,
    out_burst,
    pack_info,
    wv_words,
)
from hdl.spec.noc import COORD_BITS, MsgType, length_bits, node_xy
from hdl.spec.tile import (
    ADDR_BITS,
    RESPONSE_VALUE_BITS,
    TILE_COUNTERS,
    TILE_FIELDS,
    TileField,
    TileOp,
    field_defaults,
)
from hdl.spec.write_verify import WvOp
from hdl.tile import Tile, tile_command_layout, tile_output_layout, tile_response_layout

__all__ = [
    "TileNode", "NODE_BITS", "NiExecutor", "NiRequestDecoder", "NiOutputSender", "NiResponder",
]

#: Bits of a NoC payload word the NI reads and writes (the host protocol's word).
WORD_BITS = 32


class NiAction(enum.IntEnum):
    """What the NI does with a request once its body is in."""

    DROP = 0      # a data packet (or a response sent to a tile): nothing to answer
    COMMAND = 1   # issue one tile command, answer with its response
    MVM = 2       # issue the MVM, send its outputs, answer with its response
    RESPOND = 3   # answer at once (an NI CSR, a BUF_WRITE's result, an NI error)
    EXPECT = 4    # CSR_WRITE of NI_EXPECT: arm the data-started MVMs, then answer


def _word_layout(cfg):
    """A body word from the depacketizer."""
    return data.StructLayout({"data": cfg.noc.flit_payload_bits, "last": 1})


def _config_layout():
    """A CONFIG the tile accepted: the field and its new value."""
    return data.StructLayout({"field": ADDR_BITS, "value": WORD_BITS})


def _response_layout(cfg):
    """What the responder needs to answer a request."""
    return data.StructLayout({
        "dest_x": COORD_BITS, "dest_y": COORD_BITS,
        "aux": message_header_layout(cfg)["aux"].shape,
        "value": RESPONSE_VALUE_BITS, "error": NiError, "request": MsgType,
    })


class NiRequestDecoder(wiring.Component):
    """What a request does once its body is in (combinational): the tile command it
    becomes, or the NI's own answer.

    Parameters
    ----------
    cfg : ChipConfig
    node : int or Value
        The tile's node (``TileCsr.NODE``): an int, or the shared tile node's ``node`` port.

    Attributes
    ----------
    mtype, words, aux : In
        The request's type, body length and ``aux`` (its register is ``aux[7:0]``).
    err, err_idx, count : In
        First error of a streamed body, the element it hit, the elements written.
    requests, rejects, out_packets : In(32)
        The NI's counters (NI CSRs).
    expect, arrived : In(EXPECT_BITS)
        NI_EXPECT and NI_ARRIVED.
    first : In(32)
        The request's first body word (a CSR_WRITE's value).
    stream : Out(1)
        The request streams its body words into the tile (one command per element after
        the start word): BUF_WRITE, ACTIVATIONS, PARTIAL_SUMS.
    stream_op : Out(TileOp)
        The command of each streamed element.
    action : Out(NiAction)
    op : Out(TileOp)
    addr : Out(8)
        The tile command (COMMAND, MVM).
    error : Out(NiError)
        The NI's error for the response (NONE: keep the request's).
    count_reject : Out(1)
        Count the request in ``NI_REJECTS``.
    value : Out(32)
        The response value of a RESPOND (an NI CSR, a BUF_WRITE's result); 0 otherwise.
    """

    def __init__(self, cfg, node):
        self._cfg, self._node = cfg, node
        super().__init__({
            "mtype": In(MsgType),
            "words": In(length_bits(cfg)),
            "aux": In(message_header_layout(cfg)["aux"].shape),
            "err": In(NiError),
            "err_idx": In(32),
            "count": In(32),
            "requests": In(32),
            "rejects": In(32),
            "out_packets": In(32),
            "expect": In(EXPECT_BITS),
            "arrived": In(EXPECT_BITS),
            "first": In(32),
            "stream": Out(1),
            "stream_op": Out(TileOp),
            "action": Out(NiAction),
            "op": Out(TileOp),
            "addr": Out(8),
            "error": Out(NiError),
            "count_reject": Out(1),
            "value": Out(32),
        })

    def elaborate(self, platform):
        m = Module()
        mt, reg, words = self.mtype, self.aux[:8], self.words

        m.d.comb += self.stream.eq((mt == MsgType.BUF_WRITE) | (mt == MsgType.ACTIVATIONS) |
                                   (mt == MsgType.PARTIAL_SUMS))
        with m.Switch(mt):
            with m.Case(MsgType.ACTIVATIONS):
                m.d.comb += self.stream_op.eq(TileOp.WRITE_INPUT)
            with m.Case(MsgType.PARTIAL_SUMS):
                m.d.comb += self.stream_op.eq(TileOp.WRITE_PSUM)
            with m.Default():
                with m.Switch(self.aux):
                    for b, op in BUFFER_OPS.items():
                        with m.Case(b):
                            m.d.comb += self.stream_op.eq(op)

        def command(op, addr=0, action=NiAction.COMMAND):
            m.d.comb += [self.action.eq(action), self.op.eq(op), self.addr.eq(addr)]

        def respond(error=NiError.NONE, value=0):
            m.d.comb += [self.action.eq(NiAction.RESPOND), self.value.eq(value)]
            if error != NiError.NONE:
                m.d.comb += [self.error.eq(error), self.count_reject.eq(1)]

        with m.Switch(mt):
            with m.Case(MsgType.CSR_READ):
                with m.If(words != 0):
                    respond(NiError.BAD_LENGTH)
                with m.Elif(reg < TILE_FIELD_BASE + TILE_FIELDS):
                    command(TileOp.READ_CONFIG, reg)
                with m.Elif((reg >= TILE_COUNTER_BASE) &
                            (reg < TILE_COUNTER_BASE + TILE_COUNTERS)):
                    command(TileOp.READ_COUNTER, reg - TILE_COUNTER_BASE)
                with m.Else():
                    with m.Switch(reg):
                        for csr, value in ((TileCsr.NODE, self._node),
                                           (TileCsr.NI_REQUESTS, self.requests),
                                           (TileCsr.NI_REJECTS, self.rejects),
                                           (TileCsr.NI_OUT_PACKETS, self.out_packets),
                                           (TileCsr.NI_EXPECT, self.expect),
                                           (TileCsr.NI_ARRIVED, self.arrived)):
                            with m.Case(csr):
                                respond(value=value)
                        with m.Default():
                            respond(NiError.BAD_ADDRESS)
            with m.Case(MsgType.CSR_WRITE):
                with m.If(words != 1):
                    respond(NiError.BAD_LENGTH)
                with m.Elif(reg < TILE_FIELD_BASE + TILE_FIELDS):
                    command(TileOp.CONFIG, reg)
                with m.Elif(reg == TileCsr.NI_EXPECT):
                    with m.If(self.first >> EXPECT_BITS != 0):
                        respond(NiError.BAD_VALUE)
                    with m.Else():
                        m.d.comb += self.action.eq(NiAction.EXPECT)
                with m.Else():
                    respond(NiError.BAD_ADDRESS)
            with m.Case(MsgType.START_MVM):
                with m.If(words != 0):
                    respond(NiError.BAD_LENGTH)
                with m.Else():
                    command(TileOp.MVM, action=NiAction.MVM)
            with m.Case(MsgType.START_PROGRAM):
                with m.If(words != wv_words(self._cfg)):
                    respond(NiError.BAD_LENGTH)
                with m.Else():
                    command(TileOp.WV)
            with m.Case(MsgType.BUF_WRITE):
                with m.If(words == 0):
                    respond(NiError.BAD_LENGTH)
                with m.Elif(self.err != NiError.NONE):
                    respond(value=self.err_idx)
                with m.Else():
                    respond(value=self.count)
            with m.Case(MsgType.ACTIVATIONS, MsgType.PARTIAL_SUMS):
                m.d.comb += [self.action.eq(NiAction.DROP),
                             self.count_reject.eq((words == 0) | (self.err != NiError.NONE))]
            with m.Case(MsgType.DONE, MsgType.ERROR, MsgType.CSR_DATA, MsgType.BUF_DATA):
                m.d.comb += [self.action.eq(NiAction.DROP), self.count_reject.eq(1)]
            with m.Default():
                respond(NiError.BAD_TYPE)
        return m


class NiExecutor(wiring.Component):
    """Takes one request at a time: its body words (a streamed BUF_WRITE / ACTIVATIONS /
    PARTIAL_SUMS becomes one tile command per word), then the tile command it becomes, then
    the response.

    Parameters
    ----------
    cfg : ChipConfig
    node : int or Value
        The tile's node (for :class:`NiRequestDecoder`).

    Attributes
    ----------
    header, words : In
        The depacketizer's header and body words.
    tile_cmd : Out(stream.Signature(tile_command_layout(cfg)))
    tile_resp : In(stream.Signature(tile_response_layout(cfg)))
    config : Out(stream.Signature(_config_layout()))
        A CONFIG the tile accepted (to the output sender's shadow; always taken).
    mvm_start : Out(1)
        The tile accepted START_MVM's command: the output sender starts.
    outputs_busy : In(1)
        The output sender still has outputs to send.
    out_packets : In(32)
        The output sender's packet count (NI_OUT_PACKETS).
    respond : Out(stream.Signature(_response_layout(cfg)))
        The response to send.

    **Data-started MVMs.** Once NI_EXPECT = E > 0 is written, every E data words (the
    elements of ACTIVATIONS and PARTIAL_SUMS packets the tile accepted) start an MVM by
    themselves, before the NI takes its next packet, and the MVM is answered (DONE, request
    type START_MVM, aux 0) to the node that wrote NI_EXPECT. The trigger travels with the
    data, so the next image's data cannot overtake it. Writing NI_EXPECT zeroes NI_ARRIVED.
    """

    def __init__(self, cfg, node):
        self._cfg, self._node = cfg, node
        super().__init__({
            "header": In(stream.Signature(message_header_layout(cfg))),
            "words": In(stream.Signature(_word_layout(cfg))),
            "tile_cmd": Out(stream.Signature(tile_command_layout(cfg))),
            "tile_resp": In(stream.Signature(tile_response_layout(cfg))),
            "config": Out(stream.Signature(_config_layout())),
            "mvm_start": Out(1),
            "outputs_busy": In(1),
            "out_packets": In(32),
            "respond": Out(stream.Signature(_response_layout(cfg))),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        nwv = wv_words(cfg)
        hdr, w, tc, tr = self.header.payload, self.words.payload, self.tile_cmd, self.tile_resp
        m.submodules.decoder = dec = NiRequestDecoder(cfg, self._node)

        # -- request registers ------------------------------------------------------------
        src_x, src_y = Signal(COORD_BITS), Signal(COORD_BITS)
        mt = Signal(MsgType)
        aux, n_words = Signal.like(hdr.aux), Signal.like(hdr.words)
        idx = Signal.like(hdr.words)            # body words taken
        last = Signal()                         # the word being executed was the last
        first = Signal(WORD_BITS)               # BUF_WRITE start, data offset, CSR_WRITE value
        err = Signal(NiError)                   # response error (first one of a stream)
        err_idx, count = Signal(32), Signal(32)
        val = Signal(RESPONSE_VALUE_BITS)
        wv_buf = Signal(nwv * WORD_BITS)
        cmd_op, cmd_addr = Signal(TileOp), Signal(8)
        requests, rejects = Signal(32), Signal(32)
        expect, arrived = Signal(EXPECT_BITS), Signal(EXPECT_BITS)
        owner_x, owner_y = Signal(COORD_BITS), Signal(COORD_BITS)   # who wrote NI_EXPECT
        fire = (expect != 0) & (arrived >= expect)

        stream_value = Mux(mt == MsgType.ACTIVATIONS, w.data & ((1 << cfg.input_bits) - 1),
                           w.data)

        r = self.respond.payload
        m.d.comb += [
            dec.mtype.eq(mt), dec.words.eq(n_words), dec.aux.eq(aux), dec.err.eq(err),
            dec.err_idx.eq(err_idx), dec.count.eq(count), dec.requests.eq(requests),
            dec.rejects.eq(rejects), dec.out_packets.eq(self.out_packets),
            dec.expect.eq(expect), dec.arrived.eq(arrived), dec.first.eq(first),
            # The tile command: the decoded one (or the streamed word in Body).
            tc.payload.op.eq(cmd_op), tc.payload.addr.eq(cmd_addr), tc.payload.value.eq(first),
            tc.payload.wv.as_value().eq(wv_buf[:len(tc.payload.wv.as_value())]),
            self.config.payload.field.eq(cmd_addr), self.config.payload.value.eq(first),
            r.dest_x.eq(src_x), r.dest_y.eq(src_y), r.aux.eq(aux), r.value.eq(val),
            r.error.eq(err), r.request.eq(mt),
        ]

        with m.FSM(name="ni"):
            with m.State("Idle"):
                with m.If(fire):
                    # A data-started MVM, answered to the node that armed it.
                    m.d.sync += [
                        src_x.eq(owner_x), src_y.eq(owner_y), mt.eq(MsgType.START_MVM),
                        aux.eq(0), err.eq(0), val.eq(0), cmd_op.eq(TileOp.MVM),
                        arrived.eq(arrived - expect),
                    ]
                    m.next = "Mvm-Issue"
                with m.Else():
                    m.d.comb += self.header.ready.eq(1)
                with m.If(~fire & self.header.valid):
                    m.d.sync += [
                        src_x.eq(hdr.src_x), src_y.eq(hdr.src_y), mt.eq(hdr.mtype),
                        aux.eq(hdr.aux), n_words.eq(hdr.words), idx.eq(0), err.eq(0),
                        err_idx.eq(0), count.eq(0), val.eq(0), requests.eq(requests + 1),
                    ]
                    # A BUF_WRITE to a buffer that does not exist executes nothing.
                    with m.If((hdr.mtype == MsgType.BUF_WRITE) & (hdr.aux > max(Buffer))):
                        m.d.sync += [err.eq(NiError.BAD_ADDRESS), rejects.eq(rejects + 1)]
                    m.next = "Body"
                    with m.If(hdr.words == 0):
                        m.next = "Exec"

            with m.State("Body"):
                with m.If(dec.stream & (idx != 0) & (err == NiError.NONE)):
                    # One tile command per data word; the word is taken with the command.
                    m.d.comb += [
                        tc.valid.eq(self.words.valid),
                        tc.payload.op.eq(dec.stream_op),
                        tc.payload.addr.eq(first + idx - 1),
                        tc.payload.value.eq(stream_value),
                        self.words.ready.eq(tc.ready),
                    ]
                    with m.If(dec.stream_op == TileOp.WV):
                        # A TARGETS word: the engine's WRITE_TARGET of cell start + i.
                        wv = tc.payload.wv
                        m.d.comb += [wv.as_value().eq(0), wv.op.eq(WvOp.WRITE_TARGET),
                                     wv.addr.eq(first + idx - 1), wv.value.eq(w.data)]
                    with m.If(self.words.valid & tc.ready):
                        m.d.sync += [idx.eq(idx + 1), last.eq(w.last)]
                        m.next = "Stream-Wait"
                with m.Else():
                    m.d.comb += self.words.ready.eq(1)
                    with m.If(self.words.valid):
                        m.d.sync += idx.eq(idx + 1)
                        with m.If(idx == 0):
                            m.d.sync += first.eq(w.data)
                        with m.If((mt == MsgType.START_PROGRAM) & (idx < nwv)):
                            sel = idx[:max(1, (nwv - 1).bit_length())]
                            m.d.sync += wv_buf.word_select(sel, WORD_BITS).eq(w.data)
                        with m.If(w.last):
                            m.next = "Exec"

            with m.State("Stream-Wait"):
                m.d.comb += tr.ready.eq(1)
                with m.If(tr.valid):
                    with m.If(tr.payload.error != 0):
                        m.d.sync += [err.eq(tr.payload.error), err_idx.eq(idx - 2)]
                    with m.Else():
                        m.d.sync += count.eq(count + 1)
                        with m.If(mt != MsgType.BUF_WRITE):
                            m.d.sync += arrived.eq(arrived + 1)
                    m.next = "Body"
                    with m.If(last):
                        m.next = "Exec"

            with m.State("Exec"):
                m.d.sync += [cmd_op.eq(dec.op), cmd_addr.eq(dec.addr), val.eq(dec.value)]
                with m.If(dec.error != NiError.NONE):
                    m.d.sync += err.eq(dec.error)
                with m.If(dec.count_reject):
                    m.d.sync += rejects.eq(rejects + 1)
                with m.Switch(dec.action):
                    for action, state in ((NiAction.DROP, "Idle"), (NiAction.COMMAND, "Command"),
                                          (NiAction.MVM, "Mvm-Issue"),
                                          (NiAction.RESPOND, "Respond")):
                        with m.Case(action):
                            m.next = state
                    with m.Case(NiAction.EXPECT):
                        m.d.sync += [expect.eq(first), arrived.eq(0), owner_x.eq(src_x),
                                     owner_y.eq(src_y)]
                        m.next = "Respond"

            with m.State("Command"):
                m.d.comb += tc.valid.eq(1)
                with m.If(tc.ready):
                    m.next = "Wait"

            with m.State("Wait"):
                m.d.comb += tr.ready.eq(1)
                with m.If(tr.valid):
                    m.d.sync += [val.eq(tr.payload.value), err.eq(tr.payload.error)]
                    m.d.comb += self.config.valid.eq((cmd_op == TileOp.CONFIG) &
                                                     (tr.payload.error == 0))
                    m.next = "Respond"

            with m.State("Mvm-Issue"):
                m.d.comb += tc.valid.eq(1)
                with m.If(tc.ready):
                    m.d.comb += self.mvm_start.eq(1)
                    m.next = "Mvm-Out"

            with m.State("Mvm-Out"):
                with m.If(~self.outputs_busy):
                    m.next = "Wait"

            with m.State("Respond"):
                m.d.comb += self.respond.valid.eq(1)
                with m.If(self.respond.ready):
                    m.next = "Idle"
        return m


class NiOutputSender(wiring.Component):
    """Sends one MVM's outputs as ACTIVATIONS / PARTIAL_SUMS packets of at most
    ``out_burst`` values, each headed by its offset word; keeps the shadow of the descriptor
    fields that shape them.

    Attributes
    ----------
    config : In(stream.Signature(_config_layout()))
        A CONFIG the tile accepted (always taken).
    start : In(1)
        The tile accepted an MVM: send ``OUT_COUNT`` outputs from ``OFFSET`` to ``DEST``.
    busy : Out(1)
        Outputs are left to send.
    tile_out : In(stream.Signature(tile_output_layout(cfg)))
    header : Out(stream.Signature(message_header_layout(cfg)))
    words : Out(stream.Signature(32))
        To the packetizer.
    packets : Out(32)
        Packets sent (NI_OUT_PACKETS).
    """

    def __init__(self, cfg):
        self._cfg = cfg
        super().__init__({
            "config": In(stream.Signature(_config_layout())),
            "start": In(1),
            "busy": Out(1),
            "tile_out": In(stream.Signature(tile_output_layout(cfg))),
            "header": Out(stream.Signature(message_header_layout(cfg))),
            "words": Out(stream.Signature(cfg.noc.flit_payload_bits)),
            "packets": Out(32),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        burst = out_burst(cfg)
        defaults = field_defaults(cfg)
        node_x, node_y = node_coordinates(cfg, COORD_BITS)
        dest = Signal(range(cfg.mesh_width * cfg.mesh_height), init=defaults[TileField.DEST])
        offset = Signal(16, init=defaults[TileField.OFFSET])
        out_count = Signal(range(cfg.array.pairs + 1), init=defaults[TileField.OUT_COUNT])
        raw = Signal(init=defaults[TileField.OUT_RAW])
        left = Signal(range(cfg.array.pairs + 1))   # outputs still to send (none at reset)
        n = Signal(range(burst + 1))            # outputs still to send in this packet
        off = Signal(16)                        # offset of the next output

        c, o = self.config, self.tile_out
        m.d.comb += [c.ready.eq(1), self.busy.eq(left != 0)]
        with m.If(c.valid):
            with m.Switch(c.payload.field):
                for f, shadow in ((TileField.DEST, dest), (TileField.OFFSET, offset),
                                  (TileField.OUT_COUNT, out_count), (TileField.OUT_RAW, raw)):
                    with m.Case(f):
                        m.d.sync += shadow.eq(c.payload.value)
        with m.If(self.start):
            m.d.sync += [left.eq(out_count), off.eq(offset)]

        with m.FSM(name="ni_out"):
            with m.State("Head"):
                size = Mux(left > burst, burst, left)
                with m.If(left != 0):
                    mtype = Mux(raw, MsgType.PARTIAL_SUMS, MsgType.ACTIVATIONS)
                    with m.If(send_head(m, self.header, dest_x=node_x[dest], dest_y=node_y[dest],
                                        mtype=mtype, words=size + 1)):
                        m.d.sync += n.eq(size)
                        m.next = "Offset"

            with m.State("Offset"):
                with m.If(send_word(m, self.words, off)):
                    m.next = "Values"

            with m.State("Values"):
                m.d.comb += [
                    self.words.valid.eq(o.valid),
                    self.words.payload.eq(o.payload.value.as_signed()),
                    o.ready.eq(self.words.ready),
                ]
                with m.If(o.valid & self.words.ready):
                    m.d.sync += [n.eq(n - 1), left.eq(left - 1), off.eq(off + 1)]
                    with m.If(n == 1):
                        m.d.sync += self.packets.eq(self.packets + 1)
                        m.next = "Head"
        return m


class NiResponder(wiring.Component):
    """Sends a response packet: head (the request's ``aux`` echoed), ``value[31:0]`` and the
    info word (``hdl.spec.host.pack_info``); ``send`` is taken with the last word.

    Attributes
    ----------
    send : In(stream.Signature(_response_layout(cfg)))
    header : Out(stream.Signature(message_header_layout(cfg)))
    words : Out(stream.Signature(32))
    """

    def __init__(self, cfg):
        self._cfg = cfg
        super().__init__({
            "send": In(stream.Signature(_response_layout(cfg))),
            "header": Out(stream.Signature(message_header_layout(cfg))),
            "words": Out(stream.Signature(cfg.noc.flit_payload_bits)),
        })

    def elaborate(self, platform):
        m = Module()
        p = self.send.payload
        mtype = Mux(p.error != NiError.NONE, MsgType.ERROR,
                    Mux(p.request == MsgType.CSR_READ, MsgType.CSR_DATA, MsgType.DONE))
        info = p.value[32:48] | (p.error << 16) | (p.request << 24)
        assert pack_info(1 << 32, 1, 1) == 1 | 1 << 16 | 1 << 24  # the layout of `info`
        with m.FSM(name="ni_respond"):
            with m.State("Head"):
                with m.If(self.send.valid):
                    with m.If(send_head(m, self.header, dest_x=p.dest_x, dest_y=p.dest_y,
                                        mtype=mtype, words=RESPONSE_WORDS, aux=p.aux)):
                        m.next = "Value"
            with m.State("Value"):
                with m.If(send_word(m, self.words, p.value[:32])):
                    m.next = "Info"
            with m.State("Info"):
                with m.If(send_word(m, self.words, info)):
                    m.d.comb += self.send.ready.eq(1)
                    m.next = "Head"
        return m


def _share(m, target, *sources):
    """Offer ``target`` (a stream) whichever of ``sources`` is valid; they never are at once,
    so each may see ``target``'s ready."""
    valid, payload = sources[0].valid, Value.cast(sources[0].payload)
    for s in sources[1:]:
        valid, payload = valid | s.valid, Mux(s.valid, Value.cast(s.payload), payload)
    m.d.comb += [target.valid.eq(valid), target.payload.eq(payload)]
    m.d.comb += [s.ready.eq(target.ready) for s in sources]


#: Width of a shared tile node's ``node`` port: the node field of the crossbar's hash key.
NODE_BITS = 8


class TileNode(wiring.Component):
    """Tile plus NI at mesh node ``node``.

    **Shared mode** (``node=None``): the node is not elaborated in but read from three input
    ports, ``node`` and its mesh coordinates ``node_x``, ``node_y``, which key the crossbar's
    device hash, answer ``TileCsr.NODE`` and fill the source fields of the packets sent.
    One such module serves every tile of a chip (``Chip(..., shared_tiles=True)``: one
    Verilog module instantiated once per tile, each instance's ports tied to its node);
    with the ports tied to node ``n`` it behaves exactly as ``TileNode(cfg, n, image)``.

    Parameters
    ----------
    cfg : ChipConfig
    node : int or None
        Mesh node of the tile; ``None``: shared mode.
    image : TileImage
        Power-on memory contents of the tile (from ``sim.images.tile_image``).

    Attributes
    ----------
    flits_in : In(stream.Signature(flit_layout(cfg)))
        From the mesh's eject port of this node.
    flits_out : Out(stream.Signature(flit_layout(cfg)))
        To the mesh's inject port of this node.
    node : In(NODE_BITS)
    node_x, node_y : In(COORD_BITS)
        Shared mode only: the node and its coordinates (``hdl.spec.noc.node_xy``), constant
        while the chip runs.
    """

    def __init__(self, cfg, node, image):
        check_host_config(cfg)
        if node is not None and node not in cfg.tiles:
            raise ValueError(f"node = {node!r}: not a tile node of this mesh ({cfg.tiles}), "
                             "nor None (shared mode)")
        self._cfg, self._node, self._image = cfg, node, image
        ports = {
            "flits_in": In(stream.Signature(flit_layout(cfg))),
            "flits_out": Out(stream.Signature(flit_layout(cfg))),
        }
        if node is None:
            ports.update(node=In(NODE_BITS), node_x=In(COORD_BITS), node_y=In(COORD_BITS))
        super().__init__(ports)

    @property
    def shared(self):
        """The node comes from the ``node``, ``node_x``, ``node_y`` ports."""
        return self._node is None

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        if self.shared:
            node, xy = self.node, (self.node_x, self.node_y)
        else:
            node, xy = self._node, node_xy(cfg, self._node)
        m.submodules.tile = tile = Tile(cfg, node, self._image)
        m.submodules.depack = dep = NocDepacketizer(cfg)
        m.submodules.pack = pk = NocPacketizer(cfg, *xy)
        m.submodules.executor = exe = NiExecutor(cfg, node)
        m.submodules.outputs = outs = NiOutputSender(cfg)
        m.submodules.responder = rsp = NiResponder(cfg)

        wiring.connect(m, wiring.flipped(self.flits_in), dep.flits)
        wiring.connect(m, pk.flits, wiring.flipped(self.flits_out))
        wiring.connect(m, dep.header, exe.header)
        wiring.connect(m, dep.words, exe.words)
        wiring.connect(m, exe.tile_cmd, tile.cmd)
        wiring.connect(m, tile.resp, exe.tile_resp)
        wiring.connect(m, tile.out, outs.tile_out)
        wiring.connect(m, exe.config, outs.config)
        wiring.connect(m, exe.respond, rsp.send)
        m.d.comb += [
            outs.start.eq(exe.mvm_start),
            exe.outputs_busy.eq(outs.busy),
            exe.out_packets.eq(outs.packets),
        ]
        # The packetizer: the output sender's packets during an MVM, the responder's after.
        _share(m, pk.header, outs.header, rsp.header)
        _share(m, pk.words, outs.words, rsp.words)
        return m
