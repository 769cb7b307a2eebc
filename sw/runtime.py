"""Running a compiled network: driver programs that work unchanged on the golden model and
on the RTL (any ``Driver`` backend, ``sim/driver.py``).

* :meth:`Runtime.program` puts every weight in through the write-verify engine (a PROGRAM
  run of the engine's register sets per tile: M-ISPVA with the power-on sets) and reports
  pulses, cycles and failed cells per layer; :meth:`Runtime.load` is the back door
  (LOAD_CELL), for tests that need exact conductances.
* :meth:`Runtime.configure` writes descriptors, biases and ``NI_EXPECT``.
* :meth:`Runtime.infer` runs images. The first layer's tiles are fed by the host
  (BUF_WRITE of the input codes, START_MVM); every other tile starts its MVM when its data
  words have arrived (``NI_EXPECT``: the trigger travels with the data, so nothing can
  overtake it); outputs bound for the host carry ``QUEUE_OFFSET`` and come back through the
  response queue, in order with their sender's DONE.

**Layer pipeline.** When every tile is fed either by the host alone or by exactly one
other tile, images are issued back to back: a tile executes its packets in order, so the
next image's inputs cannot reach a tile's buffer before its current MVM is over, and the
host never waits for one image before sending the next. The host keeps at most
``window`` images in flight so that everything they send to it fits the response queue:
then no tile ever waits on the host, and by induction along the layers (a feed-forward
network ends at the host) every tile finishes; this is the deadlock rule of
``docs/host.md``. Otherwise (a layer relayed through the host, a tile fed by several
tiles, a chain tile that also takes host inputs) images run one at a time.
"""

from collections import defaultdict, deque
from dataclasses import dataclass

import numpy as np

from hdl.spec.host import (
    QUEUE_OFFSET,
    RESPONSE_WORDS,
    Buffer,
    TileCsr,
    out_burst,
    pack_wv,
    unpack_info,
)
from hdl.spec.noc import MsgType
from hdl.spec.tile import TileField
from hdl.spec.write_verify import WvOp, WvRunKind
from sim.driver import DriverError, TileRequestError
from sim.write_verify import WvCommand
from sw.compiler import quantize_inputs

__all__ = ["Runtime", "ProgramReport", "RESPONSE_PACKET_WORDS", "host_fed_layers",
           "configured_descriptor", "program_command", "program_room"]

#: Words of an answer in the response queue: head + value + info.
RESPONSE_PACKET_WORDS = 1 + RESPONSE_WORDS


def host_fed_layers(compiled):
    """The layers whose inputs the host sends: the first, and every layer after a relay."""
    layers = compiled.layers
    return [lp for i, lp in enumerate(layers) if i == 0 or layers[i - 1].relay]


def configured_descriptor(cfg, tile):
    """``{TileField: value}`` the runtime writes into ``tile`` (a TilePlan), in TileField
    order: the compiler's descriptor, with ``QUEUE_OFFSET`` on outputs bound for the host
    (they come back through the response queue)."""
    desc = dict(tile.desc)
    if desc[TileField.DEST] == cfg.host_node:
        desc[TileField.OFFSET] |= QUEUE_OFFSET
    return {f: desc[f] for f in TileField if f in desc}


def program_command(cfg, tile):
    """START_PROGRAM body of ``tile``'s write-verify run: a PROGRAM run of the engine's
    register sets over the tile's target rows (whole rows)."""
    rows, cols = tile.targets().shape
    return pack_wv(cfg, WvCommand(op=WvOp.RUN, kind=WvRunKind.PROGRAM, row0=0, col0=0,
                                  nrows=rows, ncols=cols))


def program_room(cfg, n_tiles):
    """BUF_WRITE answers the host may owe while it programs ``n_tiles`` tiles: what the
    response queue holds beside the tiles' run answers (at least 1)."""
    return max(1, cfg.host.resp_queue_words // RESPONSE_PACKET_WORDS - n_tiles)


def _signed32(v):
    v &= 0xFFFF_FFFF
    return v - (1 << 32) if v >> 31 else v


@dataclass(frozen=True)
class ProgramReport:
    """Programming of one tile (counter differences over the PROGRAM run)."""

    layer: str
    node: int
    cells: int
    pulses: int
    failures: int
    cycles: int


class Runtime:
    """A compiled network on a chip, through a :class:`~sim.driver.Driver`."""

    def __init__(self, drv, compiled):
        self.drv, self.c = drv, compiled
        self.cfg = compiled.cfg
        self._stash = defaultdict(deque)
        tiles = compiled.tiles()
        self.host_fed = {t.node for lp in self._host_fed_layers() for t in lp.all_tiles()}
        producers = defaultdict(set)
        for t in tiles:
            dest = t.desc[TileField.DEST]
            if dest != self.cfg.host_node:
                producers[dest].add(t.node)
        self.pipelined = not any(lp.relay for lp in compiled.layers) and all(
            (t.node in self.host_fed) != (t.expect > 0) and len(producers[t.node]) <= 1
            for t in tiles)
        self._final = [chain[-1] for chain in compiled.layers[-1].tiles]

    def _host_fed_layers(self):
        return host_fed_layers(self.c)

    # -- answers --------------------------------------------------------------------------

    async def _post(self, node, mtype, body=(), aux=0):
        await self.drv.send(node, mtype, body, aux)

    async def _next(self):
        p = await self.drv.receive()
        if p.mtype in (MsgType.ACTIVATIONS, MsgType.PARTIAL_SUMS):
            self._stash[(p.src, "data")].append(p.body)
            return
        if len(p.body) != RESPONSE_WORDS:
            raise DriverError(f"unexpected packet {p}")
        value, error, request = unpack_info(p.body[0], p.body[1])
        self._stash[(p.src, request)].append((p.mtype, value, error))

    async def _answer(self, node, request):
        """The next answer of ``node`` to a ``request`` (raises on ERROR)."""
        key = (node, int(request))
        while not self._stash[key]:
            await self._next()
        mtype, value, error = self._stash[key].popleft()
        if mtype == MsgType.ERROR:
            raise TileRequestError(node, request, error, value)
        return value

    async def _data(self, node):
        key = (node, "data")
        while not self._stash[key]:
            await self._next()
        return self._stash[key].popleft()

    async def _buffer(self, node, buf, values, start=0, wait=True):
        values = [int(v) & 0xFFFF_FFFF for v in values]
        chunk = self.cfg.noc.max_packet_flits - 2
        posted = 0
        for k in range(0, len(values), chunk):
            await self._post(node, MsgType.BUF_WRITE, [start + k] + values[k:k + chunk], buf)
            posted += 1
        if wait:
            for _ in range(posted):
                await self._answer(node, MsgType.BUF_WRITE)
        return posted

    # -- weights --------------------------------------------------------------------------

    async def load(self):
        """Back door: every used cell set to its level's conductance (LOAD_CELL)."""
        lv = np.asarray(self.c.levels, np.int64)
        for t in self.c.tiles():
            g = lv[t.targets()]
            for r in range(g.shape[0]):
                await self._buffer(t.node, Buffer.CELLS, g[r], r << 8)

    async def program(self, progress=None):
        """Every used cell through the write-verify engine (its register sets, default
        M-ISPVA); returns one :class:`ProgramReport` per tile.

        The tiles program at the same time: the host streams each tile's targets (BUF_WRITE
        to the TARGETS buffer) and its PROGRAM run without waiting for answers, keeping at
        most as many answers owed as the response queue holds (so no answer ever waits in
        the network while the host waits on the command queue), then collects the runs in
        tile order. ``progress(tile_plan)`` is called as each tile's run ends."""
        a = self.cfg.array
        chunk = self.cfg.noc.max_packet_flits - 2
        plans = [(lp, t) for lp in self.c.layers for t in lp.all_tiles()]
        before = {t.node: await self.drv.counters(t.node) for _, t in plans}
        room = program_room(self.cfg, len(plans))
        owed = deque()       # nodes owing a BUF_WRITE answer, oldest first
        for _, t in plans:
            targets = t.targets()
            assert targets.shape[1] == a.cols, "a tile plan covers whole rows"
            flat = [int(v) for v in targets.ravel()]
            for k in range(0, len(flat), chunk):
                if len(owed) >= room:
                    await self._answer(owed.popleft(), MsgType.BUF_WRITE)
                await self._post(t.node, MsgType.BUF_WRITE, [k] + flat[k:k + chunk],
                                 Buffer.TARGETS)
                owed.append(t.node)
            await self._post(t.node, MsgType.START_PROGRAM, program_command(self.cfg, t))
        while owed:
            await self._answer(owed.popleft(), MsgType.BUF_WRITE)
        reports = []
        for lp, t in plans:
            await self._answer(t.node, MsgType.START_PROGRAM)      # the run's status
            after = await self.drv.counters(t.node)

            def delta(name, a=after, b=before[t.node]):
                return (a[name] - b[name]) & 0xFFFF_FFFF

            reports.append(ProgramReport(lp.name, t.node, t.targets().size,
                                         delta("pulses"), delta("fails"), delta("busy")))
            if progress:
                progress(t)
        return reports

    # -- configuration --------------------------------------------------------------------

    async def configure(self):
        for t in self.c.tiles():
            for f, value in configured_descriptor(self.cfg, t).items():
                await self.drv.tile_write(t.node, f, value)
            await self._buffer(t.node, Buffer.BIAS, t.bias)
            await self.drv.tile_write(t.node, TileCsr.NI_EXPECT, t.expect)

    # -- inference ------------------------------------------------------------------------

    def _words_per_image(self):
        """Words one image sends to the host: answers and the data packets."""
        chunk = self.cfg.noc.max_packet_flits - 2
        words = 0
        for lp in self._host_fed_layers():
            for t in lp.all_tiles():
                words += RESPONSE_PACKET_WORDS * -(-t.n_rows // chunk)
        words += RESPONSE_PACKET_WORDS * len(self.c.tiles())
        burst = out_burst(self.cfg)
        for lp in self.c.layers:
            if lp.relay or lp is self.c.layers[-1]:
                for chain in lp.tiles:
                    n = chain[-1].n_out
                    words += -(-n // burst) * 2 + n
        return words

    def window(self):
        """Images in flight in the pipelined schedule."""
        if not self.pipelined:
            return 1
        return max(1, self.cfg.host.resp_queue_words // self._words_per_image())

    async def _feed(self, lp, codes):
        """Inputs of layer ``lp`` (codes of its inputs) to its tiles, and START_MVM to the
        ones no other tile starts. Returns the BUF_WRITE answers still owed per node.

        In the pipeline every fed tile is started by the host, on the same path as its
        inputs, so the inputs are in place when the MVM runs. Otherwise a chain tile takes
        host inputs and is started by partial sums from another tile: its inputs must be
        written (answered) before any MVM of the image starts."""
        owed = {}
        for t in lp.all_tiles():
            owed[t.node] = await self._buffer(t.node, Buffer.INPUT,
                                              codes[t.rows[0]:t.rows[1]],
                                              wait=not self.pipelined)
        for t in lp.all_tiles():
            if t.expect == 0:
                await self._post(t.node, MsgType.START_MVM)
        return owed if self.pipelined else {}

    async def _collect_layer(self, lp, owed, out):
        """Every answer a layer owes for one image; its host-bound outputs into ``out``."""
        clips = 0
        for t in lp.all_tiles():
            for _ in range(owed.get(t.node, 0)):
                await self._answer(t.node, MsgType.BUF_WRITE)
            clips += await self._answer(t.node, MsgType.START_MVM)
        if out is not None:
            burst = out_burst(self.cfg)
            for chain in lp.tiles:
                end = chain[-1]
                for _ in range(-(-end.n_out // burst)):
                    body = await self._data(end.node)
                    off = (body[0] & 0xFFFF) & ~QUEUE_OFFSET
                    for k, v in enumerate(body[1:]):
                        out[off + k] = _signed32(v) if end.desc[TileField.OUT_RAW] else v
        return clips

    async def infer(self, x_codes, progress=None):
        """Logits (raw sums, accumulator units) of input codes ``x_codes`` (n, inputs), and
        the clipped conversions per image."""
        x_codes = np.asarray(x_codes, np.int64)
        n = x_codes.shape[0]
        logits = np.zeros((n, self.c.outputs), np.int64)
        clips = np.zeros(n, np.int64)
        layers = self.c.layers
        if self.pipelined:
            w = self.window()
            in_flight = deque()
            for i in range(n):
                owed = await self._feed(layers[0], x_codes[i])
                in_flight.append((i, owed))
                if len(in_flight) >= w:
                    await self._finish(*in_flight.popleft(), logits, clips)
                if progress:
                    progress(1)
            while in_flight:
                await self._finish(*in_flight.popleft(), logits, clips)
            return logits, clips
        for i in range(n):
            codes = x_codes[i]
            seg = 0
            while seg < len(layers):
                # A segment: the layers from a host-fed one up to the next relay or the end.
                end = seg
                while layers[end].relay is False and end < len(layers) - 1:
                    end += 1
                owed = await self._feed(layers[seg], codes)
                relayed = np.zeros(layers[end].tiles[-1][-1].outputs[1], np.int64)
                for k in range(seg, end + 1):
                    target = relayed if k == end else None
                    clips[i] += await self._collect_layer(layers[k], owed if k == seg else {},
                                                          target)
                codes, seg = relayed, end + 1
            logits[i] = codes
            if progress:
                progress(1)
        return logits, clips

    async def _finish(self, i, owed, logits, clips):
        out = np.zeros(self.c.outputs, np.int64)
        for k, lp in enumerate(self.c.layers):
            clips[i] += await self._collect_layer(lp, owed if k == 0 else {},
                                                  out if k == len(self.c.layers) - 1 else None)
        logits[i] = out

    async def classify(self, x, progress=None):
        """Classes of float inputs ``x`` (n, inputs)."""
        logits, _ = await self.infer(quantize_inputs(self.c, x), progress)
        return np.argmax(logits, axis=1)

    async def counters(self):
        """Every used tile's counters."""
        return {t.node: await self.drv.counters(t.node) for t in self.c.tiles()}


#: The tile counters a network run reports (``Runtime.counters``).
RUN_COUNTERS = ("mvms", "conversions", "clips", "errors", "busy")


def network_program(compiled, x_codes):
    """A driver program that opens the chip, loads and configures ``compiled`` (back door)
    and runs ``x_codes`` through it: returns the logits, the clipped conversions, every used
    tile's :data:`RUN_COUNTERS`, whether the runtime pipelined the images and its window.
    The same program runs on the golden model and on the RTL, so the two results must be
    equal (``tb/test_chip_network.py``, ``tb/bench_scale.py``)."""
    async def program(drv):
        await drv.open()
        rt = Runtime(drv, compiled)
        await rt.load()
        await rt.configure()
        logits, clips = await rt.infer(x_codes)
        counters = await rt.counters()
        return {"logits": logits.tolist(), "clips": clips.tolist(),
                "counters": {n: {k: c[k] for k in RUN_COUNTERS} for n, c in counters.items()},
                "pipelined": rt.pipelined, "window": rt.window()}
    return program
