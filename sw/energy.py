"""Energy (and latency) of a compiled network on the chip: an **estimate**, not a measurement.

The chip counts what it does (tile counters ``MVMS``, ``CONVERSIONS``, ``PULSES``, ``BUSY``;
host counters ``FLITS_OUT`` / ``FLITS_IN``). This module turns those counts, and what the
compiled network's static shape implies about the events nobody counts (row drives, cell
reads, SRAM words, flit hops), into energy with one per-event table, :data:`ENERGY_TABLE`:
every figure is cited to its source and flagged where it rests on an assumption.
``docs/energy.md`` is the method, the table and the caveats.

* :func:`image_traffic` and :func:`event_counts`: the events of an inference run;
* :func:`estimate`: energy per inference (total and per component), per MAC, the
  programming energy (one time), and cycles;
* :func:`published`: NeuRRAM's, TAICHI's and Amer et al.'s published figures (or a note that
  the stored sources did not have them);
* :func:`markdown` and :func:`energy_rows`: the demo's table and ``demo.json`` entry.
"""

from dataclasses import dataclass

import numpy as np

from hdl.spec.config import V_PER_CODE
from hdl.spec.host import RESPONSE_WORDS, out_burst
from hdl.spec.noc import EAST, LOCAL, NORTH, SOUTH, WEST, node_xy
from hdl.spec.tile import TileField, mvm_latency
from sim.chip import ni_stalls
from sim.noc import xy_route
from sw.compiler import ideal_forward

__all__ = ["EventEnergy", "ENERGY_TABLE", "PublishedFigure", "published", "table_markdown",
           "network_macs", "Packet", "image_traffic", "router_hops", "counter_deltas",
           "event_counts",
           "estimate", "markdown", "energy_rows", "ADC_REF_BITS", "V_READ_REF"]

#: Resolution of the ADC figure in :data:`ENERGY_TABLE`; other resolutions scale by
#: ``2 ** (B - ADC_REF_BITS)`` (Walden figure of merit: energy per conversion-step).
ADC_REF_BITS = 8
#: Row read voltage (V) of the cell-read figure; other voltages scale by ``(V / V_READ_REF)**2``.
V_READ_REF = 0.2


@dataclass(frozen=True)
class EventEnergy:
    """One row of the per-event energy table.

    Attributes
    ----------
    event : str
        Key used in the event counts.
    pj : float
        Energy of one event, pJ (at the reference condition the note names).
    per : str
        What one event is.
    source : str
        Where the figure comes from (paper, table or section; the stored copy it was read
        from).
    note : str
        Technology node and how the figure was derived.
    assumption : bool
        True where the figure rests on an assumption of ours (a simulator default, a
        scaling), not on a published measurement of that event.
    """

    event: str
    pj: float
    per: str
    source: str
    note: str
    assumption: bool


#: The per-event energy table (the only place the figures live; ``docs/energy.md`` lists the
#: same numbers, ``sw/test_energy.py`` checks that it does).
ENERGY_TABLE = (
    EventEnergy(
        "adc_conversion", 2.80, "one 8-bit SAR conversion",
        "B. Murmann, ADC Performance Survey 1997-2025 (ISSCC and VLSI sheets, "
        "github.com/bmurmann/ADC-survey, xls/ADCsurvey_latest.xlsx, column P/fsnyq)",
        "median of the 12 SAR and SAR-hybrid, not time-interleaved designs with "
        "SNDR 43-50 dB (an 8-bit class): 2.80 pJ, range 1.09-38 pJ, nodes 28-250 nm "
        "(pure SAR only, 9 designs: 2.78 pJ). Cross-check: Kull et al., ISSCC 2013, 8 b "
        "1.2 GS/s SAR at 3.1 mW in 32 nm SOI = 2.6 pJ (ISAAC's ADC, as CiMLoop's "
        "hwcomponents-library isaac.py derives it). Other resolutions B scale by "
        "2^(B-8) (Walden FoM; CiMLoop scales ADC energy the same way)", False),
    EventEnergy(
        "row_drive", 0.42, "one row driven to V_read for one input bit-plane",
        "Shafiee et al., ISAAC, ISCA 2016 (1-bit DACs: 4 mW for 8 x 128 per IMA at 10 MHz), "
        "per-drive energy as derived in Accelergy-Project/hwcomponents-library "
        "(CiMLoop), library/isaac.py IsaacDAC: 0.41667 pJ",
        "32 nm, a 128-column row; ours are 16-64 columns (an overestimate there)", False),
    EventEnergy(
        "cell_read", 0.0004, "one cell on a driven row for one plane, per uS of its "
        "conductance (counts are summed conductances)",
        "Ohm: E = V_read^2 x G x t_read, with V_read = v_read_mvm = 10 codes x 20 mV = 0.2 V "
        "(hdl/spec/config.py) and t_read = 10 ns, the read pulse of NeuroSim "
        "(neurosim/DNN_NeuroSim_V1.3 Param.cpp readPulseWidth) and of CiMLoop's NeuRRAM "
        "model (mit-emze/cimloop wan_nature_2022/variables_free.yaml READ_PULSE_WIDTH)",
        "0.2^2 V^2 x 1 uS x 10 ns = 0.4 fJ per uS. The pulse width is an assumption (the "
        "chip's read is a digital stand-in); G is each cell's target level (10-120 uS, "
        "Milo et al.); other V_read scale by (V/0.2 V)^2", True),
    EventEnergy(
        "accumulate", 0.1, "one shift-add of a conversion into its accumulator",
        "Horowitz, 'Computing's energy problem', ISSCC 2014, 45 nm 0.9 V table: 32-bit "
        "integer add 0.1 pJ (values as transcribed in gist.github.com/V0XNIHILI/"
        "2b6fa61edd4c06d9ffce5551065124c1); NeuRRAM's shift-add in CiMLoop's library "
        "(library/neurram.py NeurramShiftAdd, 130 nm 1.8 V) is also 0.1 pJ",
        "45 nm; our accumulators are psum_bits = 24 wide", False),
    EventEnergy(
        "output_op", 3.2, "one output of the output unit (psum and bias add, multiply, "
        "round, activate)",
        "Horowitz, ISSCC 2014, 45 nm 0.9 V: 32-bit integer multiply 3.1 pJ + add 0.1 pJ "
        "(same transcription)",
        "45 nm; the multiplier is 16 x 24 bits (mult_bits x psum_bits), charged as 32 x 32",
        False),
    EventEnergy(
        "sram_access", 5.0, "one 32-bit word written or read in a buffer or queue",
        "Horowitz, ISSCC 2014, 45 nm 0.9 V: 8 KB SRAM, 64-bit access 10 pJ (same "
        "transcription)",
        "halved for a 32-bit word (assumption: energy ~ width). Our buffers are at most "
        "4 KB and the tile's input buffer is flip-flops: an overestimate", True),
    EventEnergy(
        "flit_hop", 2.59, "one 32-bit flit through one router (and its output link)",
        "Shafiee et al., ISAAC, ISCA 2016 (router shared by 4 tiles, 42 mW, 32 nm), per "
        "transfer as derived in hwcomponents-library library/isaac.py IsaacRouter: "
        "20.74 pJ per 256-bit transfer",
        "32 nm; scaled linearly to our 32-bit flits (20.74 x 32 / 256), as CiMLoop scales "
        "router width", True),
    EventEnergy(
        "program_pulse", 38.4, "one SET or RESET pulse of the write-verify engine (its "
        "verify read, ~0.3 fJ, included)",
        "NeuroSim's write-energy formula E = V_w^2 x G x t_w (neurosim/MLP_NeuroSim_V3.0 "
        "Cell.cpp AnalogNVM::WriteEnergyCalculation) with its RealDevice defaults "
        "V_w = 2 V, t_w = 80 ns",
        "G = 120 uS, Milo's top level (an upper bound per pulse): 4 V^2 x 120 uS x 80 ns. "
        "Milo's own pulse width and currents were not in the stored sources: assumption",
        True),
)

_BY_EVENT = {e.event: e for e in ENERGY_TABLE}
#: Events of an inference (programming is one-time and reported apart).
INFERENCE_EVENTS = tuple(e.event for e in ENERGY_TABLE if e.event != "program_pulse")


def scaled_pj(event, cfg):
    """Energy (pJ) of one ``event`` on the chip ``cfg``: the table's figure, the ADC scaled
    to ``cfg.adc_bits`` and the cell read to the configured row voltage."""
    pj = _BY_EVENT[event].pj
    if event == "adc_conversion":
        pj *= 2.0 ** (cfg.adc_bits - ADC_REF_BITS)
    elif event == "cell_read":
        pj *= (cfg.array.v_read_mvm * V_PER_CODE / V_READ_REF) ** 2
    return pj


def table_markdown():
    """The per-event table as Markdown lines (``docs/energy.md`` carries them)."""
    lines = ["| event | pJ | one event is | source | node, derivation | assumption |",
             "|---|---|---|---|---|---|"]
    for e in ENERGY_TABLE:
        lines.append(f"| `{e.event}` | {e.pj:g} | {e.per} | {e.source} | {e.note} | "
                     f"{'yes' if e.assumption else 'no'} |")
    return lines


# -- published figures ------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedFigure:
    """A published efficiency figure. ``tops_per_w`` / ``fj_per_mac`` are None where the
    stored sources did not give one (the note says so); ``fj_per_mac = 2000 / tops_per_w``
    (one MAC is two operations)."""

    chip: str
    conditions: str
    tops_per_w: float
    ref: str       # short reference (tables)
    source: str
    note: str

    @property
    def fj_per_mac(self):
        return None if self.tops_per_w is None else 2000.0 / self.tops_per_w


_NEURRAM_SOURCE = ("Wan et al., 'A compute-in-memory chip based on resistive random-access "
                   "memory', Nature 608, 504-512 (2022): measured; the reference values of "
                   "CiMLoop's replication test (mit-emze/cimloop, workspace/models/arch/"
                   "1_macro/wan_nature_2022/_tests.py test_tops, 'Fig. 12 (c) and (d)')")
_NEURRAM_REF = "Wan et al., Nature 2022 (values via CiMLoop's _tests.py)"
_NEURRAM_NOTE = ("130 nm, 4-bit weights (2 RRAM cells each), 48 cores of 256 x 256, "
                 "100 % array utilization, MVM only: buffers and partial sums were in an "
                 "FPGA on the board")


def published():
    """NeuRRAM's, TAICHI's and Amer et al.'s reported efficiency, with the conditions."""
    return (
        PublishedFigure("NeuRRAM", "1-bit inputs, 3-bit outputs (peak)", 43.08,
                        _NEURRAM_REF, _NEURRAM_SOURCE, _NEURRAM_NOTE),
        PublishedFigure("NeuRRAM", "6-bit inputs, 8-bit outputs, two-phase", 8.257,
                        _NEURRAM_REF, _NEURRAM_SOURCE, _NEURRAM_NOTE),
        PublishedFigure("NeuRRAM", "8-bit inputs, 10-bit outputs, two-phase", 6.437,
                        _NEURRAM_REF, _NEURRAM_SOURCE,
                        _NEURRAM_NOTE + "; CiMLoop's energy breakdown at "
                        "this point (test_energy_bits_scaling, fJ per operation): WL "
                        "switching 50.5, neuron ops and control (ADC) 75.9, input pulses "
                        "27.5"),
        PublishedFigure("TAICHI", "4-bit weights, 256 x 64 arrays, 8-bit ADC (DESIGN.md)",
                        None, "Wang et al., TCAS-II 2022",
                        "Wang et al., 'TAICHI: A tiled architecture for in-memory computing "
                        "and heterogeneous integration', IEEE Trans. Circuits Syst. II "
                        "(2022), pp. 559-563, doi 10.1109/TCSII.2021.3097035",
                        "no figure in the stored sources: only the abstract (performance "
                        "'estimated at several technology nodes') was reachable"),
        PublishedFigure("Amer et al.", "SkyWater 130 nm, signed 5-bit weights (DESIGN.md)",
                        None, "Amer et al., 2024", "Amer et al., 2024 (as DESIGN.md cites it)",
                        "no figure in the stored sources: the paper was not found; "
                        "DESIGN.md records that ADCs and DACs are > 80 % of its power and "
                        "area"),
    )


# -- the network's shape and traffic ------------------------------------------------------------


def network_macs(compiled):
    """Multiply-accumulates of one inference: sum of inputs x outputs over the layers (the
    padding of partly used arrays is not counted)."""
    return sum(layer.inputs * layer.outputs for layer in compiled.network.layers)


@dataclass(frozen=True)
class Packet:
    """One packet of an image's traffic: source and destination nodes, length in flits
    (head included) and what it carries."""

    src: int
    dest: int
    flits: int
    what: str      # "inputs", "start", "answer", "outputs"


def image_traffic(compiled):
    """The packets one image puts on the network, as ``sw.runtime.Runtime.infer`` sends
    them (the same in the pipelined and the sequential schedule):

    * host-fed tiles (the first layer, or after a relay): BUF_WRITE of their inputs in
      packets of ``max_packet_flits - 2`` words (head, start, words), each answered (head
      + ``RESPONSE_WORDS``); START_MVM (one flit) to those no data starts;
    * every tile: the MVM's answer to the host, and its outputs to ``DEST`` in packets of
      ``out_burst`` values (head, offset, values).
    """
    cfg = compiled.cfg
    host = cfg.host_node
    chunk = cfg.noc.max_packet_flits - 2
    burst = out_burst(cfg)
    answer = 1 + RESPONSE_WORDS
    packets = []
    layers = compiled.layers
    for i, lp in enumerate(layers):
        host_fed = i == 0 or layers[i - 1].relay
        for t in lp.all_tiles():
            if host_fed:
                for k in range(0, t.n_rows, chunk):
                    packets.append(Packet(host, t.node, 2 + min(chunk, t.n_rows - k),
                                          "inputs"))
                    packets.append(Packet(t.node, host, answer, "answer"))
                if t.expect == 0:
                    packets.append(Packet(host, t.node, 1, "start"))
            packets.append(Packet(t.node, host, answer, "answer"))
            for k in range(0, t.n_out, burst):
                packets.append(Packet(t.node, t.desc[TileField.DEST],
                                      2 + min(burst, t.n_out - k), "outputs"))
    return packets


def router_hops(cfg, src, dest):
    """Routers a packet from ``src`` to ``dest`` passes, XY routing (``sim.noc.xy_route``):
    the Manhattan distance plus one (the destination's router ejects it)."""
    x, y = node_xy(cfg, src)
    dx, dy = node_xy(cfg, dest)
    step = {EAST: (1, 0), WEST: (-1, 0), SOUTH: (0, 1), NORTH: (0, -1)}
    hops = 1
    while (port := xy_route(x, y, dx, dy)) != LOCAL:
        x, y = x + step[port][0], y + step[port][1]
        hops += 1
    return hops


def counter_deltas(after, before):
    """Per-tile counter differences ``after - before`` (32-bit wrapping), node keys made
    ints (``demo.json`` has strings); ``before`` None: zero."""
    before = {int(node): c for node, c in (before or {}).items()}
    out = {}
    for node, c in after.items():
        b = before.get(int(node), {})
        out[int(node)] = {k: (int(v) - int(b.get(k, 0))) & 0xFFFF_FFFF for k, v in c.items()}
    return out


def _layer_inputs(compiled, codes):
    """Each layer's input codes (n, inputs) for the first layer's ``codes``, with the chip's
    arithmetic on the target conductances (``ideal_forward``)."""
    outs = ideal_forward(compiled, codes)
    return [np.asarray(codes, np.int64)] + outs[:-1]


def event_counts(compiled, tile_counters, images):
    """Events of an inference run of ``images`` images.

    Parameters
    ----------
    compiled : CompiledNetwork
    tile_counters : dict node -> dict counter -> int, or None
        Counter differences over the run (``Runtime.counters()`` after minus before). None:
        the static shape alone (every tile one MVM per image).
    images : int or array (n, inputs)
        The number of images, or the first layer's input codes of the run: then the row
        drives and cell reads count the input bits that are 1 (hidden layers through
        ``ideal_forward``); otherwise every row of a block is taken as driven in every plane
        (an upper bound).

    Returns
    -------
    dict
        ``counts`` (event -> total over the run), ``images``, ``row_activity`` ("input
        bits" or "upper bound"), ``counted`` (the events the chip counted itself) and
        ``traffic`` (flits from and to the host per image, data packets per tile per image).
    """
    cfg = compiled.cfg
    codes = None if np.isscalar(images) else np.asarray(images, np.int64)
    n = int(images) if codes is None else codes.shape[0]
    tiles = compiled.tiles()
    if tile_counters is None:
        mvms = {t.node: n for t in tiles}
    else:
        mvms = {t.node: tile_counters[t.node]["mvms"] for t in tiles}
    lv = np.asarray(compiled.levels, np.float64)

    conversions = sum(mvms[t.node] * t.desc[TileField.IN_BITS] * cfg.array.pairs
                      for t in tiles)
    counted = []
    if tile_counters is not None:
        measured = sum(tile_counters[t.node]["conversions"] for t in tiles)
        if measured != conversions:
            raise ValueError(f"the counters show {measured} ADC conversions; the compiled "
                             f"network's MVMs imply {conversions}: counters of another run?")
        counted = ["adc_conversion"]

    # Row drives and the conductance they read, block by block.
    rows_driven = cells_read = conductance = 0.0
    inputs = _layer_inputs(compiled, codes) if codes is not None else None
    for lp_i, lp in enumerate(compiled.layers):
        for t in lp.all_tiles():
            g_row = lv[t.targets()].sum(axis=1)                 # uS per row, all columns
            p = t.desc[TileField.IN_BITS]
            if codes is None:
                driven = np.full(t.n_rows, float(p * mvms[t.node]))   # per row, over the run
            else:
                x = inputs[lp_i][:, t.rows[0]:t.rows[1]]
                planes = (x[:, None, :] >> np.arange(p)[None, :, None]) & 1    # (n, P, rows)
                driven = planes.sum(axis=(0, 1)).astype(np.float64)
                driven *= mvms[t.node] / n                      # 1 unless a tile ran extra
            rows_driven += driven.sum()
            cells_read += driven.sum() * cfg.array.cols
            conductance += float(driven @ g_row)

    # Network traffic, buffers and queues.
    packets = image_traffic(compiled)
    flit_hops = sum(p.flits * router_hops(cfg, p.src, p.dest) for p in packets)
    host = cfg.host_node
    flits_out = sum(p.flits for p in packets if p.src == host)
    flits_in = sum(p.flits for p in packets if p.dest == host)
    outputs = sum(t.desc[TileField.OUT_COUNT] for t in tiles)
    sram = {
        # input buffer writes, bias reads, psum writes and reads
        "tile_buffers": sum(t.n_rows + t.desc[TileField.OUT_COUNT]
                            * (3 if t.desc[TileField.PSUM_EN] else 1) for t in tiles),
        # host command queue (push, pop) and response queue (push, pop)
        "host_queues": 2 * (flits_out + flits_in),
        # every packet waits whole in its source's injection NI buffer (write, read)
        "ni_buffers": 2 * sum(p.flits for p in packets),
    }
    counts = {
        "adc_conversion": conversions,
        "row_drive": rows_driven,
        "cell_read": conductance,
        "accumulate": conversions,
        "output_op": outputs * n,
        "sram_access": sum(sram.values()) * n,
        "flit_hop": flit_hops * n,
    }
    return {
        "counts": counts,
        "images": n,
        "cells_read": cells_read,
        "row_activity": "input bits" if codes is not None else "upper bound",
        "counted": counted,
        "sram_words_per_image": sram,
        "traffic": {
            "host_flits_out": flits_out,
            "host_flits_in": flits_in,
            "data_packets": {t.node: sum(1 for p in packets
                                         if p.src == t.node and p.what == "outputs")
                             for t in tiles},
        },
    }


# -- the estimate ---------------------------------------------------------------------------------


def _pulses(program_reports):
    total = 0
    for r in program_reports or ():
        total += r["pulses"] if isinstance(r, dict) else r.pulses
    return total


def estimate(compiled, counts, images, program_reports=(), tile_counters=None):
    """Energy of an inference run (an **estimate**).

    Parameters
    ----------
    compiled : CompiledNetwork
    counts : dict or None
        Either event counts (event -> total over the run, e.g. :func:`event_counts`'s
        ``counts``) or tile counter differences (node -> counter -> value), from which
        :func:`event_counts` derives them; None: the static shape alone.
    images : int or array (n, inputs)
        As in :func:`event_counts`.
    program_reports : iterable of ProgramReport or dict
        The programming run (``Runtime.program``); its pulses are the one-time energy.
    tile_counters : dict, optional
        Counter differences, for the cycles (``busy``) when ``counts`` are event counts.

    Returns
    -------
    dict
        ``label`` ("estimate"); ``events`` (event -> count per inference, pJ each, nJ per
        inference, share); ``energy_per_inference_nj`` and its ``subtotals_nj`` (tile
        compute: array, ADC and digital; data movement: buffers, queues and NoC);
        ``macs_per_inference``; ``energy_per_mac_fj`` and ``compute_per_mac_fj``;
        ``tops_per_w``; ``programming`` (pulses, uJ; one time); ``cycles`` (the spec's MVM
        latency per layer, tile busy cycles per image when counters are given).
    """
    cfg = compiled.cfg
    if counts and set(counts) <= set(INFERENCE_EVENTS):
        derived = {"counts": dict(counts),
                   "images": int(images) if np.isscalar(images) else len(images),
                   "row_activity": "given", "counted": []}
    else:
        tile_counters = counts if counts else None
        derived = event_counts(compiled, tile_counters, images)
    n = derived["images"]
    if n <= 0:
        raise ValueError("no images: energy per inference is undefined")
    events = {}
    total_pj = 0.0
    for ev in INFERENCE_EVENTS:
        count = float(derived["counts"].get(ev, 0.0)) / n
        pj = scaled_pj(ev, cfg)
        events[ev] = {"count": count, "pj_each": pj, "nj": count * pj / 1000.0}
        total_pj += count * pj
    for ev in events.values():
        ev["share"] = ev["nj"] * 1000.0 / total_pj if total_pj else 0.0
    subtotals = {name: sum(events[e]["nj"] for e in group)
                 for name, group in SUBTOTALS.items()}
    macs = network_macs(compiled)
    pulses = _pulses(program_reports)
    layer_mvm = [max(mvm_latency(cfg, t.desc[TileField.IN_BITS], t.desc[TileField.OUT_COUNT],
                                 ni_stalls(cfg, t.desc[TileField.OUT_COUNT]))
                     for t in lp.all_tiles())
                 for lp in compiled.layers]
    cycles = {"mvm_per_layer": layer_mvm, "mvm_latency": sum(layer_mvm)}
    if tile_counters:
        nodes = {t.node for t in compiled.tiles()}
        cycles["busy_per_image"] = {int(k): v["busy"] / n for k, v in tile_counters.items()
                                    if int(k) in nodes}
    return {
        "label": "estimate",
        "config": cfg.name,
        "images": n,
        "row_activity": derived["row_activity"],
        "counted": derived["counted"],
        "events": events,
        "sram_words_per_image": derived.get("sram_words_per_image"),
        "energy_per_inference_nj": total_pj / 1000.0,
        "subtotals_nj": subtotals,
        "macs_per_inference": macs,
        "energy_per_mac_fj": total_pj * 1000.0 / macs,
        "compute_per_mac_fj": subtotals["tile compute"] * 1e6 / macs,
        "tops_per_w": 2.0 * macs / total_pj,
        "programming": {"pulses": pulses,
                        "energy_uj": pulses * scaled_pj("program_pulse", cfg) / 1e6},
        "cycles": cycles,
    }


#: The two parts of the inference energy: the tiles' compute (what NeuRRAM's MVM-level
#: figures cover) and the data movement around it.
SUBTOTALS = {
    "tile compute": ("adc_conversion", "row_drive", "cell_read", "accumulate", "output_op"),
    "data movement": ("sram_access", "flit_hop"),
}


def markdown(est):
    """The estimate as Markdown lines: per component, per inference and per MAC, the
    programming energy, the cycles, and the published figures beside it."""
    lines = [
        f"**Energy per inference: estimate** ({est['config']}, {est['images']} images; "
        f"event counts x the per-event energies of `docs/energy.md`, not a measurement; "
        f"row activity: {est['row_activity']})",
        "",
        "| component (estimate) | events / inference | pJ each | nJ / inference | share |",
        "|---|---|---|---|---|",
    ]
    for ev, e in est["events"].items():
        mark = " (counted)" if ev in est["counted"] else " (derived)"
        if ev == "cell_read":
            mark = " (derived; uS of the cells read)"
        lines.append(f"| `{ev}`{mark} | {e['count']:,.1f} | {e['pj_each']:.4g} | "
                     f"{e['nj']:.3f} | {100 * e['share']:.1f} % |")
    sub = est["subtotals_nj"]
    total = est["energy_per_inference_nj"]
    for name, nj in sub.items():
        lines.append(f"| subtotal: {name} | | | {nj:.3f} | {100 * nj / total:.1f} % |")
    lines += [
        f"| **total (estimate)** | | | **{total:.2f}** | 100 % |",
        "",
        f"Per MAC ({est['macs_per_inference']:,} MACs / inference): "
        f"**{est['energy_per_mac_fj']:.0f} fJ/MAC** ({est['tops_per_w']:.2f} TOPS/W), of which "
        f"tile compute {est['compute_per_mac_fj']:.0f} fJ/MAC (estimate). Programming, one "
        f"time: {est['programming']['pulses']:,} pulses, "
        f"{est['programming']['energy_uj']:.2f} uJ (estimate).",
        "",
    ]
    cy = est["cycles"]
    line = (f"Cycles: MVM latency per layer (spec) {cy['mvm_per_layer']}, "
            f"{cy['mvm_latency']} in all")
    if "busy_per_image" in cy:
        busy = ", ".join(f"tile {k}: {v:.0f}" for k, v in sorted(cy["busy_per_image"].items()))
        line += f"; tile busy cycles per image (counted) {busy}"
    lines += [line + ".", "",
              "| chip | conditions | TOPS/W | fJ/MAC | source |",
              "|---|---|---|---|---|",
              f"| this chip, whole inference (**estimate**) | {est['config']}, incl. "
              f"buffers, queues, NoC | {est['tops_per_w']:.2f} | "
              f"{est['energy_per_mac_fj']:.0f} | `docs/energy.md` |",
              f"| this chip, tile compute only (**estimate**) | array, ADCs, shift-add, "
              f"output unit | {2000.0 / est['compute_per_mac_fj']:.2f} | "
              f"{est['compute_per_mac_fj']:.0f} | `docs/energy.md` |"]
    for f in published():
        tw = "not found" if f.tops_per_w is None else f"{f.tops_per_w:.3g}"
        fj = "not found" if f.fj_per_mac is None else f"{f.fj_per_mac:.0f}"
        lines.append(f"| {f.chip} | {f.conditions} | {tw} | {fj} | {f.ref} |")
    return lines


def energy_rows(compiled, counters_before, counters_after, images, program_reports=()):
    """For the demo: ``(dict for demo.json, Markdown lines)``.

    Parameters
    ----------
    compiled : CompiledNetwork
    counters_before, counters_after : dict node -> dict counter -> int, or None
        ``Runtime.counters()`` before and after the inference run (string node keys, as in
        ``demo.json``, work too). ``counters_before`` None: zero. Then full tile counters
        (with ``pulses``) are taken as counted since power-on: programming runs no MVM, so
        MVMS and CONVERSIONS are the inference's, and the programming's BUSY cycles (from
        ``program_reports``) are taken off; counters without ``pulses``, such as
        ``sw.batch.batch_infer``'s ``counters`` (what the images add), are used as they
        are. ``counters_after`` None: the static shape alone.
    images : array (n, inputs) or int
        The first layer's input codes of the run (row activity from the data) or their
        number (every row driven in every plane: an upper bound).
    program_reports : iterable of ProgramReport or dict
        ``Runtime.program()``'s reports (or ``demo.json``'s ``program`` entries).
    """
    deltas = None if counters_after is None else counter_deltas(counters_after, counters_before)
    since_power_on = counters_before is None and deltas is not None and all(
        "pulses" in c for c in deltas.values())
    if since_power_on:
        for r in program_reports or ():
            node, cyc = (r["node"], r["cycles"]) if isinstance(r, dict) else (r.node, r.cycles)
            if node in deltas:
                deltas[node]["busy"] = (deltas[node]["busy"] - cyc) & 0xFFFF_FFFF
    est = estimate(compiled, deltas, images, program_reports)
    report = dict(est)
    report["events"] = {k: dict(v) for k, v in est["events"].items()}
    report["published"] = [
        {"chip": f.chip, "conditions": f.conditions, "tops_per_w": f.tops_per_w,
         "fj_per_mac": f.fj_per_mac, "source": f.source, "note": f.note}
        for f in published()]
    return report, markdown(est)


if __name__ == "__main__":
    print("\n".join(table_markdown()))
