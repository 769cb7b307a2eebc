"""Behavioral RRAM crossbar: the digital stand-in for the analog array (DESIGN section 4).

The array state lives in two memories:

* ``g`` memories, one per row lane: ``read_rows`` memories of ``ceil(rows / read_rows)``
  words of ``cols * g_bits`` bits (lane ``k``'s word ``i`` is row ``i * read_rows + k``),
  so an MVM reads and sums a row group, ``read_rows`` rows, per cycle
  (``ArrayGeometry.read_rows``) and a single cell is written through a byte-lane-style
  write enable (``granularity = g_bits``). With one lane (the ``fpga`` preset) it maps to
  block RAM; the analog array's all-rows-at-once read (``default``) is one word per lane;
* event memory: ``rows * cols`` words of ``event_bits + 1`` bits: the per-cell event
  counter that keys the cycle-to-cycle noise, and the "formed" flag.

Device-to-device parameters are never stored: they are recomputed from the cell hash on
every access, which costs a few cycles and no memory. Equations and latencies are in
``docs/crossbar.md``; ``sim/crossbar.py`` is the bit- and cycle-exact twin.
"""

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hdl.cellhash import CellHash, bell
from hdl.common import check_index, command_idle, layout, refusal, respond_state
from hdl.spec.crossbar import (
    C2C_BELL,
    COMPLIANCE_BELL,
    DEVICE_STAGES,
    GAIN_BELL,
    HRS_BELL,
    MVM_NOISE_PAIRS_PER_HASH,
    PURPOSE_EVENT,
    PURPOSE_MVM_NOISE,
    PURPOSE_RELAX,
    PURPOSE_STATIC,
    READ_BELL,
    RELAX_BELL,
    STUCK_CMP,
    VTH_RESET_BELL,
    VTH_SET_BELL,
    CrossbarOp,
    command_fields,
    mvm_noise_hashes,
    mvm_noise_max,
    mvm_row_groups,
    pair_current_bits,
    refusal_rules,
    response_fields,
)

__all__ = ["Crossbar", "CellDevice", "MvmNoise", "crossbar_command_layout",
           "crossbar_response_layout", "pair_current_shape"]


def crossbar_command_layout(cfg):
    """Payload of the crossbar's command stream (``hdl.spec.crossbar.command_fields``)."""
    return layout(command_fields(cfg))


def crossbar_response_layout(cfg):
    """Payload of the crossbar's response stream."""
    return layout(response_fields(cfg))


def pair_current_shape(cfg):
    return signed(pair_current_bits(cfg))


def _clamp(v, lo, hi):
    return Mux(v < lo, lo, Mux(v > hi, hi, v))


class CellDevice(wiring.Component):
    """The device model of one cell: what each operation does to its conductance, given the
    cell's static hash (device-to-device parameters) and event hash (cycle-to-cycle noise).
    Pipelined: the outputs follow the inputs after
    :data:`~hdl.spec.crossbar.DEVICE_STAGES` cycles (the inputs must hold still meanwhile).
    The equations are ``docs/crossbar.md``'s; ``sim/crossbar.py``
    is their numpy twin.

    Attributes
    ----------
    g, formed : In
        The cell's conductance code and "formed" flag.
    v_line, v_gate, width, strength : In
        The command's line and gate voltage codes, pulse width and RELAX strength.
    static_hash, event_hash : In(64)
    stuck : Out(1)
        The cell is stuck (it never moves).
    set_g, set_moves : Out
        Conductance after a SET pulse, and whether the pulse was effective (forms the cell).
    reset_g : Out
        Conductance after a RESET pulse.
    read_g : Out
        Conductance a verify read sees (read noise).
    relax_g : Out
        Conductance after a relax/anneal step.
    """

    def __init__(self, cfg):
        self._cfg = cfg
        a = cfg.array
        gb, vb = a.g_bits, a.v_bits
        super().__init__({
            "g": In(gb), "formed": In(1), "v_line": In(vb), "v_gate": In(vb),
            "width": In(8), "strength": In(8), "static_hash": In(64), "event_hash": In(64),
            "stuck": Out(1), "set_g": Out(gb), "set_moves": Out(1), "reset_g": Out(gb),
            "read_g": Out(gb), "relax_g": Out(gb),
        })

    def elaborate(self, platform):
        m = Module()
        a, d = self._cfg.array, self._cfg.device
        s, h, g = self.static_hash, self.event_hash, self.g
        assert DEVICE_STAGES == 3, "the stage boundaries below are written for 3 stages"

        def reg(value, name):
            # One pipeline register. The inputs hold still while the crossbar waits for the
            # model (hdl.spec.crossbar.DEVICE_STAGES), so the registers need no enable.
            r = Signal(value.shape(), name=name)
            m.d.sync += r.eq(value)
            return r

        def spread(hash_, lsb, scale):
            return (bell(hash_[lsb:lsb + 16]) * scale) >> 4

        # -- stage 1: everything the hashes decide (device-to-device, cycle-to-cycle) ---------
        if d.stuck_rate_q14:
            stuck = reg(s[STUCK_CMP[0]:STUCK_CMP[0] + STUCK_CMP[1]] < d.stuck_rate_q14, "stuck")
        else:
            stuck = Const(0)  # no stuck cells: no comparator
        gain_dev = reg(spread(s, GAIN_BELL, d.gain_spread), "gain_dev")
        noise = reg(spread(h, C2C_BELL, d.c2c_noise), "c2c_noise")
        vth_set_dev = reg(spread(s, VTH_SET_BELL, d.vth_set_spread), "vth_set_dev")
        vth_reset_dev = reg(spread(s, VTH_RESET_BELL, d.vth_reset_spread), "vth_reset_dev")
        comp_dev = (reg(spread(h, COMPLIANCE_BELL, d.compliance_noise), "compliance_dev")
                    if d.compliance_noise else None)
        hrs_dev = reg(spread(h, HRS_BELL, d.hrs_noise), "hrs_dev") if d.hrs_noise else None
        read_dev = reg(spread(h, READ_BELL, d.read_noise), "read_dev")
        strength = self.strength
        relax_dev = reg((bell(h[RELAX_BELL:RELAX_BELL + 16]) * strength) >> 4, "relax_dev")
        # The gate-set compliance of the pulse (its voltages only), a stage early: with the
        # clamps after it, it was the next-longest path (37.6 MHz on the one-tile chip).
        vg_over = self.v_gate - d.compliance_vg0
        g_lim_raw = (Mux(vg_over < 0, 0, vg_over) * d.compliance_slope) >> 2
        g_lim_base = reg(Mux(g_lim_raw > a.g_max, a.g_max, g_lim_raw), "g_lim_base")

        # -- stage 2: overdrive x gain, the compliance and HRS limits, relax, read -----------
        # SET: overdrive above the (virgin-raised) threshold grows g toward the compliance.
        vth_set = d.vth_set + vth_set_dev + Mux(self.formed, 0, d.forming_offset)
        od_set = self.v_line - vth_set
        set_gain_raw = d.set_gain + gain_dev
        set_gain = Mux(set_gain_raw < 0, 0, set_gain_raw)
        set_prod = reg(od_set * set_gain, "set_prod")
        g_lim = g_lim_base
        if comp_dev is not None:
            g_lim = _clamp(g_lim + comp_dev, 0, a.g_max)
        set_hi = reg(Mux(g > g_lim, g, g_lim), "set_hi")
        set_moves = reg((od_set > 0) & ~stuck, "set_moves")

        # RESET: overdrive above the threshold moves g down toward the HRS floor.
        vth_reset = d.vth_reset + vth_reset_dev
        od_reset = self.v_line - vth_reset
        reset_gain_raw = d.reset_gain + gain_dev
        reset_gain = Mux(reset_gain_raw < 0, 0, reset_gain_raw)
        reset_prod = reg(od_reset * reset_gain, "reset_prod")
        floor = _clamp(d.g_hrs + hrs_dev, 0, a.g_max) if hrs_dev is not None else Const(d.g_hrs)
        reset_lo = reg(Mux(g < floor, g, floor), "reset_lo")
        reset_moves = reg((od_reset > 0) & ~stuck, "reset_moves")
        noise2 = reg(noise, "c2c_noise2")

        # RELAX: a spread and a drift toward 0, scaled by the strength.
        relaxed = g + relax_dev - ((g * (d.relax_drift * strength)) >> 12)
        relax_g = reg(Mux(stuck, g, _clamp(relaxed, 0, a.g_max)), "relax_g")
        read_g = reg(_clamp(g + read_dev, 0, a.g_max), "read_g")
        stuck2 = reg(stuck, "stuck2") if d.stuck_rate_q14 else stuck

        # -- stage 3: the steps (pulse width x product, plus the cycle-to-cycle noise) ------
        # With the clamps after them in one cycle, they were the one-tile chip's critical
        # path (27.5 ns, docs/fpga.md).
        set_step = reg(((set_prod * self.width) >> 4) + noise2, "set_step")
        reset_step = reg(((reset_prod * self.width) >> 4) + noise2, "reset_step")
        set_hi3, reset_lo3 = reg(set_hi, "set_hi3"), reg(reset_lo, "reset_lo3")
        set_moves3, reset_moves3 = reg(set_moves, "set_moves3"), reg(reset_moves, "reset_moves3")
        read_g3, relax_g3 = reg(read_g, "read_g3"), reg(relax_g, "relax_g3")
        stuck3 = reg(stuck2, "stuck3") if d.stuck_rate_q14 else stuck

        # -- outputs (combinational): the steps applied to g, clamped -------------------------
        m.d.comb += [
            self.stuck.eq(stuck3),
            self.set_moves.eq(set_moves3),
            self.set_g.eq(Mux(set_moves3, _clamp(g + set_step, g, set_hi3), g)),
            self.reset_g.eq(Mux(reset_moves3, _clamp(g - reset_step, reset_lo3, g), g)),
            self.read_g.eq(read_g3),
            self.relax_g.eq(relax_g3),
        ]
        return m


class MvmNoise(wiring.Component):
    """MVM read noise (``device.mvm_read_noise``): one offset per column pair and MVM, in
    conductance codes, from ``ceil(pairs / 4)`` hash cores keyed by
    ``(PURPOSE_MVM_NOISE, tile, hash index j, MVM count)``; pair ``p`` takes the bell field
    at bit ``16 * (p % 4)`` of hash ``p // 4``. The offset is ``b * mvm_read_noise >> 4``
    (shifts and adds, no DSP). ``sim/crossbar.py`` computes the same offsets.

    Parameters
    ----------
    cfg : ChipConfig
    tile : int or Value
        Node index of the tile (:class:`Crossbar`'s, already checked).

    Attributes
    ----------
    start : In(1)
        An MVM is accepted: hash its count, then count it.
    done : Out(1)
        ``noise`` is valid: ``N = hash_cycles`` cycles after ``start``, until the next one.
    noise : Out(ArrayLayout(signed, cols / 2))
    """

    def __init__(self, cfg, tile):
        if not cfg.device.mvm_read_noise:
            raise ValueError("MvmNoise: device.mvm_read_noise is 0 (no MVM read noise)")
        self._cfg = cfg
        self._tile = tile
        width = mvm_noise_max(cfg).bit_length() + 1
        super().__init__({
            "start": In(1),
            "done": Out(1),
            "noise": Out(data.ArrayLayout(signed(width), cfg.array.pairs)),
        })

    def elaborate(self, platform):
        m = Module()
        cfg, per = self._cfg, MVM_NOISE_PAIRS_PER_HASH
        count = Signal(32)  # MVMs since reset (the model's CrossbarModel.mvms)
        cores = []
        for j in range(mvm_noise_hashes(cfg)):
            m.submodules[f"hash{j}"] = core = CellHash(cfg)
            m.d.comb += [
                core.start.eq(self.start),
                core.x0.eq((PURPOSE_MVM_NOISE << 24) | (self._tile << 16) | j),
                core.y0.eq(count),
            ]
            cores.append(core)
        m.d.comb += self.done.eq(cores[0].done)  # all cores start and finish together
        for p in range(cfg.array.pairs):
            lsb = 16 * (p % per)
            b = bell(cores[p // per].out[lsb:lsb + 16])
            m.d.comb += self.noise[p].eq(
                _times_const(b, cfg.device.mvm_read_noise) >> 4)
        with m.If(self.start):
            m.d.sync += count.eq(count + 1)
        return m


class Crossbar(wiring.Component):
    """Behavioral crossbar of one tile.

    Commands arrive on ``cmd`` one at a time; each gets exactly one response on ``resp``.
    A command its op's rule in ``hdl.spec.crossbar.refusal_rules`` refuses (unknown opcode,
    row/column outside the array, voltage above its limit, pulse width 0 or above
    ``pulse_width_max``, LOAD value above ``g_max``, RELAX strength above 255) answers
    ``error = 1`` one cycle after it is accepted and changes nothing.

    Parameters
    ----------
    cfg : ChipConfig
    tile : int or Value
        Node index of the tile (keys the hash, so each tile has its own devices); an
        unsigned value of at most 8 bits (an input port) when the module is shared by
        several tiles (``hdl/chip.py``).
    conductance : rows x cols ints
        Power-on conductance codes (``TileImage.conductance``, from the golden model: stuck
        cells start at their stuck value).

    Attributes
    ----------
    cmd : In(stream.Signature(crossbar_command_layout(cfg)))
    resp : Out(stream.Signature(crossbar_response_layout(cfg)))
    pair_current : Out(ArrayLayout(signed, cols / 2))
        ``I(2p) - I(2p+1)`` of the last MVM, in 20 nA units; updated when its response is sent.
    """

    def __init__(self, cfg, tile, conductance):
        tile = check_index("tile", tile, 256, 8)
        a = cfg.array
        if len(conductance) != a.rows or any(len(r) != a.cols for r in conductance):
            raise ValueError(f"conductance: must be {a.rows} x {a.cols} codes")
        self._cfg = cfg
        self._tile = tile
        self._conductance = conductance
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

    def _memories(self, m):
        """The conductance memories, one per row lane (memory ``k`` holds rows ``k``,
        ``read_rows + k``, ...: word ``i`` is row ``i * read_rows + k``, so an MVM reads one
        row group, ``read_rows`` rows, per cycle from all lanes at once; a cell is written
        through a ``g_bits``-granular enable), and the per-cell event memory (event counter
        and "formed" flag). Returns the lanes' read and write ports (lists) and the event
        memory's.

        One memory per lane rather than one word per row group: a group's word would be
        ``read_rows * cols * g_bits`` bits, over Amaranth's 65 535-bit limit on a value for
        ``neurram``'s 256 x 256 cells read at once (524 288 bits)."""
        a, d = self._cfg.array, self._cfg.device
        rows, cols, gb, eb = a.rows, a.cols, a.g_bits, a.event_bits
        lanes, groups = a.read_rows, mvm_row_groups(self._cfg)
        g_rd, g_wr = [], []
        for k in range(lanes):
            # The rows past the array in a short last group stay 0 (no command addresses
            # them).
            init = [sum(int(g) << (c * gb) for c, g in enumerate(self._conductance[r]))
                    if r < rows else 0 for r in range(k, groups * lanes, lanes)]
            m.submodules[f"g_mem{k}"] = mem = Memory(
                shape=unsigned(cols * gb), depth=groups, init=init)
            g_rd.append(mem.read_port())
            g_wr.append(mem.write_port(granularity=gb))
        formed0 = int(d.forming_offset == 0)
        m.submodules.event_mem = event_mem = Memory(
            shape=unsigned(eb + 1), depth=rows * cols, init=[formed0 << eb] * (rows * cols))
        return g_rd, g_wr, event_mem.read_port(), event_mem.write_port()

    def elaborate(self, platform):
        m = Module()
        cfg, a, d = self._cfg, self._cfg.array, self._cfg.device
        rows, cols, gb, eb = a.rows, a.cols, a.g_bits, a.event_bits

        # -- submodules ----------------------------------------------------------------------
        g_rd, g_wr, ev_rd, ev_wr = self._memories(m)
        m.submodules.hash_static = hash_s = CellHash(cfg)
        m.submodules.hash_event = hash_e = CellHash(cfg)
        m.submodules.device = dev = CellDevice(cfg)
        noise = None
        if d.mvm_read_noise:
            m.submodules.mvm_noise = noise = MvmNoise(cfg, self._tile)

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
        device_wait = Signal(range(DEVICE_STAGES))
        last_cell = (cmd_q.row == rows - 1) & (cmd_q.col == cols - 1)

        # -- command check (combinational, on the incoming payload) --------------------------
        p = self.cmd.payload
        refused = refusal(m, refusal_rules(cfg), p)

        # -- memory addressing ---------------------------------------------------------------
        cell_index = cmd_q.row * cols + cmd_q.col
        group, lane = _row_place(a, cmd_q.row)
        # The addressed cell's row.
        row_word = Array(r.data for r in g_rd)[lane] if a.read_rows > 1 else g_rd[0].data
        col_enable = (Const(1, cols) << cmd_q.col)[:cols]
        m.d.comb += [
            *(r.addr.eq(group) for r in g_rd),
            ev_rd.addr.eq(cell_index),
            *(w.addr.eq(group) for w in g_wr),
            *(w.data.eq(g_new.replicate(cols)) for w in g_wr),
            ev_wr.addr.eq(cell_index),
            ev_wr.data.eq(Cat((event + 1)[:eb], formed_new)),
        ]

        # -- hash keys and the device model --------------------------------------------------
        cell_key = (self._tile << 16) | (cmd_q.row << 8) | cmd_q.col
        is_relax = cmd_q.op == CrossbarOp.RELAX
        m.d.comb += [
            hash_s.x0.eq((PURPOSE_STATIC << 24) | cell_key),
            hash_s.y0.eq(0),
            hash_e.x0.eq(Mux(is_relax, PURPOSE_RELAX << 24, PURPOSE_EVENT << 24) | cell_key),
            hash_e.y0.eq(Mux(is_relax, anneals, ev_rd.data[:eb])),
            dev.g.eq(g_cell), dev.formed.eq(formed),
            dev.v_line.eq(cmd_q.v_line), dev.v_gate.eq(cmd_q.v_gate),
            dev.width.eq(cmd_q.width), dev.strength.eq(cmd_q.value[:8]),
            dev.static_hash.eq(hash_s.out), dev.event_hash.eq(hash_e.out),
            self.resp.payload.error.eq(error),
            self.resp.payload.value.eq(result),
        ]

        # -- control -------------------------------------------------------------------------
        mvm = _MvmRows(m, cfg, g_rd, self.pair_current)
        with m.FSM(name="crossbar_fsm"):
            accept = [cmd_q.eq(p), error.eq(refused), result.eq(0)] + mvm.start(p.bits)
            with command_idle(m, self.cmd, latch=accept, refused=refused):
                with m.If(p.op == CrossbarOp.MVM):
                    if noise is not None:
                        m.d.comb += noise.start.eq(1)
                    m.next = "MVM-Rows"
                with m.Else():
                    with m.If(p.op == CrossbarOp.RELAX):  # RELAX walks every cell from (0, 0)
                        m.d.sync += [cmd_q.row.eq(0), cmd_q.col.eq(0)]
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
                        # Noise-free verify read: no hash needed; count the event now. The
                        # current is g_cell x v_line next cycle: the block RAM's output, the
                        # cell's column select and the multiplier in one cycle were the
                        # fpga chip's critical path (docs/fpga.md).
                        m.d.comb += [
                            ev_wr.en.eq(1),
                            ev_wr.data.eq(Cat((ev_rd.data[:eb] + 1)[:eb], ev_rd.data[eb])),
                        ]
                        m.next = "Read"
                with m.Else():
                    m.d.comb += [hash_s.start.eq(1), hash_e.start.eq(1)]
                    m.next = "Hash"

            if not d.read_noise:
                with m.State("Read"):
                    m.d.sync += result.eq(g_cell * cmd_q.v_line)
                    m.next = "Respond"

            with m.State("Hash"):
                with m.If(hash_e.done):
                    m.d.sync += device_wait.eq(DEVICE_STAGES - 1)
                    m.next = "Device"

            with m.State("Device"):
                # The hashes hold their outputs; the device model's pipeline fills.
                m.d.sync += device_wait.eq(device_wait - 1)
                with m.If(device_wait == 0):
                    m.d.sync += pulse_left.eq(cmd_q.width)
                    with m.Switch(cmd_q.op):
                        with m.Case(CrossbarOp.SET):
                            m.d.sync += [g_new.eq(dev.set_g),
                                         formed_new.eq(formed | dev.set_moves)]
                            m.next = "Pulse"
                        with m.Case(CrossbarOp.RESET):
                            m.d.sync += g_new.eq(dev.reset_g)
                            m.next = "Pulse"
                        with m.Case(CrossbarOp.READ):
                            m.d.sync += [g_new.eq(g_cell), result.eq(dev.read_g * cmd_q.v_line)]
                            m.next = "Write"
                        with m.Case(CrossbarOp.RELAX):
                            m.d.sync += g_new.eq(dev.relax_g)
                            m.next = "Write"
                        with m.Default():  # LOAD
                            m.d.sync += g_new.eq(Mux(dev.stuck, g_cell, cmd_q.value[:gb]))
                            m.next = "Write"

            with m.State("Pulse"):
                # The pulse is on the lines for `width` cycles.
                m.d.sync += pulse_left.eq(pulse_left - 1)
                with m.If(pulse_left == 1):
                    m.next = "Write"

            with m.State("Write"):
                m.d.comb += [w.en.eq(Mux(lane == k, col_enable, 0))
                             for k, w in enumerate(g_wr)]
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
                with m.If(mvm.rows()):
                    m.next = "MVM-Scale"

            with m.State("MVM-Scale"):
                if noise is None:
                    mvm.scale()
                    m.next = "Respond"
                else:
                    # The read-noise hashes started with the MVM; wait for them if the rows
                    # were faster (hdl.spec.crossbar.latency).
                    with m.If(noise.done):
                        mvm.scale(noise.noise)
                        m.next = "Respond"

            respond_state(m, self.resp)

        return m


class _MvmRows:
    """The MVM read of one bit-plane: one row group (``read_rows`` rows, one word of the
    conductance memory) per cycle, the driven rows' differential pairs summed and
    accumulated, then scaled by the read voltage (``hdl.spec.crossbar.latency``:
    ``ceil(rows / read_rows) + 3`` cycles). Subtracting per row before the adder tree costs
    fewer LUTs than summing the columns first (ECP5, tiny: 7.0k against 8.9k LUT4 for 16
    rows per cycle, as few as the old row-serial code for 1)."""

    def __init__(self, m, cfg, g_rd, pair_current):
        # g_rd: the conductance memories' read ports, one per row lane.
        a = cfg.array
        self._m, self._a, self._g_rd, self._out = m, a, g_rd, pair_current
        self._groups = mvm_row_groups(cfg)
        self.group = Signal(range(self._groups + 1), name="mvm_group")
        self.bits = Signal(a.rows, name="mvm_bits")
        self.bits_d = Signal(a.read_rows, name="mvm_bits_d")
        acc_shape = signed((a.rows * a.g_max).bit_length() + 1)
        self.acc = Signal(data.ArrayLayout(acc_shape, a.pairs), name="acc")

    def start(self, bits):
        """Sync statements that load a command's plane (on every accepted command)."""
        return ([self.bits.eq(bits), self.group.eq(0), self.bits_d.eq(0)]
                + [self.acc[p].eq(0) for p in range(self._a.pairs)])

    def rows(self):
        """Cycle i presents group i; group i-1's word arrives and is accumulated. Returns
        the "last group presented" condition."""
        m, a, gb, lanes = self._m, self._a, self._a.g_bits, self._a.read_rows
        words = [r.data for r in self._g_rd]
        m.d.comb += [r.addr.eq(self.group) for r in self._g_rd]
        m.d.sync += [
            self.group.eq(self.group + 1),
            self.bits_d.eq(self.bits[:lanes]),
            self.bits.eq(self.bits >> lanes),
        ]
        with m.If(self.group != 0):
            # Each driven row's g+ - g- (the rows past the array in a short last group have
            # no bit set), summed over the group.
            for pair in range(a.pairs):
                diffs = [Mux(self.bits_d[k], words[k].word_select(2 * pair, gb)
                             - words[k].word_select(2 * pair + 1, gb), 0)
                         for k in range(lanes)]
                m.d.sync += self.acc[pair].eq(self.acc[pair] + _tree_sum(diffs))
        return self.group == self._groups

    def scale(self, noise=None):
        """Sync: the pair currents ``(acc + noise) * v_read_mvm`` (``noise``: the read-noise
        offsets in conductance codes, or none)."""
        for pair in range(self._a.pairs):
            g = self.acc[pair] if noise is None else self.acc[pair] + noise[pair]
            self._m.d.sync += self._out[pair].eq(_times_const(g, self._a.v_read_mvm))


def _row_place(a, row):
    """``(group, lane)`` of ``row``: the conductance-memory word holding it and its row within
    that word (``row // read_rows``, ``row % read_rows``). Slices for a power of two, else a
    ``rows``-entry constant table (no divider)."""
    lanes = a.read_rows
    if lanes & (lanes - 1) == 0:
        k = lanes.bit_length() - 1
        return row >> k, (row[:k] if k else Const(0))
    groups = -(-a.rows // lanes)
    group = Array(Const(r // lanes, range(groups)) for r in range(a.rows))
    lane = Array(Const(r % lanes, range(lanes)) for r in range(a.rows))
    return group[row], lane[row]


def _tree_sum(terms):
    """Sum of ``terms`` as a balanced adder tree: each level is one bit wider, so the root
    is exactly as wide as the sum needs (a chain would widen by a bit per term)."""
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
                 for i in range(0, len(terms), 2)]
    return terms[0]


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
