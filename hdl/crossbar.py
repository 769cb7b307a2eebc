"""Behavioral RRAM crossbar: the digital stand-in for the analog array (DESIGN section 4).

The array state lives in two memories that map to block RAM:

* ``g`` memory: ``rows`` words of ``cols * g_bits`` bits, one word per row, so an MVM
  reads a whole row per cycle and a single cell is written through a byte-lane-style
  write enable (``granularity = g_bits``);
* event memory: ``rows * cols`` words of ``event_bits + 1`` bits: the per-cell event
  counter that keys the cycle-to-cycle noise, and the "formed" flag.

Device-to-device parameters are never stored: they are recomputed from the cell hash on
every access, which costs a few cycles and no memory. Equations and latencies are in
``docs/crossbar.md``; ``sim/crossbar.py`` is the bit- and cycle-exact twin.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.cellhash import CellHash, bell
from hdl.opcodes import CrossbarOp
from sim.cellhash import PURPOSE_EVENT, PURPOSE_RELAX, PURPOSE_STATIC
from sim.crossbar import (
    C2C_BELL,
    COMPLIANCE_BELL,
    GAIN_BELL,
    HRS_BELL,
    READ_BELL,
    RELAX_BELL,
    STUCK_CMP,
    VTH_RESET_BELL,
    VTH_SET_BELL,
    CrossbarModel,
)

__all__ = ["Crossbar", "crossbar_command_layout", "crossbar_response_layout"]


def crossbar_command_layout(cfg):
    """Payload of the crossbar's command stream."""
    a = cfg.array
    return data.StructLayout({
        "op": unsigned(3),          # CrossbarOp; 7 is refused
        "row": unsigned(8),
        "col": unsigned(8),
        "v_line": unsigned(a.v_bits),  # V_D (SET), V_S (RESET) or V_read (READ)
        "v_gate": unsigned(a.v_bits),
        "width": unsigned(8),       # pulse width in cycles
        "value": unsigned(16),      # LOAD conductance, RELAX strength
        "bits": unsigned(a.rows),   # MVM input bit-plane, bit r drives row r
    })


def crossbar_response_layout(cfg):
    """Payload of the crossbar's response stream."""
    a = cfg.array
    return data.StructLayout({
        "error": unsigned(1),
        "value": unsigned(a.g_bits + a.v_bits),  # READ current (20 nA LSB), PEEK conductance
    })


def pair_current_shape(cfg):
    a = cfg.array
    peak = a.rows * a.g_max * a.v_read_mvm
    return signed(peak.bit_length() + 1)


class Crossbar(wiring.Component):
    """Behavioral crossbar of one tile.

    Commands arrive on ``cmd`` one at a time; each gets exactly one response on ``resp``.
    A refused command (unknown opcode, row/column outside the array, voltage above its limit,
    pulse width 0 or above ``pulse_width_max``, LOAD value above ``g_max``, RELAX strength
    above 255) answers ``error = 1`` one cycle after it is accepted and changes nothing.

    Parameters
    ----------
    cfg : ChipConfig
    tile : int
        Node index of the tile (keys the hash, so each tile has its own devices).

    Attributes
    ----------
    cmd : In(stream.Signature(crossbar_command_layout(cfg)))
    resp : Out(stream.Signature(crossbar_response_layout(cfg)))
    pair_current : Out(ArrayLayout(signed, cols / 2))
        ``I(2p) - I(2p+1)`` of the last MVM, in 20 nA units; updated when its response is sent.
    """

    def __init__(self, cfg, tile=1):
        if not isinstance(tile, int) or not 0 <= tile < 256:
            raise ValueError(f"tile = {tile!r}: must be an integer in 0..255")
        self._cfg = cfg
        self._tile = tile
        super().__init__({
            "cmd": In(stream.Signature(crossbar_command_layout(cfg))),
            "resp": Out(stream.Signature(crossbar_response_layout(cfg))),
            "pair_current": Out(data.ArrayLayout(pair_current_shape(cfg), cfg.array.pairs)),
        })

    @property
    def cfg(self):
        return self._cfg

    @property
    def tile(self):
        return self._tile

    def elaborate(self, platform):
        m = Module()
        cfg, a, d = self._cfg, self._cfg.array, self._cfg.device
        rows, cols, gb, eb = a.rows, a.cols, a.g_bits, a.event_bits

        # -- submodules ----------------------------------------------------------------------
        power_on = CrossbarModel(cfg, self._tile)
        g_init = [
            sum(int(power_on.g[r, c]) << (c * gb) for c in range(cols)) for r in range(rows)
        ]
        formed0 = int(d.forming_offset == 0)
        m.submodules.g_mem = g_mem = Memory(
            shape=unsigned(cols * gb), depth=rows, init=g_init)
        m.submodules.event_mem = event_mem = Memory(
            shape=unsigned(eb + 1), depth=rows * cols, init=[formed0 << eb] * (rows * cols))
        g_rd = g_mem.read_port()
        g_wr = g_mem.write_port(granularity=gb)
        ev_rd = event_mem.read_port()
        ev_wr = event_mem.write_port()

        m.submodules.hash_static = hash_s = CellHash(cfg)
        m.submodules.hash_event = hash_e = CellHash(cfg)

        # -- state ---------------------------------------------------------------------------
        cmd_q = Signal(crossbar_command_layout(cfg))
        g_cell = Signal(gb)          # conductance of the addressed cell
        event = Signal(eb)           # its event counter
        formed = Signal()
        g_new = Signal(gb)
        formed_new = Signal()
        result = Signal(a.g_bits + a.v_bits)
        error = Signal()
        anneals = Signal(32)
        pulse_left = Signal(8)
        mvm_row = Signal(range(rows + 1))
        mvm_bits = Signal(rows)
        mvm_bit_d = Signal()
        acc_shape = signed((rows * a.g_max).bit_length() + 1)
        acc = Signal(data.ArrayLayout(acc_shape, a.pairs))
        last_cell = (cmd_q.row == rows - 1) & (cmd_q.col == cols - 1)

        # -- command check (combinational, on the incoming payload) --------------------------
        p = self.cmd.payload
        in_array = (p.row < rows) & (p.col < cols)
        refused = Signal()
        with m.Switch(p.op):
            with m.Case(CrossbarOp.SET, CrossbarOp.RESET):
                m.d.comb += refused.eq(
                    ~in_array | (p.v_line > a.v_max) | (p.v_gate > a.v_max)
                    | (p.width == 0) | (p.width > a.pulse_width_max))
            with m.Case(CrossbarOp.READ):
                m.d.comb += refused.eq(~in_array | (p.v_line > a.v_read_max))
            with m.Case(CrossbarOp.LOAD):
                m.d.comb += refused.eq(~in_array | (p.value > a.g_max))
            with m.Case(CrossbarOp.PEEK):
                m.d.comb += refused.eq(~in_array)
            with m.Case(CrossbarOp.MVM):
                m.d.comb += refused.eq(0)
            with m.Case(CrossbarOp.RELAX):
                m.d.comb += refused.eq(p.value > 255)
            with m.Default():
                m.d.comb += refused.eq(1)

        # -- memory addressing ---------------------------------------------------------------
        cell_index = cmd_q.row * cols + cmd_q.col
        row_word = g_rd.data
        m.d.comb += [
            g_rd.addr.eq(cmd_q.row),
            ev_rd.addr.eq(cell_index),
            g_wr.addr.eq(cmd_q.row),
            g_wr.data.eq(g_new.replicate(cols)),
            ev_wr.addr.eq(cell_index),
            ev_wr.data.eq(Cat((event + 1)[:eb], formed_new)),
        ]

        # -- hash keys -----------------------------------------------------------------------
        cell_key = (self._tile << 16) | (cmd_q.row << 8) | cmd_q.col
        is_relax = cmd_q.op == CrossbarOp.RELAX
        m.d.comb += [
            hash_s.x0.eq((PURPOSE_STATIC << 24) | cell_key),
            hash_s.y0.eq(0),
            hash_e.x0.eq(Mux(is_relax, PURPOSE_RELAX << 24, PURPOSE_EVENT << 24) | cell_key),
            hash_e.y0.eq(Mux(is_relax, anneals, ev_rd.data[:eb])),
        ]

        # -- device model (combinational, evaluated when both hashes are done) ---------------
        s = hash_s.out
        h = hash_e.out
        if d.stuck_rate_q14:
            stuck = s[STUCK_CMP[0]:STUCK_CMP[0] + STUCK_CMP[1]] < d.stuck_rate_q14
        else:
            stuck = Const(0)  # no stuck cells: no comparator
        gain_dev = (bell(s[GAIN_BELL:GAIN_BELL + 16]) * d.gain_spread) >> 4
        noise = (bell(h[C2C_BELL:C2C_BELL + 16]) * d.c2c_noise) >> 4

        def clamp(v, lo, hi):
            return Mux(v < lo, lo, Mux(v > hi, hi, v))

        # SET: overdrive above the (virgin-raised) threshold grows g toward the compliance.
        vth_set = (d.vth_set + ((bell(s[VTH_SET_BELL:VTH_SET_BELL + 16]) * d.vth_set_spread) >> 4)
                   + Mux(formed, 0, d.forming_offset))
        od_set = cmd_q.v_line - vth_set
        set_gain_raw = d.set_gain + gain_dev
        set_gain = Mux(set_gain_raw < 0, 0, set_gain_raw)
        set_step = ((od_set * set_gain * cmd_q.width) >> 4) + noise
        vg_over = cmd_q.v_gate - d.compliance_vg0
        g_lim_raw = (Mux(vg_over < 0, 0, vg_over) * d.compliance_slope) >> 2
        g_lim_det = Mux(g_lim_raw > a.g_max, a.g_max, g_lim_raw)
        if d.compliance_noise:
            g_lim = clamp(g_lim_det + (
                (bell(h[COMPLIANCE_BELL:COMPLIANCE_BELL + 16]) * d.compliance_noise) >> 4),
                0, a.g_max)
        else:
            g_lim = g_lim_det
        set_hi = Mux(g_cell > g_lim, g_cell, g_lim)
        set_moves = (od_set > 0) & ~stuck
        g_after_set = Mux(set_moves, clamp(g_cell + set_step, g_cell, set_hi), g_cell)

        # RESET: overdrive above the threshold moves g down toward the HRS floor.
        vth_reset = d.vth_reset + (
            (bell(s[VTH_RESET_BELL:VTH_RESET_BELL + 16]) * d.vth_reset_spread) >> 4)
        od_reset = cmd_q.v_line - vth_reset
        reset_gain_raw = d.reset_gain + gain_dev
        reset_gain = Mux(reset_gain_raw < 0, 0, reset_gain_raw)
        reset_step = ((od_reset * reset_gain * cmd_q.width) >> 4) + noise
        if d.hrs_noise:
            floor = clamp(d.g_hrs + ((bell(h[HRS_BELL:HRS_BELL + 16]) * d.hrs_noise) >> 4),
                          0, a.g_max)
        else:
            floor = Const(d.g_hrs)
        reset_lo = Mux(g_cell < floor, g_cell, floor)
        reset_moves = (od_reset > 0) & ~stuck
        g_after_reset = Mux(reset_moves, clamp(g_cell - reset_step, reset_lo, g_cell), g_cell)

        # READ with read noise.
        g_seen = clamp(g_cell + ((bell(h[READ_BELL:READ_BELL + 16]) * d.read_noise) >> 4),
                       0, a.g_max)

        # RELAX: a spread and a drift toward 0, scaled by the strength.
        strength = cmd_q.value[:8]
        relaxed = (g_cell + ((bell(h[RELAX_BELL:RELAX_BELL + 16]) * strength) >> 4)
                   - ((g_cell * (d.relax_drift * strength)) >> 12))
        g_after_relax = Mux(stuck, g_cell, clamp(relaxed, 0, a.g_max))

        g_after_load = Mux(stuck, g_cell, cmd_q.value[:gb])

        # -- control -------------------------------------------------------------------------
        m.d.comb += [
            self.resp.payload.error.eq(error),
            self.resp.payload.value.eq(result),
        ]

        with m.FSM(name="crossbar_fsm"):
            with m.State("Idle"):
                m.d.comb += self.cmd.ready.eq(1)
                with m.If(self.cmd.valid):
                    m.d.sync += [
                        cmd_q.eq(p),
                        error.eq(refused),
                        result.eq(0),
                        mvm_bits.eq(p.bits),
                        mvm_row.eq(0),
                        mvm_bit_d.eq(0),
                    ]
                    for pair in range(a.pairs):
                        m.d.sync += acc[pair].eq(0)
                    with m.If(refused):
                        m.next = "Respond"
                    with m.Elif(p.op == CrossbarOp.MVM):
                        m.next = "MVM-Rows"
                    with m.Elif(p.op == CrossbarOp.RELAX):
                        m.d.sync += [cmd_q.row.eq(0), cmd_q.col.eq(0)]
                        m.next = "Fetch"
                    with m.Else():
                        m.next = "Fetch"

            with m.State("Fetch"):
                # The memories' read ports see the cell address this cycle; data comes next.
                m.next = "Start"

            with m.State("Start"):
                m.d.sync += [
                    g_cell.eq(row_word.word_select(cmd_q.col, gb)),
                    event.eq(ev_rd.data[:eb]),
                    formed.eq(ev_rd.data[eb]),
                    formed_new.eq(ev_rd.data[eb]),
                ]
                with m.If(cmd_q.op == CrossbarOp.PEEK):
                    m.d.sync += result.eq(row_word.word_select(cmd_q.col, gb))
                    m.next = "Respond"
                if not d.read_noise:
                    with m.Elif(cmd_q.op == CrossbarOp.READ):
                        # Noise-free verify read: no hash needed; count the event now.
                        m.d.comb += [
                            ev_wr.en.eq(1),
                            ev_wr.data.eq(Cat((ev_rd.data[:eb] + 1)[:eb], ev_rd.data[eb])),
                        ]
                        m.d.sync += result.eq(
                            row_word.word_select(cmd_q.col, gb) * cmd_q.v_line)
                        m.next = "Respond"
                with m.Else():
                    m.d.comb += [hash_s.start.eq(1), hash_e.start.eq(1)]
                    m.next = "Hash"

            with m.State("Hash"):
                with m.If(hash_e.done):
                    m.d.sync += pulse_left.eq(cmd_q.width)
                    with m.Switch(cmd_q.op):
                        with m.Case(CrossbarOp.SET):
                            m.d.sync += [g_new.eq(g_after_set), formed_new.eq(formed | set_moves)]
                            m.next = "Pulse"
                        with m.Case(CrossbarOp.RESET):
                            m.d.sync += g_new.eq(g_after_reset)
                            m.next = "Pulse"
                        with m.Case(CrossbarOp.READ):
                            m.d.sync += [g_new.eq(g_cell), result.eq(g_seen * cmd_q.v_line)]
                            m.next = "Write"
                        with m.Case(CrossbarOp.RELAX):
                            m.d.sync += g_new.eq(g_after_relax)
                            m.next = "Write"
                        with m.Default():  # LOAD
                            m.d.sync += g_new.eq(g_after_load)
                            m.next = "Write"

            with m.State("Pulse"):
                # The pulse is on the lines for `width` cycles.
                m.d.sync += pulse_left.eq(pulse_left - 1)
                with m.If(pulse_left == 1):
                    m.next = "Write"

            with m.State("Write"):
                m.d.comb += g_wr.en.eq(Const(1, cols) << cmd_q.col)
                with m.If(cmd_q.op != CrossbarOp.RELAX):
                    with m.If(cmd_q.op != CrossbarOp.LOAD):
                        m.d.comb += ev_wr.en.eq(1)
                    m.next = "Respond"
                with m.Elif(last_cell):
                    m.d.sync += anneals.eq(anneals + 1)
                    m.next = "Respond"
                with m.Else():
                    with m.If(cmd_q.col == cols - 1):
                        m.d.sync += [cmd_q.col.eq(0), cmd_q.row.eq(cmd_q.row + 1)]
                    with m.Else():
                        m.d.sync += cmd_q.col.eq(cmd_q.col + 1)
                    m.next = "Fetch"

            with m.State("MVM-Rows"):
                # Cycle i presents row i; row i-1's word arrives and is accumulated.
                m.d.comb += g_rd.addr.eq(mvm_row)
                m.d.sync += [
                    mvm_row.eq(mvm_row + 1),
                    mvm_bit_d.eq(mvm_bits[0]),
                    mvm_bits.eq(mvm_bits >> 1),
                ]
                with m.If(mvm_row != 0):
                    for pair in range(a.pairs):
                        g_pos = row_word.word_select(2 * pair, gb)
                        g_neg = row_word.word_select(2 * pair + 1, gb)
                        m.d.sync += acc[pair].eq(acc[pair] + Mux(mvm_bit_d, g_pos - g_neg, 0))
                with m.If(mvm_row == rows):
                    m.next = "MVM-Scale"

            with m.State("MVM-Scale"):
                for pair in range(a.pairs):
                    m.d.sync += self.pair_current[pair].eq(_times_const(acc[pair], a.v_read_mvm))
                m.next = "Respond"

            with m.State("Respond"):
                m.d.comb += self.resp.valid.eq(1)
                with m.If(self.resp.ready):
                    m.next = "Idle"

        return m


def _times_const(value, k):
    """``value * k`` for a constant ``k >= 1`` as shifts and adds.

    Yosys maps every ``$mul`` to a DSP block, constant or not; one scale per column pair
    would spend ``cols / 2`` DSPs per tile on a multiply that is one or two adders.
    """
    terms = [value << i for i in range(k.bit_length()) if (k >> i) & 1]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total
