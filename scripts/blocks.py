"""The block registry: the top-level blocks that get their own Verilog, lint, synthesis and
testbench, and the code that builds them.

One place lists them, so ``make verilog``, ``make lint``, ``make synth`` and the cocotb
harness all see the same set. Building a block is where the gateware and the golden model
meet: the power-on memory images the model computes (``sim/images.py``) are passed to the
gateware here, so ``hdl/`` never imports ``sim/`` (``docs/architecture.md``).

Every entry names its golden model, its testbench and its document;
``sim/test_architecture.py`` checks that each exists ("adding a block" in
``docs/architecture.md``).
"""

from dataclasses import dataclass

__all__ = ["Block", "BLOCKS", "build_block", "generate_verilog"]


@dataclass(frozen=True)
class Block:
    """One top-level block.

    Attributes
    ----------
    name : str
        Verilog top-module name and build-directory name.
    build : callable
        ``build(cfg)`` -> the elaboratable (``chip`` also takes ``loads``: see
        :func:`build_block`).
    model : str
        Module of its golden model (``sim.*``).
    testbench : str
        Its cocotb testbench (path from the repository root).
    doc : str
        Its document (path from the repository root).
    """

    name: str
    build: object
    model: str
    testbench: str
    doc: str


def _crossbar(cfg):
    # The crossbar of the first tile; every tile's crossbar differs only in its hash key.
    from hdl.crossbar import Crossbar
    from sim.images import tile_image

    tile = cfg.tiles[0]
    return Crossbar(cfg, tile=tile, conductance=tile_image(cfg, tile).conductance)


def _wv_unit(cfg):
    # The write-verify engine of the first tile, wired to its crossbar.
    from hdl.write_verify import WriteVerifyUnit
    from sim.images import tile_image

    tile = cfg.tiles[0]
    return WriteVerifyUnit(cfg, tile=tile, image=tile_image(cfg, tile))


def _noc_mesh(cfg):
    # The whole W x H mesh with its injection NIs; nodes' inject/eject flit streams are ports.
    from hdl.noc import NocMesh

    return NocMesh(cfg)


def _tile(cfg):
    # The compute tile of the first tile node: controller, MVM datapath, engine, crossbar.
    from hdl.tile import Tile
    from sim.images import tile_image

    tile = cfg.tiles[0]
    return Tile(cfg, tile=tile, image=tile_image(cfg, tile))


def _chip(cfg, loads=None):
    # The whole chip: host node (Wishbone slave), mesh, and a tile with its NI per node;
    # ``loads`` ({node: rows of conductance codes}) powers tiles on with weights loaded.
    from hdl.chip import Chip
    from sim.images import chip_images

    return Chip(cfg, images=chip_images(cfg, loads))


def _uart_chip(cfg):
    # The chip behind the UART-to-Wishbone bridge, at the simulation baud divisor and
    # timeouts (hdl/spec/uart.py); ports clk, rst, rx, tx, irq.
    from hdl.spec.uart import SIM_BUS_TIMEOUT, SIM_DIVISOR, SIM_TIMEOUT_BITS
    from hdl.uart_bridge import UartChip
    from sim.images import chip_images

    return UartChip(cfg, chip_images(cfg), divisor=SIM_DIVISOR, timeout_bits=SIM_TIMEOUT_BITS,
                    bus_timeout=SIM_BUS_TIMEOUT)


_ENTRIES = (
    Block("crossbar", _crossbar, "sim.crossbar", "tb/test_crossbar.py", "docs/crossbar.md"),
    Block("wv_unit", _wv_unit, "sim.write_verify", "tb/test_write_verify.py",
          "docs/write_verify.md"),
    Block("noc_mesh", _noc_mesh, "sim.noc", "tb/test_noc.py", "docs/noc.md"),
    Block("tile", _tile, "sim.tile", "tb/test_tile.py", "docs/tile.md"),
    Block("chip", _chip, "sim.chip", "tb/test_host.py", "docs/host.md"),
    Block("uart_chip", _uart_chip, "sim.chip", "tb/test_uart_bridge.py", "docs/uart.md"),
)

#: name -> :class:`Block`.
BLOCKS = {b.name: b for b in _ENTRIES}


#: Blocks whose power-on crossbar contents can be given (``loads``).
LOADABLE = ("chip",)


def build_block(name, cfg, loads=None):
    """The elaboratable of block ``name`` for configuration ``cfg``.

    ``loads`` (``{node: rows}``, ``chip`` only): those tiles power on with the rows already
    in their crossbars, as if loaded by LOAD_CELL (``sim.images.chip_images``)."""
    try:
        block = BLOCKS[name]
    except KeyError:
        raise ValueError(f"block {name!r} is unknown; choose one of {', '.join(BLOCKS)}") from None
    if loads is None:
        return block.build(cfg)
    if name not in LOADABLE:
        raise ValueError(f"block {name!r} takes no loads; only {', '.join(LOADABLE)}")
    return block.build(cfg, loads=loads)


def generate_verilog(name, cfg, loads=None):
    """Verilog text of block ``name`` for configuration ``cfg`` (top module named ``name``)."""
    from amaranth.back import verilog

    return verilog.convert(build_block(name, cfg, loads), name=name, emit_src=False)
