"""The chip: the host node and one tile node per remaining mesh node on the NoC mesh.

Its only ports are the host's Wishbone slave and interrupt (``hdl/host.py``); everything
else happens in packets (``hdl/spec/host.py``, ``docs/host.md``).
"""

from amaranth.hdl import Module
from amaranth.lib import wiring

from hdl.host import HostNode, forward, wishbone_signature
from hdl.noc import NocMesh
from hdl.tile_node import TileNode

__all__ = ["Chip"]


class Chip(wiring.Component):
    """Host node + W x H mesh + tiles.

    Parameters
    ----------
    cfg : ChipConfig
    images : dict of int to TileImage
        Power-on memory contents of every tile node (``sim.images.chip_images``).

    Attributes
    ----------
    wb_* : the host's Wishbone B4 slave port
    irq : Out(1)
    """

    def __init__(self, cfg, images):
        missing = sorted(set(cfg.tiles) - set(images))
        if missing:
            raise ValueError(f"images: no TileImage for tile nodes {missing}")
        self._cfg = cfg
        self._host = HostNode(cfg)
        self._tiles = {n: TileNode(cfg, n, images[n]) for n in cfg.tiles}
        super().__init__(wishbone_signature())

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        m.submodules.mesh = mesh = NocMesh(cfg)
        m.submodules.host = host = self._host
        forward(m, self, host, wishbone_signature())
        wiring.connect(m, host.flits_out, mesh.inject[cfg.host_node])
        wiring.connect(m, mesh.eject[cfg.host_node], host.flits_in)
        for n, t in self._tiles.items():
            m.submodules[f"tile{n}"] = t
            wiring.connect(m, t.flits_out, mesh.inject[n])
            wiring.connect(m, mesh.eject[n], t.flits_in)
        return m
