"""The batched golden model: a whole batch of images through a compiled network at once.

The per-image golden path (``sw/runtime.py`` ``Runtime.infer`` on ``sim/chip.py``) moves
every input word through the driver, the host's queues and the tile NIs, a few thousand
Python calls per image. Inference is a pure function of what the chip model holds once
the network is programmed and configured: the conductances (programmed through the
write-verify engine, with their device variability, stuck cells and any relax), the layer
descriptors, biases and buffers. :func:`batch_infer` evaluates that function for n images
at once with the tile model's own MVM (``sim.tile.TileModel.mvm_values``: bit-planes, the
crossbar's pair currents, ``adc_convert`` with ``ADC_SHIFT`` and clipping, shift-add,
partial sums, bias, ``requantize``, activation) and routes the outputs the way the tiles
send them (``DEST`` / ``OFFSET``: activations into the next tile's inputs, raw partial sums
along a row chain, outputs for the host into the logits or relayed as the next layer's
inputs). It returns the logits and per-image clipped conversions ``Runtime.infer`` returns
and the tile counters the images add (``BUSY`` cycles, MVMs, conversions, clips), all
equal to the per-image path (``sw/test_batch.py``)::

    backend = ModelBackend(cfg)
    drv = Driver(backend, cfg)

    async def setup():
        await drv.open()
        rt = Runtime(drv, compiled)
        await rt.program()                 # the write-verify engine, real variability
        await rt.configure()

    asyncio.run(setup())
    r = batch_infer(backend, compiled, x_codes)
    r.logits, r.clips, r.counters, r.image_cycles

It reads the model and changes nothing. It refuses (:class:`BatchError`) what it cannot
reproduce exactly: a chip not configured for the network, inputs the chip would refuse,
and a crossbar whose MVM is not a pure function of the conductances (per-MVM state such as
an event counter keying read noise: then run the images through the driver).
"""

import copy
import dataclasses
from dataclasses import dataclass

import numpy as np

from hdl.spec.host import QUEUE_OFFSET
from hdl.spec.tile import ACCESS_LATENCY, TileField, TileOp, mvm_latency
from sim.chip import ni_stalls
from sim.tile import TileCommand

__all__ = ["BatchError", "BatchResult", "batch_infer", "mvm_cycles", "image_cycles"]

M32 = 0xFFFF_FFFF
#: Images per numpy pass (memory: a few MB per thousand images on ``default``).
CHUNK = 4096


class BatchError(Exception):
    """The batched path cannot reproduce the per-image path for this model or input."""


@dataclass(frozen=True)
class BatchResult:
    """The batch's results, each equal to what the per-image path gives.

    Attributes
    ----------
    logits : ndarray (n, outputs) int64
        As ``Runtime.infer``: the last layer's raw sums (accumulator units).
    clips : ndarray (n,) int64
        As ``Runtime.infer``: clipped conversions per image, over every tile.
    counters : dict node -> dict
        What the images add to each tile's counters (``busy``, ``mvms``, ``conversions``,
        ``clips``; not wrapped to ``counter_bits``).
    mvm_cycles : dict node -> int
        Cycles of one MVM of the tile (:func:`mvm_cycles`).
    image_cycles : dict node -> int
        Busy cycles one image costs the tile (:func:`image_cycles`); the slowest tile
        bounds the layer pipeline's cycles per image.
    """

    logits: np.ndarray
    clips: np.ndarray
    counters: dict
    mvm_cycles: dict
    image_cycles: dict

    def layer_mvm_cycles(self, compiled):
        """The longest MVM of each layer."""
        return [max(self.mvm_cycles[t.node] for t in lp.all_tiles()) for lp in compiled.layers]


# -- the cycle model ---------------------------------------------------------------------------


def mvm_cycles(cfg, desc):
    """Cycles of one MVM of a tile with descriptor ``desc`` behind its NI (the tile's
    ``BUSY`` for it): ``hdl.spec.tile.mvm_latency`` plus the output stalls of the NI
    (``sim.chip.ni_stalls``)."""
    n = int(desc[TileField.OUT_COUNT])
    return mvm_latency(cfg, int(desc[TileField.IN_BITS]), n, ni_stalls(cfg, n))


def image_cycles(cfg, desc, words):
    """Busy cycles of one image at a tile: ``words`` buffer writes (its inputs and incoming
    partial sums, one ``ACCESS_LATENCY`` tile command each) and one MVM."""
    return words * ACCESS_LATENCY + mvm_cycles(cfg, desc)


# -- checks ------------------------------------------------------------------------------------


def _chip_model(model):
    """The :class:`~sim.chip.ChipModel` behind a model, a ``ModelBackend`` or a ``Driver``."""
    for attr in (None, "backend", "model"):
        m = model if attr is None else getattr(model, attr, None)
        if m is not None and hasattr(m, "nis"):
            return m
        if m is not None and hasattr(getattr(m, "model", None), "nis"):
            return m.model
    raise BatchError(f"{type(model).__name__}: the batched path needs the golden model "
                     "(sim.chip.ChipModel, a ModelBackend or a Driver on one)")


def _check_configured(model, compiled):
    """The tiles hold the compiled network's descriptors, biases and NI_EXPECT (as
    ``Runtime.configure`` writes them)."""
    cfg = model.cfg
    # The device model and its seed may differ (a sweep reuses one compiled network).
    if dataclasses.replace(cfg, device=compiled.cfg.device, seed=compiled.cfg.seed) \
            != compiled.cfg:
        raise BatchError(f"the chip model is {cfg.name!r}, the network was compiled for "
                         f"another chip ({compiled.cfg.name!r})")
    for t in compiled.tiles():
        ni = model.nis[t.node]
        want = dict(t.desc)
        if want[TileField.DEST] == cfg.host_node:
            want[TileField.OFFSET] |= QUEUE_OFFSET
        got = ni.tile.desc
        for f, v in want.items():
            if got[f] != v:
                raise BatchError(f"tile {t.node}: {f.name} is {got[f]}, the compiled network "
                                 f"has {v}; run Runtime.configure() first")
        if not np.array_equal(ni.tile.bias, t.bias):
            raise BatchError(f"tile {t.node}: the bias buffer is not the compiled network's; "
                             "run Runtime.configure() first")
        if ni.expect != t.expect:
            raise BatchError(f"tile {t.node}: NI_EXPECT is {ni.expect}, the compiled network "
                             f"has {t.expect}; run Runtime.configure() first")


def _check_batchable(tile):
    """A tile's MVM must be a pure function of its conductances, descriptor and buffers,
    or a batch cannot stand for the per-image order. Two probes on copies:

    * the crossbar (``mvm_planes``): the same planes give the same currents together,
      apart and repeated, and leave its state alone (read noise keyed by an event counter
      fails this however small it is);
    * the tile: two MVM commands one after the other (``execute``, as the per-image path
      runs them) give the sums and clips of one batched ``mvm_values`` (per-MVM state kept
      in the tile, e.g. noise keyed by its MVM counter)."""
    a = tile.cfg.array
    rng = np.random.default_rng(0)
    xb = tile.xb
    planes = rng.integers(0, 2, (4, a.rows))
    twin = copy.deepcopy(xb)
    whole = twin.mvm_planes(planes)
    apart = np.concatenate([twin.mvm_planes(planes[:2]), twin.mvm_planes(planes[2:])])
    again = twin.mvm_planes(planes)
    same_state = all(
        np.array_equal(v, getattr(twin, k)) if isinstance(v, np.ndarray) else v == getattr(twin, k)
        for k, v in vars(xb).items())
    ok = np.array_equal(whole, apart) and np.array_equal(whole, again) and same_state
    if ok:
        inputs = rng.integers(0, 1 << tile.desc[TileField.IN_BITS], (2, a.rows))
        v, out, clips = tile.mvm_values(inputs)
        # The engine (and its log of the whole programming run) takes no part in an MVM.
        twin = copy.deepcopy(tile, {id(tile.wv): tile.wv, id(tile.cfg): tile.cfg})
        for x, want_v, want_out, want_clips in zip(inputs, v, out, clips, strict=True):
            twin.inputs[:] = x
            got_v, _, got_clips = twin.mvm_values()
            r = twin.execute(TileCommand(TileOp.MVM))
            ok &= (np.array_equal(got_v, want_v) and got_clips == want_clips
                   and r.value == want_clips
                   and [o.value for o in r.outputs] == list(want_out[:len(r.outputs)]))
    if not ok:
        raise BatchError(
            f"tile {xb.tile}: the MVM depends on per-MVM state (read noise on an event "
            "counter?), so a batch cannot reproduce the per-image order; run the images "
            "through the driver (Runtime.infer)")


# -- the batch ---------------------------------------------------------------------------------


class _Buffers:
    """The input and partial-sum buffers of every tile for a chunk of images: the model's
    buffers, with the words each image writes."""

    def __init__(self, model, n):
        self.model, self.n = model, n
        self.inputs, self.psum = {}, {}
        self.words = {}

    def write(self, node, psum, offset, values):
        tile = self.model.tile(node)
        store, base = (self.psum, tile.psum) if psum else (self.inputs, tile.inputs)
        if node not in store:
            store[node] = np.repeat(base[None, :], self.n, axis=0)
        k = values.shape[1]
        if offset + k > base.size:
            raise BatchError(f"tile {node}: {k} words at offset {offset} are outside its "
                             f"{'partial-sum' if psum else 'input'} buffer ({base.size})")
        store[node][:, offset:offset + k] = values
        self.words[node] = self.words.get(node, 0) + k


def _host_fed(compiled):
    layers = compiled.layers
    return [i == 0 or layers[i - 1].relay for i in range(len(layers))]


def _check_codes(cfg, codes, what):
    if codes.size and (codes.min() < 0 or codes.max() >= 1 << cfg.input_bits):
        raise BatchError(f"{what} outside 0 .. {(1 << cfg.input_bits) - 1}: the tile refuses "
                         "such input words (BUF_WRITE, BAD_VALUE)")


def _chunk(model, compiled, codes):
    """One chunk of images: (logits, clips per image, words per image per node, clips per
    node)."""
    cfg = model.cfg
    n = codes.shape[0]
    buf = _Buffers(model, n)
    clips = np.zeros(n, np.int64)
    tile_clips = {}
    in_mask = (1 << cfg.input_bits) - 1
    for lp, fed in zip(compiled.layers, _host_fed(compiled), strict=True):
        if fed:
            _check_codes(cfg, codes, f"input codes of layer {lp.name!r}")
            for t in lp.all_tiles():
                buf.write(t.node, False, 0, codes[:, t.rows[0]:t.rows[1]])
        host = np.zeros((n, lp.tiles[-1][-1].outputs[1]), np.int64)
        for t in (t for chain in lp.tiles for t in chain):   # a chain in order: psums first
            tile = model.tile(t.node)
            d = tile.desc
            _, out, c = tile.mvm_values(buf.inputs.get(t.node), buf.psum.get(t.node))
            clips += c
            tile_clips[t.node] = int(c.sum())
            k, dest, off = d[TileField.OUT_COUNT], d[TileField.DEST], d[TileField.OFFSET]
            values = out[:, :k]
            if dest == cfg.host_node:
                off &= ~QUEUE_OFFSET & 0xFFFF
                # Runtime: raw sums as signed 32-bit words, activations as sent.
                host[:, off:off + k] = values if d[TileField.OUT_RAW] else values & M32
            elif d[TileField.OUT_RAW]:
                buf.write(dest, True, off, values)
            else:
                buf.write(dest, False, off, values & in_mask)   # the NI keeps input_bits
        codes = host
    return codes, clips, buf.words, tile_clips


def batch_infer(model, compiled, x_codes, chunk=CHUNK):
    """Run input codes ``x_codes`` (n, inputs) through ``compiled`` on the golden chip
    ``model`` (a ``ChipModel``, ``ModelBackend`` or ``Driver``), which must hold the
    programmed and configured network (``Runtime.program`` or ``load``, then
    ``configure``). Returns a :class:`BatchResult`; the model is not changed."""
    m = _chip_model(model)
    cfg = m.cfg
    _check_configured(m, compiled)
    nodes = [t.node for t in compiled.tiles()]
    for node in nodes:
        _check_batchable(m.tile(node))
    x = np.asarray(x_codes, np.int64)
    if x.ndim != 2 or x.shape[1] != compiled.network.inputs:
        raise BatchError(f"input codes have shape {x.shape}; the network takes "
                         f"(n, {compiled.network.inputs})")
    n = x.shape[0]
    logits, clips, tile_clips = [], [], dict.fromkeys(nodes, 0)
    words = None
    for s in range(0, max(n, 1), chunk):
        # An empty batch still runs one empty chunk: the words per image come from it.
        lg, c, words, tc = _chunk(m, compiled, x[s:s + chunk])
        logits.append(lg)
        clips.append(c)
        for node, k in tc.items():
            tile_clips[node] += k

    per_mvm, per_image, counters = {}, {}, {}
    for node in nodes:
        d = m.tile(node).desc
        per_mvm[node] = mvm_cycles(cfg, d)
        per_image[node] = image_cycles(cfg, d, words.get(node, 0))
        counters[node] = {
            "busy": n * per_image[node],
            "mvms": n,
            "conversions": n * d[TileField.IN_BITS] * cfg.array.pairs,
            "clips": tile_clips[node],
        }
    return BatchResult(np.concatenate(logits), np.concatenate(clips), counters, per_mvm,
                       per_image)
