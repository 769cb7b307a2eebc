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

import re
from dataclasses import dataclass

__all__ = ["Block", "BLOCKS", "build_block", "generate_verilog", "HIER_BLOCK"]

#: The Verilator metacomment that makes a black box a hierarchical block
#: (:func:`generate_verilog`); a build of Verilog holding it needs ``--hierarchical``.
HIER_BLOCK = "/* verilator hier_block */"


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


def _chip_shared(cfg):
    # The same chip with one shared tile node module instantiated per tile
    # (hdl/chip.py, "Shared tiles"): the build for chips too big to elaborate tile by tile
    # (make bench-scale). Needs equal power-on images (no stuck cells).
    from hdl.chip import Chip
    from sim.images import chip_images

    return Chip(cfg, images=chip_images(cfg), shared_tiles=True)


def _uart_chip(cfg):
    # The chip behind the UART-to-Wishbone bridge, at the simulation baud divisor and
    # timeouts (hdl/spec/uart.py); ports clk, rst, rx, tx, irq.
    from hdl.spec.uart import SIM_BUS_TIMEOUT, SIM_DIVISOR, SIM_TIMEOUT_BITS
    from hdl.uart_bridge import UartChip
    from sim.images import chip_images

    return UartChip(cfg, chip_images(cfg), divisor=SIM_DIVISOR, timeout_bits=SIM_TIMEOUT_BITS,
                    bus_timeout=SIM_BUS_TIMEOUT)


def _cpu_soc(cfg):
    # The CPU's SoC without the chip (the trace tests: a build of seconds, not minutes);
    # ``cfg`` names the build directory and sizes the program memory (cfg.cpu).
    from hdl.soc import Or1kSoc

    return Or1kSoc(chip=None, ram_bytes=cfg.cpu.ram_bytes)


def _soc(cfg):
    # The CPU's SoC with the whole chip behind it (hdl/soc.py); the program memory is
    # cfg.cpu.ram_bytes, the size the firmware's linker script is generated for.
    from hdl.chip import Chip
    from hdl.soc import Or1kSoc
    from sim.images import chip_images

    return Or1kSoc(chip=Chip(cfg, images=chip_images(cfg)), ram_bytes=cfg.cpu.ram_bytes)


_ENTRIES = (
    Block("crossbar", _crossbar, "sim.crossbar", "tb/test_crossbar.py", "docs/crossbar.md"),
    Block("wv_unit", _wv_unit, "sim.write_verify", "tb/test_write_verify.py",
          "docs/write_verify.md"),
    Block("noc_mesh", _noc_mesh, "sim.noc", "tb/test_noc.py", "docs/noc.md"),
    Block("tile", _tile, "sim.tile", "tb/test_tile.py", "docs/tile.md"),
    Block("chip", _chip, "sim.chip", "tb/test_host.py", "docs/host.md"),
    Block("chip_shared", _chip_shared, "sim.chip", "tb/test_host.py", "docs/host.md"),
    Block("uart_chip", _uart_chip, "sim.chip", "tb/test_uart_bridge.py", "docs/uart.md"),
    Block("cpu_soc", _cpu_soc, "tb.or1k_trace", "tb/test_cpu.py", "docs/cpu.md"),
    Block("soc", _soc, "sim.chip", "tb/test_cpu.py", "docs/cpu.md"),
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
    """Verilog text of block ``name`` for configuration ``cfg`` (top module named ``name``).

    A block that instantiates modules it does not contain (its ``black_boxes``: name ->
    elaboratable, e.g. ``chip_shared``'s one tile node module) gets each of them generated
    once, under the name its instances use, ahead of its own text.
    """
    from amaranth.back import verilog

    top = build_block(name, cfg, loads)
    text = verilog.convert(top, name=name, emit_src=False)
    boxes = []
    for module, box in getattr(top, "black_boxes", {}).items():
        if re.search(rf"^module {re.escape(module)}\b", text, re.M):
            raise ValueError(f"block {name!r}: black box {module!r} is also defined in it")
        box_text = verilog.convert(box, name=module, emit_src=False)
        # Only the block is a top module; the black box's submodules carry its name as a
        # prefix (`tile_node.tile...`), so they cannot collide with the block's.
        box_text = box_text.replace("(* top =  1  *)\n", "", 1)
        # Verilator copies a module's logic into every instance's scope (and inlines a
        # module whose own body is small, as the tile node's wiring-only top is) before it
        # merges identical code: on the neurram chip's 48 tiles verilator_bin passed
        # 23 GB inlined, 12 GB not inlined, and was killed. A hierarchical block is
        # verilated once, as its own model the chip's instances call (``tb/harness.py``
        # adds ``--hierarchical``); other tools read a comment.
        box_text, n = re.subn(rf"^(module {re.escape(module)}\([^;]*\);\n)",
                              rf"\1  {HIER_BLOCK}\n", box_text, count=1, flags=re.M)
        assert n == 1, f"no module {module} in its own Verilog"
        boxes.append(box_text)
    return "".join(boxes) + text
