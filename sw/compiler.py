"""The network compiler: a :class:`~sw.network.Network` onto the chip's tiles.

``compile_network(network, cfg, calibration_x)`` returns a :class:`CompiledNetwork`:

* **Quantization.** Every weight becomes a differential pair of the write-verify engine's
  levels (``sw.quantize``: register sets 0..4, Milo et al.'s 10 / 30 / 60 / 90 / 120 uS),
  one weight scale per layer.
* **Splitting.** A layer larger than one array is cut into blocks of at most ``rows``
  inputs by ``cols / 2`` outputs, one tile each. The row blocks of one output block form a
  chain: each tile adds the partial sums of the one before it (``PSUM_EN``) and passes the
  raw sum on (``OUT_RAW``, a PARTIAL_SUMS packet, tile to tile over the NoC); the last one
  adds the bias and requantizes.
* **Calibration** on training inputs, with the chip's own arithmetic on the target
  conductances (``sim.tile.adc_convert`` and ``requantize``): the ADC gain (``ADC_SHIFT``)
  that minimises the squared error of the bit-serial sum, the activation range of every
  hidden layer (a high percentile), and from those the bias in accumulator units and the
  requantization multiplier and shift. The last layer sends raw sums (the logits, in
  accumulator units) to the host's activation SRAM.
* **Placement.** Blocks take tiles in node order, layer by layer; a layer's outputs go tile
  to tile when every output block feeds exactly one tile of the next layer, through the
  host otherwise (:attr:`LayerPlan.relay`).

Outputs bound for the host (the last layer's, and a relayed layer's) are numbered from 0
in ``OFFSET``; the runtime adds ``QUEUE_OFFSET`` so that they come back through the
response queue.

A network that cannot run is refused here, before anything touches the chip, with a
:class:`~sw.network.NetworkError` that names the layer and what is short: tiles, the
response queue for a data packet, the bias or the requantization range.

``sw.runtime`` turns a compiled network into driver programs (weights through the
write-verify engine, inference) that run unchanged on the golden model and on the RTL.
"""

from dataclasses import dataclass, field

import numpy as np

from hdl.spec.crossbar import pair_current_bits
from hdl.spec.host import out_burst
from hdl.spec.tile import Activation, TileField
from hdl.spec.write_verify import WV_SETS
from sim.tile import adc_convert, requantize
from sw.network import Network, NetworkError
from sw.quantize import quantize

__all__ = ["MILO_LEVELS_US", "TilePlan", "LayerPlan", "CompiledNetwork", "compile_network",
           "quantize_inputs", "ideal_forward"]

#: The conductance levels (uS) of the write-verify engine's power-on register sets 0..4.
MILO_LEVELS_US = (10, 30, 60, 90, 120)

#: Percentile of a hidden layer's calibration activations that maps to the top output code.
ACTIVATION_PERCENTILE = 99.9


@dataclass
class TilePlan:
    """One array-sized block of a layer on one tile.

    Attributes
    ----------
    node : int
        The tile's node.
    layer : int
        Index of the layer in the network.
    rows : (int, int)
        The layer inputs ``rows[0] .. rows[1] - 1`` drive the array's rows ``0 ..``.
    outputs : (int, int)
        The layer outputs ``outputs[0] .. outputs[1] - 1`` are pairs ``0 ..``.
    plus, minus : ndarray (rows, pairs) int
        Level index (register set) of every pair's G+ (column ``2p``) and G- (``2p + 1``).
    desc : dict TileField -> int
        The layer descriptor.
    bias : ndarray (pairs,) int
        Bias in accumulator units (zero but on the last tile of a chain).
    expect : int
        Data words (activations and partial sums from other tiles) the tile waits for
        before its MVM of an image runs; 0 for a tile the host feeds.
    """

    node: int
    layer: int
    rows: tuple
    outputs: tuple
    plus: np.ndarray
    minus: np.ndarray
    desc: dict = field(default_factory=dict)
    bias: np.ndarray = None
    expect: int = 0

    @property
    def n_rows(self):
        return self.rows[1] - self.rows[0]

    @property
    def n_out(self):
        return self.outputs[1] - self.outputs[0]

    def targets(self):
        """``(rows, 2 * pairs)`` level indices: G+ and G- interleaved column by column."""
        t = np.empty((self.plus.shape[0], 2 * self.plus.shape[1]), np.int64)
        t[:, 0::2], t[:, 1::2] = self.plus, self.minus
        return t

    def diff(self, levels):
        lv = np.asarray(levels, np.int64)
        return lv[self.plus] - lv[self.minus]


@dataclass
class LayerPlan:
    """A layer's blocks and arithmetic.

    Attributes
    ----------
    name : str
    in_bits, in_signed : int
        Activation width P and signedness of the layer's inputs.
    in_scale : float
        Float value of one input code.
    weight_scale : float
        Float weight per uS of pair difference.
    adc_shift : int
    acc_scale : float
        Float pre-activation per accumulator unit:
        ``in_scale * weight_scale * 2**adc_shift / v_read_mvm``.
    out_scale : float or None
        Float value of one output code (None for the last layer: raw sums).
    tiles : list of list of TilePlan
        ``tiles[j][i]``: output block ``j``, row block ``i`` (the chain's order).
    relay : bool
        The outputs go to the host's SRAM and the host sends them on (the next layer's
        blocks do not line up with this layer's), rather than tile to tile.
    """

    name: str
    in_bits: int
    in_signed: int
    in_scale: float
    weight_scale: float
    adc_shift: int
    acc_scale: float
    out_scale: float
    tiles: list
    relay: bool = False

    def all_tiles(self):
        return [t for chain in self.tiles for t in chain]


@dataclass
class CompiledNetwork:
    """Everything the runtime needs to put the network on a chip and run it.

    Attributes
    ----------
    cfg : ChipConfig
    network : Network
    levels : tuple of int
        The conductance level (uS) of each register set the targets index.
    layers : list of LayerPlan
    """

    cfg: object
    network: Network
    levels: tuple
    layers: list

    def tiles(self):
        return [t for layer in self.layers for t in layer.all_tiles()]

    @property
    def outputs(self):
        return self.network.outputs

    def summary(self):
        """One line per layer: blocks, tiles and arithmetic."""
        lines = []
        for lp in self.layers:
            nodes = ", ".join(str(t.node) for t in lp.all_tiles())
            lines.append(
                f"{lp.name}: {len(lp.tiles[0])} row x {len(lp.tiles)} output blocks on tiles "
                f"[{nodes}], P = {lp.in_bits}{' signed' if lp.in_signed else ''}, "
                f"ADC_SHIFT = {lp.adc_shift}" + (" (through the host)" if lp.relay else ""))
        return "\n".join(lines)


# -- input quantization ---------------------------------------------------------------------


def _input_format(cfg, x):
    """``(bits, signed, scale)`` of the network's inputs: integer inputs that fit the
    activation width are used as they are (the fewest planes); others are scaled so the
    largest magnitude hits the top code."""
    x = np.asarray(x, np.float64)
    signed = int(np.any(x < 0))
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if np.all(x == np.round(x)) and peak >= 1:
        bits = int(peak).bit_length() + signed
        if bits <= cfg.input_bits:
            return max(bits, 1), signed, 1.0
    bits = cfg.input_bits
    top = (1 << (bits - signed)) - 1
    return bits, signed, (peak / top if peak > 0 else 1.0)


def quantize_inputs(compiled, x):
    """The first layer's input codes of float inputs ``x`` (n, inputs): two's complement in
    ``in_bits`` for a signed layer."""
    lp = compiled.layers[0]
    return _codes(x, lp.in_scale, lp.in_bits, lp.in_signed)


def _codes(x, scale, bits, signed):
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    q = np.clip(np.round(np.asarray(x, np.float64) / scale), lo, hi).astype(np.int64)
    return q & ((1 << bits) - 1)


# -- the chip's arithmetic on ideal conductances ---------------------------------------------


def _planes(codes, bits):
    """(n, P, rows) bit-planes of activation codes."""
    k = np.arange(bits)
    return (np.asarray(codes, np.int64)[:, None, :] >> k[None, :, None]) & 1


def _plane_weights(bits, signed):
    w = np.left_shift(1, np.arange(bits)).astype(np.int64)
    if signed:
        w[-1] = -w[-1]
    return w


def _block_currents(cfg, codes, bits, diff):
    """(n, P, pairs) ideal pair currents of input codes (n, rows) on pair differences
    (rows, pairs): ``v_read_mvm * sum_r bit * (G+ - G-)``."""
    return (_planes(codes, bits) @ diff) * cfg.array.v_read_mvm


def _acc(cfg, currents, shift, bits, signed):
    """Shift-add of the ADC codes of (n, P, pairs) currents: (n, pairs) and the clips."""
    code, clipped = adc_convert(cfg, currents, shift)
    w = _plane_weights(bits, signed)
    return np.einsum("k,nkp->np", w, code), int(clipped.sum())


def _layer_forward(cfg, levels, lp, codes):
    """One compiled layer on ideal conductances: its output codes (n, outputs)."""
    n = codes.shape[0]
    y = np.zeros((n, lp.tiles[-1][-1].outputs[1]), np.int64)
    for chain in lp.tiles:
        psum = np.zeros((n, chain[0].n_out), np.int64)
        for t in chain:
            cur = _block_currents(cfg, codes[:, t.rows[0]:t.rows[1]], lp.in_bits,
                                  t.diff(levels))
            acc, _ = _acc(cfg, cur, lp.adc_shift, lp.in_bits, lp.in_signed)
            v = acc[:, :t.n_out] + (psum if t.desc[TileField.PSUM_EN] else 0) + t.bias[:t.n_out]
            psum = requantize(cfg, v, t.desc)
        y[:, chain[0].outputs[0]:chain[0].outputs[1]] = psum
    return y


def ideal_forward(compiled, x_codes):
    """Run the compiled network on ideal conductances (the targets), with the chip's ADC,
    shift-add, partial sums and output unit. Returns the list of every layer's output codes
    (the last one: raw sums, the logits in accumulator units)."""
    outs, codes = [], np.asarray(x_codes, np.int64)
    for lp in compiled.layers:
        codes = _layer_forward(compiled.cfg, compiled.levels, lp, codes)
        outs.append(codes)
    return outs


# -- calibration ------------------------------------------------------------------------------


def _best_shift(cfg, currents_list, bits, signed):
    """The ADC_SHIFT minimising the squared error of the shift-add sum against the exact
    one, over every block's calibration currents."""
    w = _plane_weights(bits, signed).astype(np.float64)
    exact = [np.einsum("k,nkp->np", w, c.astype(np.float64)) for c in currents_list]
    best, best_err = 0, None
    for s in range(pair_current_bits(cfg)):
        err = 0.0
        for c, e in zip(currents_list, exact, strict=True):
            acc, _ = _acc(cfg, c, s, bits, signed)
            err += float(np.sum((acc.astype(np.float64) * (1 << s) - e) ** 2))
        if best_err is None or err < best_err:
            best, best_err = s, err
    return best


def _requant(cfg, factor, layer):
    """``(mult, shift)`` with ``mult / 2**shift ~ factor`` and ``mult`` in ``mult_bits``."""
    t = cfg.tile
    top = (1 << t.mult_bits) - 1
    for shift in range(t.psum_bits + t.mult_bits, -1, -1):
        mult = round(factor * (1 << shift))
        if 1 <= mult <= top:
            return mult, shift
    raise NetworkError(f"layer {layer!r}: the requantization factor {factor:.3g} is outside "
                       f"what OUT_MULT ({t.mult_bits} bits) and OUT_SHIFT can express")


# -- placement -------------------------------------------------------------------------------


def _blocks(n, size):
    return [(s, min(s + size, n)) for s in range(0, n, size)]


def compile_network(network, cfg, calibration_x, levels=MILO_LEVELS_US):
    """Map ``network`` onto the chip ``cfg``; ``calibration_x`` (n, inputs) are float
    inputs (training data) for the ADC gains and activation ranges."""
    a = cfg.array
    x = np.asarray(calibration_x, np.float64)
    if x.ndim != 2 or x.shape[1] != network.inputs:
        raise NetworkError(f"calibration inputs have shape {x.shape}; the network takes "
                           f"(n, {network.inputs})")
    if len(levels) > WV_SETS:
        raise NetworkError(f"{len(levels)} conductance levels but the write-verify engine has "
                           f"{WV_SETS} register sets")

    # Placement first: refuse what does not fit before any arithmetic.
    free = list(cfg.tiles)
    shapes = []
    for layer in network.layers:
        rb, ob = _blocks(layer.inputs, a.rows), _blocks(layer.outputs, a.pairs)
        need = len(rb) * len(ob)
        if need > len(free):
            used = len(cfg.tiles) - len(free)
            raise NetworkError(
                f"layer {layer.name!r} ({layer.inputs} x {layer.outputs}) needs {need} tiles "
                f"({len(rb)} row x {len(ob)} output blocks of {a.rows} x {a.pairs}); the chip "
                f"{cfg.name!r} has {len(cfg.tiles)} tiles and {used} are taken by earlier "
                f"layers")
        nodes = [free.pop(0) for _ in range(need)]
        shapes.append((rb, ob, nodes))
    # Outputs come back to the host as whole packets in its response queue.
    last = network.layers[-1]
    packet = 2 + min(out_burst(cfg), a.pairs)
    if packet > cfg.host.resp_queue_words:
        raise NetworkError(
            f"layer {last.name!r}: an output packet of {packet} words does not fit the host's "
            f"response queue ({cfg.host.resp_queue_words} words)")

    bits, signed, scale = _input_format(cfg, x)
    codes = _codes(x, scale, bits, signed)
    compiled = CompiledNetwork(cfg, network, tuple(levels), [])
    lv = np.asarray(levels, np.int64)

    for li, (layer, (rb, ob, nodes)) in enumerate(zip(network.layers, shapes, strict=True)):
        q = quantize(layer.weight, levels)
        chains = []
        for j, (o0, o1) in enumerate(ob):
            chain = []
            for i, (r0, r1) in enumerate(rb):
                node = nodes[j * len(rb) + i]
                plus = np.zeros((r1 - r0, a.pairs), np.int64)
                minus = np.zeros((r1 - r0, a.pairs), np.int64)
                plus[:, :o1 - o0] = q.plus[r0:r1, o0:o1]
                minus[:, :o1 - o0] = q.minus[r0:r1, o0:o1]
                chain.append(TilePlan(node, li, (r0, r1), (o0, o1), plus, minus))
            chains.append(chain)

        blocks = [t for chain in chains for t in chain]
        currents = [_block_currents(cfg, codes[:, t.rows[0]:t.rows[1]], bits, t.diff(lv))
                    for t in blocks]
        shift = _best_shift(cfg, currents, bits, signed)
        acc_scale = scale * q.scale * (1 << shift) / a.v_read_mvm
        is_last = li == len(network.layers) - 1
        relu = layer.activation == "relu"

        # Exact integer sums of the calibration set, for the activation range.
        acc = np.zeros((codes.shape[0], layer.outputs), np.float64)
        for t, cur in zip(blocks, currents, strict=True):
            part, _ = _acc(cfg, cur, shift, bits, signed)
            acc[:, t.outputs[0]:t.outputs[1]] += part[:, :t.n_out]
        pre = acc * acc_scale + layer.bias
        if is_last:
            out_scale, out_bits, out_signed, mult, oshift = None, cfg.input_bits, 0, 1, 0
        else:
            out_signed = 0 if relu else 1
            out_bits = cfg.input_bits
            act = np.maximum(pre, 0) if relu else np.abs(pre)
            peak = float(np.percentile(act, ACTIVATION_PERCENTILE)) if act.size else 0.0
            top = (1 << (out_bits - out_signed)) - 1
            out_scale = (peak / top) if peak > 0 else 1.0
            mult, oshift = _requant(cfg, acc_scale / out_scale, layer.name)

        bias_acc = np.round(layer.bias / acc_scale).astype(np.int64)
        bmax = (1 << (cfg.tile.bias_bits - 1)) - 1
        if np.any(np.abs(bias_acc) > bmax):
            k = int(np.argmax(np.abs(bias_acc)))
            raise NetworkError(
                f"layer {layer.name!r}: bias {layer.bias[k]:.4g} of output {k} is "
                f"{bias_acc[k]} accumulator units, beyond the {cfg.tile.bias_bits}-bit bias")

        for chain in chains:
            for i, t in enumerate(chain):
                end = i == len(chain) - 1
                raw = 1 if (not end or is_last) else 0
                if end:
                    b = np.zeros(a.pairs, np.int64)
                    b[:t.n_out] = bias_acc[t.outputs[0]:t.outputs[1]]
                else:
                    b = np.zeros(a.pairs, np.int64)
                t.bias = b
                t.desc = {
                    TileField.IN_BITS: bits,
                    TileField.IN_SIGNED: signed,
                    TileField.ADC_SHIFT: shift,
                    TileField.PSUM_EN: int(i > 0),
                    TileField.OUT_RAW: raw,
                    TileField.OUT_MULT: mult if not raw else 1,
                    TileField.OUT_SHIFT: oshift if not raw else 0,
                    TileField.OUT_BITS: out_bits,
                    TileField.OUT_SIGNED: out_signed,
                    TileField.ACTIVATION: int(Activation.RELU if relu and not raw
                                              else Activation.IDENTITY),
                    TileField.OUT_COUNT: t.n_out,
                    TileField.DEST: cfg.host_node,
                    TileField.OFFSET: 0,
                }
        compiled.layers.append(LayerPlan(layer.name, bits, signed, scale, q.scale, shift,
                                         acc_scale, out_scale, chains))
        if not is_last:
            # The next layer's inputs are this layer's output codes (chip arithmetic).
            codes = _layer_forward(cfg, lv, compiled.layers[-1], codes)
            bits, signed, scale = out_bits, out_signed, out_scale

    _route(compiled)
    return compiled


def _route(compiled):
    """DEST / OFFSET of every tile and the data words each one waits for."""
    cfg = compiled.cfg
    layers = compiled.layers
    for li, lp in enumerate(layers):
        nxt = layers[li + 1] if li + 1 < len(layers) else None
        for chain in lp.tiles:
            # Inside a chain: partial sums to the next tile's psum buffer, pair for pair.
            for t, u in zip(chain, chain[1:], strict=False):
                t.desc[TileField.DEST] = u.node
                t.desc[TileField.OFFSET] = 0
                u.expect += t.n_out
        if nxt is None:
            for chain in lp.tiles:
                end = chain[-1]
                end.desc[TileField.DEST] = cfg.host_node
                end.desc[TileField.OFFSET] = end.outputs[0]
            continue
        # Each output block must land inside one row block of the next layer, which must
        # have a single output block (a tile sends its outputs to one node).
        direct = len(nxt.tiles) == 1
        if direct:
            for chain in lp.tiles:
                o0, o1 = chain[-1].outputs
                if not any(u.rows[0] <= o0 and o1 <= u.rows[1] for u in nxt.tiles[0]):
                    direct = False
        lp.relay = not direct
        for chain in lp.tiles:
            end = chain[-1]
            o0, o1 = end.outputs
            if direct:
                u = next(u for u in nxt.tiles[0] if u.rows[0] <= o0 and o1 <= u.rows[1])
                end.desc[TileField.DEST] = u.node
                end.desc[TileField.OFFSET] = o0 - u.rows[0]
                u.expect += end.n_out
            else:
                end.desc[TileField.DEST] = cfg.host_node
                end.desc[TileField.OFFSET] = o0
