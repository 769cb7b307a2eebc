"""A tile on the network: the compute tile behind its network interface (NI).

The NI turns request packets into tile commands and answers each request with one 3-flit
response packet to its source; it turns the MVM outputs into ACTIVATIONS / PARTIAL_SUMS
packets. The protocol is in ``hdl/spec/host.py`` and ``docs/host.md``.

* One request at a time, in arrival order. A request's body words are taken as they are
  used, so a BUF_WRITE streams into the tile without a buffer.
* The NI keeps a shadow of the descriptor fields that shape the outputs (DEST, OFFSET,
  OUT_COUNT, OUT_RAW), updated when a CONFIG it forwarded succeeds. At START_MVM it knows
  how many outputs will come and where they go, so it sends each packet's head and offset
  word before the outputs exist and then passes the outputs straight through: no output
  buffer, and no output-stream stall except 2 cycles between packets when one MVM needs
  more than one (``out_burst`` outputs per packet).
* Data packets (ACTIVATIONS, PARTIAL_SUMS) write the input / partial-sum buffer and are
  not answered; a bad one (an element out of range, no offset word) counts in
  ``NI_REJECTS``. Responses sent to a tile are sunk and counted the same way.
"""

from amaranth.hdl import Array, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hdl.noc import NocDepacketizer, NocPacketizer, flit_layout, stream
from hdl.spec.host import (
    BUFFER_OPS,
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
from hdl.spec.noc import MsgType, node_xy
from hdl.spec.tile import TILE_COUNTERS, TILE_FIELDS, TileField, TileOp, field_defaults
from hdl.tile import Tile

__all__ = ["TileNode"]

class TileNode(wiring.Component):
    """Tile plus NI at mesh node ``node``.

    Parameters
    ----------
    cfg : ChipConfig
    node : int
        Mesh node of the tile.
    image : TileImage
        Power-on memory contents of the tile (from ``sim.images.tile_image``).

    Attributes
    ----------
    flits_in : In(stream.Signature(flit_layout(cfg)))
        From the mesh's eject port of this node.
    flits_out : Out(stream.Signature(flit_layout(cfg)))
        To the mesh's inject port of this node.
    """

    def __init__(self, cfg, node, image):
        check_host_config(cfg)
        if node not in cfg.tiles:
            raise ValueError(f"node = {node!r}: not a tile node of this mesh ({cfg.tiles})")
        self._cfg, self._node, self._image = cfg, node, image
        super().__init__({
            "flits_in": In(stream.Signature(flit_layout(cfg))),
            "flits_out": Out(stream.Signature(flit_layout(cfg))),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, node = self._cfg, self._node
        W, nodes = cfg.mesh_width, cfg.mesh_width * cfg.mesh_height
        x, y = node_xy(cfg, node)
        burst = out_burst(cfg)
        nwv = wv_words(cfg)
        defaults = field_defaults(cfg)

        m.submodules.tile = tile = Tile(cfg, node, self._image)
        m.submodules.depack = dep = NocDepacketizer(cfg)
        m.submodules.pack = pk = NocPacketizer(cfg, x, y)
        wiring.connect(m, wiring.flipped(self.flits_in), dep.flits)
        wiring.connect(m, pk.flits, wiring.flipped(self.flits_out))

        hdr, words = dep.header, dep.words
        node_x = Array(Const(n % W, 3) for n in range(nodes))
        node_y = Array(Const(n // W, 3) for n in range(nodes))

        # -- request registers ------------------------------------------------------------
        r_src_x = Signal(3)
        r_src_y = Signal(3)
        r_mtype = Signal(4)
        r_aux = Signal.like(hdr.payload.aux)
        r_words = Signal.like(hdr.payload.words)
        r_idx = Signal.like(hdr.payload.words)      # body words taken
        r_last = Signal()                           # the word being executed was the last
        r_start = Signal(32)                        # BUF_WRITE start / data offset
        r_data = Signal(32)                         # CSR_WRITE value
        r_err = Signal(8)                           # response error (first one of a stream)
        r_err_idx = Signal(32)
        r_count = Signal(32)
        r_val = Signal(48)
        wv_buf = Signal(nwv * 32)
        cmd_op = Signal(4)
        cmd_addr = Signal(16)
        cmd_value = Signal(32)

        # Shadow of the output-shaping descriptor fields.
        sh_dest = Signal(range(nodes), init=defaults[TileField.DEST])
        sh_offset = Signal(16, init=defaults[TileField.OFFSET])
        sh_count = Signal(range(cfg.array.pairs + 1), init=defaults[TileField.OUT_COUNT])
        sh_raw = Signal(init=defaults[TileField.OUT_RAW])

        ni_requests = Signal(32)
        ni_rejects = Signal(32)
        ni_out_packets = Signal(32)

        # Output packet state.
        o_left = Signal.like(sh_count)
        o_n = Signal(range(burst + 1))
        o_off = Signal(16)

        mt = r_mtype
        is_stream = (mt == MsgType.BUF_WRITE) | (mt == MsgType.ACTIVATIONS) | \
            (mt == MsgType.PARTIAL_SUMS)
        stream_op = Signal(4)
        with m.Switch(mt):
            with m.Case(MsgType.ACTIVATIONS):
                m.d.comb += stream_op.eq(TileOp.WRITE_INPUT)
            with m.Case(MsgType.PARTIAL_SUMS):
                m.d.comb += stream_op.eq(TileOp.WRITE_PSUM)
            with m.Default():
                with m.Switch(r_aux):
                    for b, op in BUFFER_OPS.items():
                        with m.Case(b):
                            m.d.comb += stream_op.eq(op)
        stream_value = Mux(mt == MsgType.ACTIVATIONS,
                           words.payload.data & ((1 << cfg.input_bits) - 1),
                           words.payload.data)

        reg = r_aux[:8]
        is_response = (mt == MsgType.DONE) | (mt == MsgType.ERROR) | \
            (mt == MsgType.CSR_DATA) | (mt == MsgType.BUF_DATA)

        resp_mtype = Signal(4)
        m.d.comb += resp_mtype.eq(Mux(r_err != 0, MsgType.ERROR,
                                      Mux(mt == MsgType.CSR_READ, MsgType.CSR_DATA,
                                          MsgType.DONE)))

        # Tile command payload: the latched command (or the streamed word in BODY).
        m.d.comb += [
            tile.cmd.payload.op.eq(cmd_op),
            tile.cmd.payload.addr.eq(cmd_addr),
            tile.cmd.payload.value.eq(cmd_value),
            tile.cmd.payload.wv.as_value().eq(wv_buf[:len(tile.cmd.payload.wv.as_value())]),
        ]

        def reject(code):
            return [r_err.eq(code), ni_rejects.eq(ni_rejects + 1)]

        with m.FSM(name="ni"):
            with m.State("Idle"):
                m.d.comb += hdr.ready.eq(1)
                with m.If(hdr.valid):
                    p = hdr.payload
                    m.d.sync += [
                        r_src_x.eq(p.src_x), r_src_y.eq(p.src_y), r_mtype.eq(p.mtype),
                        r_aux.eq(p.aux), r_words.eq(p.words), r_idx.eq(0), r_err.eq(0),
                        r_err_idx.eq(0), r_count.eq(0), r_val.eq(0),
                        ni_requests.eq(ni_requests + 1),
                    ]
                    # A BUF_WRITE to a buffer that does not exist executes nothing.
                    with m.If((p.mtype == MsgType.BUF_WRITE) & (p.aux > max(Buffer))):
                        m.d.sync += [r_err.eq(NiError.BAD_ADDRESS),
                                     ni_rejects.eq(ni_rejects + 1)]
                    with m.If(p.words == 0):
                        m.next = "Exec"
                    with m.Else():
                        m.next = "Body"

            with m.State("Body"):
                with m.If(is_stream & (r_idx != 0) & (r_err == 0)):
                    # One tile command per data word; the word is taken with the command.
                    m.d.comb += [
                        tile.cmd.valid.eq(words.valid),
                        tile.cmd.payload.op.eq(stream_op),
                        tile.cmd.payload.addr.eq(r_start + r_idx - 1),
                        tile.cmd.payload.value.eq(stream_value),
                        words.ready.eq(tile.cmd.ready),
                    ]
                    with m.If(words.valid & tile.cmd.ready):
                        m.d.sync += [r_idx.eq(r_idx + 1), r_last.eq(words.payload.last)]
                        m.next = "Stream-Wait"
                with m.Else():
                    m.d.comb += words.ready.eq(1)
                    with m.If(words.valid):
                        w = words.payload.data
                        m.d.sync += r_idx.eq(r_idx + 1)
                        with m.If(r_idx == 0):
                            m.d.sync += [r_start.eq(w), r_data.eq(w)]
                        with m.If((mt == MsgType.START_PROGRAM) & (r_idx < nwv)):
                            m.d.sync += wv_buf.word_select(r_idx[:max(1, (nwv - 1).bit_length())],
                                                           32).eq(w)
                        with m.If(words.payload.last):
                            m.next = "Exec"

            with m.State("Stream-Wait"):
                m.d.comb += tile.resp.ready.eq(1)
                with m.If(tile.resp.valid):
                    with m.If(tile.resp.payload.error != 0):
                        m.d.sync += [r_err.eq(tile.resp.payload.error), r_err_idx.eq(r_idx - 2)]
                    with m.Else():
                        m.d.sync += r_count.eq(r_count + 1)
                    with m.If(r_last):
                        m.next = "Exec"
                    with m.Else():
                        m.next = "Body"

            with m.State("Exec"):
                with m.If(mt == MsgType.CSR_READ):
                    with m.If(r_words != 0):
                        m.d.sync += reject(NiError.BAD_LENGTH)
                        m.next = "Respond"
                    with m.Elif(reg < TILE_FIELD_BASE + TILE_FIELDS):
                        m.d.sync += [cmd_op.eq(TileOp.READ_CONFIG), cmd_addr.eq(reg)]
                        m.next = "Command"
                    with m.Elif((reg >= TILE_COUNTER_BASE) &
                                (reg < TILE_COUNTER_BASE + TILE_COUNTERS)):
                        m.d.sync += [cmd_op.eq(TileOp.READ_COUNTER),
                                     cmd_addr.eq(reg - TILE_COUNTER_BASE)]
                        m.next = "Command"
                    with m.Else():
                        with m.Switch(reg):
                            with m.Case(TileCsr.NODE):
                                m.d.sync += r_val.eq(node)
                            with m.Case(TileCsr.NI_REQUESTS):
                                m.d.sync += r_val.eq(ni_requests)
                            with m.Case(TileCsr.NI_REJECTS):
                                m.d.sync += r_val.eq(ni_rejects)
                            with m.Case(TileCsr.NI_OUT_PACKETS):
                                m.d.sync += r_val.eq(ni_out_packets)
                            with m.Default():
                                m.d.sync += reject(NiError.BAD_ADDRESS)
                        m.next = "Respond"
                with m.Elif(mt == MsgType.CSR_WRITE):
                    with m.If(r_words != 1):
                        m.d.sync += reject(NiError.BAD_LENGTH)
                        m.next = "Respond"
                    with m.Elif(reg < TILE_FIELD_BASE + TILE_FIELDS):
                        m.d.sync += [cmd_op.eq(TileOp.CONFIG), cmd_addr.eq(reg),
                                     cmd_value.eq(r_data)]
                        m.next = "Command"
                    with m.Else():
                        m.d.sync += reject(NiError.BAD_ADDRESS)
                        m.next = "Respond"
                with m.Elif(mt == MsgType.START_MVM):
                    with m.If(r_words != 0):
                        m.d.sync += reject(NiError.BAD_LENGTH)
                        m.next = "Respond"
                    with m.Else():
                        m.d.sync += cmd_op.eq(TileOp.MVM)
                        m.next = "Mvm-Issue"
                with m.Elif(mt == MsgType.START_PROGRAM):
                    with m.If(r_words != nwv):
                        m.d.sync += reject(NiError.BAD_LENGTH)
                        m.next = "Respond"
                    with m.Else():
                        m.d.sync += cmd_op.eq(TileOp.WV)
                        m.next = "Command"
                with m.Elif(mt == MsgType.BUF_WRITE):
                    with m.If(r_words == 0):
                        m.d.sync += reject(NiError.BAD_LENGTH)
                    with m.Elif(r_err != 0):
                        m.d.sync += r_val.eq(r_err_idx)
                    with m.Else():
                        m.d.sync += r_val.eq(r_count)
                    m.next = "Respond"
                with m.Elif((mt == MsgType.ACTIVATIONS) | (mt == MsgType.PARTIAL_SUMS) |
                            is_response):
                    with m.If(is_response | (r_words == 0) | (r_err != 0)):
                        m.d.sync += ni_rejects.eq(ni_rejects + 1)
                    m.next = "Idle"
                with m.Else():
                    m.d.sync += reject(NiError.BAD_TYPE)
                    m.next = "Respond"

            with m.State("Command"):
                m.d.comb += tile.cmd.valid.eq(1)
                with m.If(tile.cmd.ready):
                    m.next = "Wait"

            with m.State("Wait"):
                m.d.comb += tile.resp.ready.eq(1)
                with m.If(tile.resp.valid):
                    m.d.sync += [r_val.eq(tile.resp.payload.value),
                                 r_err.eq(tile.resp.payload.error)]
                    with m.If((cmd_op == TileOp.CONFIG) & (tile.resp.payload.error == 0)):
                        with m.Switch(cmd_addr):
                            with m.Case(TileField.DEST):
                                m.d.sync += sh_dest.eq(cmd_value)
                            with m.Case(TileField.OFFSET):
                                m.d.sync += sh_offset.eq(cmd_value)
                            with m.Case(TileField.OUT_COUNT):
                                m.d.sync += sh_count.eq(cmd_value)
                            with m.Case(TileField.OUT_RAW):
                                m.d.sync += sh_raw.eq(cmd_value)
                    m.next = "Respond"

            with m.State("Mvm-Issue"):
                m.d.comb += tile.cmd.valid.eq(1)
                with m.If(tile.cmd.ready):
                    m.d.sync += [o_left.eq(sh_count), o_off.eq(sh_offset)]
                    m.next = "Out-Head"

            with m.State("Out-Head"):
                n = Mux(o_left > burst, burst, o_left)
                with m.If(o_left == 0):
                    m.next = "Wait"
                with m.Else():
                    m.d.comb += [
                        pk.header.valid.eq(1),
                        pk.header.payload.dest_x.eq(node_x[sh_dest]),
                        pk.header.payload.dest_y.eq(node_y[sh_dest]),
                        pk.header.payload.mtype.eq(Mux(sh_raw, MsgType.PARTIAL_SUMS,
                                                       MsgType.ACTIVATIONS)),
                        pk.header.payload.words.eq(n + 1),
                    ]
                    with m.If(pk.header.ready):
                        m.d.sync += o_n.eq(n)
                        m.next = "Out-Offset"

            with m.State("Out-Offset"):
                m.d.comb += [pk.words.valid.eq(1), pk.words.payload.eq(o_off)]
                with m.If(pk.words.ready):
                    m.next = "Out-Values"

            with m.State("Out-Values"):
                m.d.comb += [
                    pk.words.valid.eq(tile.out.valid),
                    pk.words.payload.eq(tile.out.payload.value.as_signed()),
                    tile.out.ready.eq(pk.words.ready),
                ]
                with m.If(tile.out.valid & pk.words.ready):
                    m.d.sync += [o_n.eq(o_n - 1), o_left.eq(o_left - 1), o_off.eq(o_off + 1)]
                    with m.If(o_n == 1):
                        m.d.sync += ni_out_packets.eq(ni_out_packets + 1)
                        m.next = "Out-Head"

            with m.State("Respond"):
                m.d.comb += [
                    pk.header.valid.eq(1),
                    pk.header.payload.dest_x.eq(r_src_x),
                    pk.header.payload.dest_y.eq(r_src_y),
                    pk.header.payload.mtype.eq(resp_mtype),
                    pk.header.payload.words.eq(RESPONSE_WORDS),
                    pk.header.payload.aux.eq(r_aux),
                ]
                with m.If(pk.header.ready):
                    m.next = "Respond-Value"

            with m.State("Respond-Value"):
                m.d.comb += [pk.words.valid.eq(1), pk.words.payload.eq(r_val[:32])]
                with m.If(pk.words.ready):
                    m.next = "Respond-Info"

            with m.State("Respond-Info"):
                m.d.comb += [
                    pk.words.valid.eq(1),
                    pk.words.payload.eq(r_val[32:48] | (r_err << 16) | (r_mtype << 24)),
                ]
                with m.If(pk.words.ready):
                    m.next = "Idle"
        assert pack_info(1 << 32, 1, 1) == 1 | 1 << 16 | 1 << 24  # the layout used above
        return m
