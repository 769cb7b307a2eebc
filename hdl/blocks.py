"""The top-level blocks that get their own Verilog, lint, synthesis and testbench.

One place lists them, so ``make verilog``, ``make lint``, ``make synth`` and the cocotb
harness all see the same set.
"""

from amaranth.back import verilog

from hdl.chip import Chip
from hdl.crossbar import Crossbar
from hdl.noc import NocMesh
from hdl.tile import Tile
from hdl.write_verify import WriteVerifyUnit

__all__ = ["BLOCKS", "build_block", "generate_verilog"]


def _crossbar(cfg):
    # The crossbar of the first tile; every tile's crossbar differs only in its hash key.
    return Crossbar(cfg, tile=cfg.tiles[0])


def _tile(cfg):
    # The compute tile of the first tile node: controller, MVM datapath, engine, crossbar.
    return Tile(cfg, tile=cfg.tiles[0])


def _wv_unit(cfg):
    # The write-verify engine of the first tile, wired to its crossbar.
    return WriteVerifyUnit(cfg, tile=cfg.tiles[0])


#: name -> constructor taking a ChipConfig.
BLOCKS = {
    "crossbar": _crossbar,
    "wv_unit": _wv_unit,
    # The whole W x H mesh with its injection NIs; nodes' inject/eject flit streams are ports.
    "noc_mesh": NocMesh,
    "tile": _tile,
    # The whole chip: host node (Wishbone slave), mesh, and a tile with its NI per node.
    "chip": Chip,
}


def build_block(name, cfg):
    try:
        return BLOCKS[name](cfg)
    except KeyError:
        raise ValueError(f"block {name!r} is unknown; choose one of {', '.join(BLOCKS)}") from None


def generate_verilog(name, cfg):
    """Verilog text of block ``name`` for configuration ``cfg`` (top module named ``name``)."""
    return verilog.convert(build_block(name, cfg), name=name, emit_src=False)
