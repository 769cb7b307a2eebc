"""The chip: the host node and one tile node per remaining mesh node on the NoC mesh.

Its only ports are the host's Wishbone slave and interrupt (``hdl/host.py``); everything
else happens in packets (``hdl/spec/host.py``, ``docs/host.md``).

**Shared tiles.** Amaranth emits one Verilog module per instance: a chip of 48 tiles is 48
copies of the tile node's Verilog (8.8 MB each on ``neurram``), too big to generate and
compile. With ``shared_tiles=True`` the tile node is instead generated once, in shared mode
(``TileNode(cfg, None, image)``: the node is an input port), as the module
:data:`TILE_MODULE`, and the chip instantiates that module once per tile as a black box
(:class:`amaranth.hdl.Instance`), its node ports tied to constants. The chip's own Verilog
then has no tile in it; :attr:`Chip.black_boxes` lists the module it needs besides
(``scripts.blocks.generate_verilog`` emits both). Such a chip cannot run in Amaranth's
simulator (a black box), only from Verilog.
"""

from amaranth.hdl import ClockSignal, Const, Instance, Module, ResetSignal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from hdl.host import HostNode, forward, wishbone_signature
from hdl.noc import NocMesh
from hdl.spec.noc import COORD_BITS, node_xy
from hdl.tile_node import NODE_BITS, TileNode

__all__ = ["Chip", "TILE_MODULE"]

#: Verilog name of the shared tile node module (``Chip(..., shared_tiles=True)``).
TILE_MODULE = "tile_node"


class Chip(wiring.Component):
    """Host node + W x H mesh + tiles.

    Parameters
    ----------
    cfg : ChipConfig
    images : dict of int to TileImage
        Power-on memory contents of every tile node (``sim.images.chip_images``).
    shared_tiles : bool
        Instantiate one shared tile node module (:data:`TILE_MODULE`, see the module's
        docstring) per tile instead of elaborating every tile node. A shared module has one
        power-on image, so every tile's must be equal (true without stuck cells:
        ``device.stuck_rate_q14 = 0``).

    Attributes
    ----------
    wb_* : the host's Wishbone B4 slave port
    irq : Out(1)
    black_boxes : dict of str to Elaboratable
        Modules the chip instantiates but does not contain, by Verilog name, to be generated
        once beside it: ``{TILE_MODULE: TileNode(cfg, None, image)}`` with shared tiles,
        empty otherwise.
    """

    def __init__(self, cfg, images, shared_tiles=False):
        missing = sorted(set(cfg.tiles) - set(images))
        if missing:
            raise ValueError(f"images: no TileImage for tile nodes {missing}")
        first = cfg.tiles[0]
        for n in cfg.tiles[1:] if shared_tiles else ():
            if images[n] != images[first]:
                raise ValueError(
                    f"images: shared_tiles needs every tile's power-on image equal, but "
                    f"tile {n}'s differs from tile {first}'s (stuck cells? "
                    f"device.stuck_rate_q14 = {cfg.device.stuck_rate_q14})")
        self._cfg = cfg
        self._host = HostNode(cfg)
        self._shared = shared_tiles
        if shared_tiles:
            self._tile_module = TileNode(cfg, None, images[first])
            self._tiles = {}
        else:
            self._tile_module = None
            self._tiles = {n: TileNode(cfg, n, images[n]) for n in cfg.tiles}
        super().__init__(wishbone_signature())

    @property
    def black_boxes(self):
        return {TILE_MODULE: self._tile_module} if self._shared else {}

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        m.submodules.mesh = mesh = NocMesh(cfg)
        m.submodules.host = host = self._host
        forward(m, self, host, wishbone_signature())
        wiring.connect(m, host.flits_out, mesh.inject[cfg.host_node])
        wiring.connect(m, mesh.eject[cfg.host_node], host.flits_in)
        if self._shared:
            for n in cfg.tiles:
                t = self._tile_instance(m, n)
                wiring.connect(m, t.flits_out, mesh.inject[n])
                wiring.connect(m, mesh.eject[n], t.flits_in)
        for n, t in self._tiles.items():
            m.submodules[f"tile{n}"] = t
            wiring.connect(m, t.flits_out, mesh.inject[n])
            wiring.connect(m, mesh.eject[n], t.flits_in)
        return m

    def _tile_instance(self, m, n):
        """Instantiate :data:`TILE_MODULE` as ``tile<n>`` with its node ports tied to ``n``;
        returns an interface of the tile node's signature wired to the instance's ports."""
        sig = self._tile_module.signature
        iface = sig.create(path=(f"tile{n}",))
        x, y = node_xy(self._cfg, n)
        tied = {"node": Const(n, NODE_BITS), "node_x": Const(x, COORD_BITS),
                "node_y": Const(y, COORD_BITS)}
        ports = {"i_clk": ClockSignal(), "i_rst": ResetSignal()}
        for path, member, value in sig.flatten(iface):
            # Port names as Amaranth's Verilog backend writes a component's ports.
            name = "__".join(str(p) for p in path)
            if name in tied:
                ports[f"i_{name}"] = tied[name]
            else:
                ports[("i_" if member.flow == In else "o_") + name] = Value.cast(value)
        m.submodules[f"tile{n}"] = Instance(TILE_MODULE, **ports)
        return iface
