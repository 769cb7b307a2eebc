"""On-chip firmware: the compiler's C-table emitter, the firmware's constants, and builds.

The firmware (``sw/fw/infer/``, C, freestanding) runs a compiled network on the chip with
no host involvement: it programs every weight through the write-verify engine exactly as
:meth:`sw.runtime.Runtime.program` does, configures the tiles, runs the images the host
left in the activation SRAM and writes classes, clipped conversions and logits back
(``docs/firmware.md``).

* :func:`build_table` turns a :class:`~sw.compiler.CompiledNetwork` into a
  :class:`FirmwareTable` (plain integers), checking every field; :func:`c_table` writes it
  as a C source defining ``const struct fw_net FW_NET`` (types in ``sw/fw/infer/fw_table.h``).
  The table carries the compiler's and the runtime's decisions (descriptors with
  ``QUEUE_OFFSET``, ``NI_EXPECT``, the START_PROGRAM words, which layers the host feeds,
  the programming room, the packet-head layout), so the firmware re-derives none of them.
* :func:`consts_header` generates ``sw/fw/infer/fw_consts.h`` from this module's enums:
  the mailbox layout, status and error codes, the firmware's limits, ``FW_CHIP_BASE``
  (``python -m sw.firmware --check`` fails when it is stale).
* :class:`NativeFirmware` builds the same C sources with the host's gcc as a shared
  library whose bus accesses call back into Python, and runs it on the golden model
  (``sim/chip.py``): the fast test ``sw/test_firmware.py``.
* :func:`build_or1k` builds the firmware for the on-chip OpenRISC core with
  ``or1k-elf-gcc`` and the SoC's crt0 and linker script (``scripts/firmware.py``).

Why a C source and not a binary blob: the C compiler checks the table against the
firmware's struct (designated initializers: a renamed or retyped field is a build error,
not a silent misread), the same text builds for the little-endian host and the big-endian
core without any byte-order code, and the firmware needs no parser. The cost is one
compile per network, which takes a fraction of a second.
"""

import argparse
import ctypes
import enum
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hdl.spec.fields import width_of
from hdl.spec.host import EXPECT_BITS, config_digest, wv_words
from hdl.spec.noc import COORD_BITS, head_fields, node_xy
from hdl.spec.tile import TileCounter, TileField
from hdl.spec.write_verify import WV_SETS
from sim import regs
from sw.runtime import configured_descriptor, host_fed_layers, program_command, program_room

__all__ = ["CHIP_BASE", "FirmwareTableError", "FwStatus", "FwError", "TableFault", "Mailbox",
           "Weights", "Result", "Report", "FirmwareTile", "FirmwareLayer", "FirmwareTable",
           "build_table", "check_table", "c_table", "consts_header", "MailboxLayout",
           "mailbox_layout", "batch_images", "pack_codes", "FirmwareRun", "NativeFirmware",
           "build_or1k", "Or1kFirmware", "run_native",
           "FW_DIR", "INCLUDE_DIR"]

ROOT = Path(__file__).resolve().parent.parent
FW_DIR = ROOT / "sw" / "fw" / "infer"
NATIVE_DIR = ROOT / "sw" / "fw" / "native"
OR1K_DIR = ROOT / "sw" / "fw" / "or1k"
INCLUDE_DIR = ROOT / "sw" / "include"
CONSTS_H = FW_DIR / "fw_consts.h"
FW_SOURCES = ("infer.c", "chip.c")

try:        # the SoC's memory map, once the core's spec defines it
    from hdl.spec.or1k import CHIP_BASE
except ImportError:     # until then: the address the SoC puts the chip at
    #: Byte address of the host node's Wishbone port on the core's data bus.
    CHIP_BASE = 0x8000_0000

#: "RNET": first word of a table.
TABLE_MAGIC = 0x524E_4554
#: Table layout version (``fw_table.h``); the firmware refuses another.
TABLE_VERSION = 1
#: Firmware limits (static arrays): tiles, values of one layer, words of one packet body,
#: START_PROGRAM body words.
MAX_TILES = 16
MAX_VALUES = 128
MAX_PACKET = 64
WV_WORDS_MAX = 8
#: IRQ_STATUS reads before a wait ends with TIMEOUT when the mailbox's TIMEOUT is 0.
DEFAULT_POLLS = 1 << 26


class FirmwareTableError(ValueError):
    """A compiled network the firmware cannot run; the message names the table field."""


class FwStatus(enum.IntEnum):
    """Mailbox ``STATUS``: the host writes IDLE before it releases the core."""

    IDLE = 0        # written by the host before the run
    RUNNING = 1     # the firmware started
    DONE = 2        # every image ran; results are in place
    ERROR = 3       # stopped: ERROR, DETAIL0, DETAIL1 say why


class FwError(enum.IntEnum):
    """Mailbox ``ERROR``, with what ``DETAIL0`` / ``DETAIL1`` hold."""

    NONE = 0
    CHIP = 1        # not the chip of the table: DETAIL0 = register offset, DETAIL1 = value read
    TABLE = 2       # the table breaks a rule: DETAIL0 = TableFault | index << 8, DETAIL1 = value
    MAILBOX = 3     # the mailbox's layout does not fit the SRAM: DETAIL0 = word, DETAIL1 = value
    BUS = 4         # a bus access ended with ERR: DETAIL0 = ERR_CAUSE, DETAIL1 = ERR_ADDR
    TILE = 5        # a tile answered ERROR: DETAIL0 = node | request << 8 | NiError << 16
    TIMEOUT = 6     # no answer: DETAIL0 = node | request << 8, DETAIL1 = polls
    UNEXPECTED = 7  # a packet nobody asked for: DETAIL0 = its head, DETAIL1 = first body word
    EXCEPTION = 8   # (core) an exception other than a bus error: DETAIL0 = vector, DETAIL1 = EPCR


class TableFault(enum.IntEnum):
    """``DETAIL0 & 0xFF`` of a TABLE error (bits 8 and up: the layer or tile index)."""

    MAGIC_BAD = 1      # not a table (magic)
    VERSION_BAD = 2    # another table layout version
    TILES_BAD = 3      # no tiles or layers, or more tiles than the firmware holds
    PACKET_BAD = 4     # max_packet_flits outside what the firmware handles
    VALUES_BAD = 5     # more inputs or classes than the firmware holds
    LAYER_BAD = 6      # a layer's tiles or sizes out of range
    NODE_BAD = 7       # a tile outside the mesh, or the host node
    TILE_BAD = 8       # a tile's rows, program words or layer out of range


class Mailbox(enum.IntEnum):
    """Words at the start of the activation SRAM (word indices)."""

    STATUS = 0     # FwStatus (firmware)
    ERROR = 1      # FwError (firmware)
    DETAIL0 = 2    # error detail (firmware)
    DETAIL1 = 3    # error detail (firmware)
    IMAGES = 4     # number of images (host)
    INPUTS = 5     # SRAM word of the first image's codes (host)
    RESULTS = 6    # SRAM word of the first image's result (host)
    REPORTS = 7    # SRAM word of the programming reports, 0: none (host)
    FLAGS = 8      # Weights in bits [1:0] (host)
    TIMEOUT = 9    # IRQ_STATUS reads per wait, 0: the default (host)
    PROGRESS = 10  # images done (firmware)
    CYCLES_SETUP = 11   # chip CYCLES from the start to the first image: weights, configure
    CYCLES_IMAGES = 12  # chip CYCLES over all images (0 on the golden model)


#: Words reserved for the mailbox; inputs, results and reports start at or after it.
MAILBOX_WORDS = 16


class Weights(enum.IntEnum):
    """Mailbox ``FLAGS[1:0]``: how the weights get into the arrays."""

    PROGRAM = 0     # through the write-verify engine (Runtime.program)
    BACKDOOR = 1    # LOAD_CELL of each level's conductance code (Runtime.load)
    PRELOADED = 2   # already there (a power-on image)


class Result(enum.IntEnum):
    """Words of one image's result; the logits follow from LOGITS on (signed 32-bit)."""

    CLASS = 0      # argmax of the logits (the first of equal maxima)
    CLIPS = 1      # clipped conversions of the image (START_MVM answers summed)
    LOGITS = 2     # first logit


class Report(enum.IntEnum):
    """Words of one tile's programming report (counter differences over the run)."""

    NODE = 0
    PULSES = 1
    FAILURES = 2
    CYCLES = 3


#: The tile counter behind each report word (``ProgramReport``'s pulses, failures, cycles).
REPORT_COUNTERS = {Report.PULSES: TileCounter.PULSES, Report.FAILURES: TileCounter.FAILS,
                   Report.CYCLES: TileCounter.BUSY}


# -- the table --------------------------------------------------------------------------------


@dataclass
class FirmwareTile:
    """One tile of the table (``struct fw_tile``)."""

    node: int
    x: int
    y: int
    layer: int
    row0: int
    n_rows: int
    out0: int
    n_out: int
    expect: int
    desc: list
    bias: list
    targets: np.ndarray
    program: list


@dataclass
class FirmwareLayer:
    """One layer of the table (``struct fw_layer``)."""

    name: str
    first_tile: int
    n_tiles: int
    n_inputs: int
    n_outputs: int
    host_fed: int
    relay: int


@dataclass
class FirmwareTable:
    """Everything the firmware reads (``struct fw_net``); :func:`build_table` makes one."""

    cfg_digest: int
    mesh_width: int
    mesh_height: int
    host_node: int
    max_packet_flits: int
    program_room: int
    head: list                  # [(name, lsb, width)] of the packet head, LSB first
    n_inputs: int
    n_classes: int
    input_bits: int
    levels: list
    layers: list = field(default_factory=list)
    tiles: list = field(default_factory=list)


def build_table(compiled, check=True):
    """The firmware table of ``compiled`` (a :class:`~sw.compiler.CompiledNetwork`).

    Parameters
    ----------
    compiled : CompiledNetwork
    check : bool
        Check the table against the chip and the firmware's limits (:func:`check_table`).

    Returns
    -------
    FirmwareTable

    Raises
    ------
    FirmwareTableError
        Naming the field (``tiles[2].node``, ``tiles[0].desc.OUT_MULT``, ...) that the
        firmware cannot take.
    """
    cfg = compiled.cfg
    if not compiled.layers:
        raise FirmwareTableError("layers: the compiled network has no layers")
    head, lsb = [], 0
    for name, shape in head_fields(cfg):
        w = width_of(shape)
        head.append((name, lsb, w))
        lsb += w
    fed = {id(lp) for lp in host_fed_layers(compiled)}
    table = FirmwareTable(
        cfg_digest=config_digest(cfg), mesh_width=cfg.mesh_width, mesh_height=cfg.mesh_height,
        host_node=cfg.host_node, max_packet_flits=cfg.noc.max_packet_flits,
        program_room=program_room(cfg, len(compiled.tiles())), head=head,
        n_inputs=compiled.network.inputs,
        n_classes=compiled.outputs, input_bits=cfg.input_bits,
        levels=[int(v) for v in compiled.levels])
    for li, lp in enumerate(compiled.layers):
        tiles = lp.all_tiles()
        n_out = max(t.outputs[1] for t in tiles)
        n_in = max(t.rows[1] for t in tiles)
        table.layers.append(FirmwareLayer(lp.name, len(table.tiles), len(tiles), n_in, n_out,
                                          int(id(lp) in fed), int(bool(lp.relay))))
        for t in tiles:
            k = len(table.tiles)
            missing = [f.name for f in TileField if f not in t.desc]
            if missing:
                raise FirmwareTableError(f"tiles[{k}].desc: fields {', '.join(missing)} "
                                         f"missing (layer {lp.name!r}, node {t.node})")
            desc = configured_descriptor(cfg, t)
            x, y = node_xy(cfg, t.node) if isinstance(t.node, int | np.integer) else (0, 0)
            table.tiles.append(FirmwareTile(
                node=t.node, x=x, y=y, layer=li, row0=t.rows[0], n_rows=t.n_rows,
                out0=t.outputs[0], n_out=t.n_out, expect=t.expect,
                desc=[desc[f] for f in TileField],
                bias=[] if t.bias is None else [int(v) for v in t.bias],
                targets=t.targets(), program=list(program_command(cfg, t))))
    if check:
        check_table(table, cfg)
    return table


def _fail(what, value, why):
    raise FirmwareTableError(f"{what} = {value!r}: {why}")


def check_table(table, cfg):
    """Raise :class:`FirmwareTableError` naming the first field of ``table`` that the chip
    ``cfg`` or the firmware cannot take.

    Parameters
    ----------
    table : FirmwareTable
    cfg : ChipConfig
    """
    a = cfg.array
    if not 1 <= len(table.tiles) <= MAX_TILES:
        _fail("tiles", len(table.tiles), f"the firmware holds 1 .. {MAX_TILES} tiles")
    if not 3 <= table.max_packet_flits <= MAX_PACKET:
        _fail("max_packet_flits", table.max_packet_flits,
              f"the firmware takes packets of 3 .. {MAX_PACKET} flits")
    if table.input_bits > 8:
        _fail("input_bits", table.input_bits, "input codes are packed 4 to a word (8 bits)")
    for name in ("n_inputs", "n_classes"):
        v = getattr(table, name)
        if not 1 <= v <= MAX_VALUES:
            _fail(name, v, f"the firmware holds 1 .. {MAX_VALUES} values")
    for i, v in enumerate(table.levels):
        if not 0 <= v < 1 << 16:
            _fail(f"levels[{i}]", v, "a conductance code is 16 bits")
    if len(table.levels) > WV_SETS:
        _fail("levels", len(table.levels), f"the engine has {WV_SETS} register sets")
    if not table.layers[0].host_fed:
        _fail("layers[0].host_fed", table.layers[0].host_fed, "the host feeds the first layer")
    for i, lp in enumerate(table.layers):
        for name in ("n_inputs", "n_outputs"):
            v = getattr(lp, name)
            if not 1 <= v <= MAX_VALUES:
                _fail(f"layers[{i}].{name}", v, f"the firmware holds 1 .. {MAX_VALUES} values")
    if table.layers[-1].n_outputs != table.n_classes:
        _fail("layers[-1].n_outputs", table.layers[-1].n_outputs,
              f"the last layer's outputs are the {table.n_classes} logits")
    seen = {}
    for k, t in enumerate(table.tiles):
        w = f"tiles[{k}]"
        if t.node not in cfg.tiles:
            _fail(f"{w}.node", t.node, f"not a tile of chip {cfg.name!r} (tiles "
                  f"{list(cfg.tiles)} on a {cfg.mesh_width} x {cfg.mesh_height} mesh)")
        if t.node in seen:
            _fail(f"{w}.node", t.node, f"also tiles[{seen[t.node]}].node")
        seen[t.node] = k
        if (t.x, t.y) != node_xy(cfg, t.node):
            _fail(f"{w}.x, y", (t.x, t.y), f"node {t.node} is at {node_xy(cfg, t.node)}")
        lp = table.layers[t.layer]
        if not lp.first_tile <= k < lp.first_tile + lp.n_tiles:
            _fail(f"{w}.layer", t.layer, "the tile is not among that layer's tiles")
        if not (0 <= t.n_rows <= a.rows and t.row0 >= 0 and t.row0 + t.n_rows <= lp.n_inputs):
            _fail(f"{w}.rows", (t.row0, t.row0 + t.n_rows),
                  f"the array has {a.rows} rows, the layer {lp.n_inputs} inputs")
        if not (0 < t.n_out <= a.pairs and t.out0 + t.n_out <= lp.n_outputs):
            _fail(f"{w}.n_out", t.n_out, f"the array has {a.pairs} pairs")
        if not 0 <= t.expect < 1 << EXPECT_BITS:
            _fail(f"{w}.expect", t.expect, f"NI_EXPECT is {EXPECT_BITS} bits")
        for f in TileField:
            v = t.desc[f]
            if not 0 <= int(v) < 1 << 32:
                _fail(f"{w}.desc.{f.name}", v, "a descriptor field is a 32-bit word")
        if t.desc[TileField.OUT_COUNT] != t.n_out:
            _fail(f"{w}.desc.OUT_COUNT", t.desc[TileField.OUT_COUNT], f"n_out is {t.n_out}")
        dest = t.desc[TileField.DEST]
        if dest != cfg.host_node and dest not in {u.node for u in table.tiles}:
            _fail(f"{w}.desc.DEST", dest, "neither the host nor a tile of the table")
        bmax = 1 << (cfg.tile.bias_bits - 1)
        if len(t.bias) > a.pairs:
            _fail(f"{w}.bias", len(t.bias), f"the array has {a.pairs} pairs")
        for i, b in enumerate(t.bias):
            if not -bmax <= b < bmax:
                _fail(f"{w}.bias[{i}]", b, f"the bias is {cfg.tile.bias_bits} bits, signed")
        tg = np.asarray(t.targets)
        if tg.ndim != 2 or tg.shape[1] != a.cols or not 0 < tg.shape[0] <= a.rows:
            _fail(f"{w}.targets.shape", tg.shape,
                  f"whole rows of the {a.rows} x {a.cols} array")
        if tg.size and (tg.min() < 0 or tg.max() >= min(len(table.levels), 16)):
            _fail(f"{w}.targets", int(tg.max() if tg.max() >= len(table.levels) else tg.min()),
                  f"a target is a register set 0 .. {len(table.levels) - 1}")
        if len(t.program) != wv_words(cfg) or len(t.program) > WV_WORDS_MAX:
            _fail(f"{w}.program", len(t.program), f"START_PROGRAM takes {wv_words(cfg)} words")


def pack_targets(targets):
    """Bytes of a tile's targets (register sets, row-major): two cells a byte, cell ``c``
    in bits ``4 (c % 2) ..`` of byte ``c // 2`` (the digits network's 12 288 targets in
    6 KB of the core's memory)."""
    flat = np.asarray(targets, np.int64).ravel()
    if flat.size % 2:
        flat = np.append(flat, 0)
    return (flat[0::2] | flat[1::2] << 4).tolist()


def _c_array(ctype, name, values, per_line=16):
    vals = [str(int(v)) for v in values] or ["0"]
    lines = [", ".join(vals[i:i + per_line]) for i in range(0, len(vals), per_line)]
    return [f"static const {ctype} {name}[{len(vals)}] = {{", *(f"    {s}," for s in lines),
            "};"]


def c_table(table, name="network"):
    """The C source of ``table``: ``const struct fw_net FW_NET`` and its arrays.

    Parameters
    ----------
    table : FirmwareTable
        Checked already (:func:`build_table` does); no check here, so a test can hand the
        firmware a bad table.
    name : str
        For the header comment.

    Returns
    -------
    str
    """
    out = ["/*", f" * Network table of {name}: generated by sw/firmware.py (c_table); do not "
           "edit.", " * Types: sw/fw/infer/fw_table.h; fields: docs/firmware.md.", " */",
           '#include "fw_table.h"', ""]
    for k, t in enumerate(table.tiles):
        out += _c_array("int32_t", f"bias_{k}", t.bias)
        out += _c_array("uint8_t", f"targets_{k}", pack_targets(t.targets), 32)
    out += _c_array("uint16_t", "levels", table.levels)
    out += ["", f"static const struct fw_layer layers[{len(table.layers)}] = {{"]
    for lp in table.layers:
        out.append(f"    {{ /* {lp.name} */ .first_tile = {lp.first_tile}, .n_tiles = "
                   f"{lp.n_tiles}, .n_inputs = {lp.n_inputs}, .n_outputs = {lp.n_outputs}, "
                   f".host_fed = {lp.host_fed}, .relay = {lp.relay} }},")
    out += ["};", "", f"static const struct fw_tile tiles[{len(table.tiles)}] = {{"]
    for k, t in enumerate(table.tiles):
        tg = np.asarray(t.targets)
        desc = ", ".join(f"[RRAM_TILE_FIELD_{f.name}] = {int(t.desc[f])}u" for f in TileField)
        prog = ", ".join(f"0x{int(w):08X}u" for w in t.program)
        out += [
            "    {",
            f"        .node = {t.node}, .x = {t.x}, .y = {t.y}, .layer = {t.layer},",
            f"        .row0 = {t.row0}, .n_rows = {t.n_rows}, .out0 = {t.out0}, "
            f".n_out = {t.n_out}, .expect = {t.expect},",
            f"        .desc = {{ {desc} }},",
            f"        .bias = bias_{k}, .n_bias = {len(t.bias)},",
            f"        .targets = targets_{k}, .target_cols = {tg.shape[1]}, "
            f".target_rows = {tg.shape[0]}, .n_targets = {tg.size}u,",
            f"        .program = {{ {prog} }}, .program_words = {len(t.program)},",
            "    },",
        ]
    lsb = ", ".join(f"[FW_HEAD_{n.upper()}] = {lo}" for n, lo, _ in table.head)
    width = ", ".join(f"[FW_HEAD_{n.upper()}] = {w}" for n, _, w in table.head)
    out += [
        "};", "",
        "const struct fw_net FW_NET = {",
        "    .magic = FW_TABLE_MAGIC, .version = FW_TABLE_VERSION,",
        f"    .cfg_digest = 0x{table.cfg_digest:08X}u,",
        f"    .mesh_width = {table.mesh_width}, .mesh_height = {table.mesh_height}, "
        f".host_node = {table.host_node},",
        f"    .max_packet_flits = {table.max_packet_flits}, "
        f".program_room = {table.program_room},",
        f"    .head_lsb = {{ {lsb} }},",
        f"    .head_width = {{ {width} }},",
        f"    .n_inputs = {table.n_inputs}, .n_classes = {table.n_classes}, "
        f".input_bits = {table.input_bits},",
        f"    .n_layers = {len(table.layers)}, .n_tiles = {len(table.tiles)},",
        "    .layers = layers, .tiles = tiles,",
        f"    .levels = levels, .n_levels = {len(table.levels)},",
        "};",
    ]
    return "\n".join(out) + "\n"


# -- the firmware's constants -------------------------------------------------------------------


def _enum_defines(cls, prefix):
    out = [f"/* {cls.__name__}: {' '.join(cls.__doc__.split())} */"]
    out += [f"#define {prefix}_{m.name:<24} {int(m)}u" for m in cls]
    return out + [""]


def consts_header():
    """``sw/fw/infer/fw_consts.h``: the firmware's constants from this module (and the
    packet-head field order of ``hdl/spec/noc.py``).

    Returns
    -------
    str
    """
    from hdl.spec.config import preset

    heads = [n for n, _ in head_fields(preset("tiny"))]
    out = [
        "/*",
        " * On-chip firmware constants. Generated from sw/firmware.py by",
        " * `python -m sw.firmware --write-consts`: do not edit. docs/firmware.md explains them.",
        " */",
        "#ifndef FW_CONSTS_H",
        "#define FW_CONSTS_H",
        "",
        f"#define FW_CHIP_BASE                     0x{CHIP_BASE:08X}u  "
        "/* the chip's Wishbone port on the core's bus */",
        f"#define FW_TABLE_MAGIC                   0x{TABLE_MAGIC:08X}u",
        f"#define FW_TABLE_VERSION                 {TABLE_VERSION}u",
        f"#define FW_MAX_TILES                     {MAX_TILES}u",
        f"#define FW_MAX_VALUES                    {MAX_VALUES}u",
        f"#define FW_MAX_PACKET                    {MAX_PACKET}u",
        f"#define FW_WV_WORDS_MAX                  {WV_WORDS_MAX}u",
        f"#define FW_DEFAULT_POLLS                 0x{DEFAULT_POLLS:X}u",
        f"#define FW_MB_WORDS                      {MAILBOX_WORDS}u",
        f"#define FW_COORD_BITS                    {COORD_BITS}u  "
        "/* bits of a mesh coordinate (hdl/spec/noc.py) */",
        "#define FW_FLAGS_WEIGHTS_LSB             0u",
        "#define FW_FLAGS_WEIGHTS_MASK            0x3u",
        f"#define FW_REPORT_WORDS                  {len(Report)}u",
        "",
        "/* Packet head fields, least significant first (hdl/spec/noc.py head_fields); their",
        " * positions and widths are per configuration, in the table. */",
    ]
    out += [f"#define FW_HEAD_{n.upper():<25} {i}u" for i, n in enumerate(heads)]
    out += [f"#define FW_HEAD_FIELDS                   {len(heads)}u", ""]
    for r, c in REPORT_COUNTERS.items():
        out.append(f"#define FW_REPORT_{r.name}_COUNTER{' ' * (15 - len(r.name))}"
                   f"{int(c)}u  /* TileCounter.{c.name} */")
    out.append("")
    for cls, prefix in ((FwStatus, "FW_STATUS"), (FwError, "FW_ERR"), (Mailbox, "FW_MB"),
                        (Weights, "FW_WEIGHTS"), (Result, "FW_RESULT"),
                        (Report, "FW_REPORT"), (TableFault, "FW_TABLE")):
        out += _enum_defines(cls, prefix)
    out += ["#endif /* FW_CONSTS_H */"]
    return "\n".join(out) + "\n"


# -- the mailbox -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailboxLayout:
    """Where a run's inputs, results and reports sit in the activation SRAM (word indices)."""

    images: int
    inputs: int
    results: int
    reports: int
    input_words: int     # per image: codes 4 to a word, code j in bits 8 (j % 4) ..
    result_words: int    # per image: class, clips, logits
    end: int


def mailbox_layout(compiled, images, asram_words=None):
    """The default layout: the mailbox, the inputs, the reports, the results.

    Raises
    ------
    ValueError
        When it does not fit ``asram_words`` (default: the chip's SRAM).
    """
    words = compiled.cfg.host.asram_words if asram_words is None else asram_words
    in_words = -(-compiled.network.inputs // 4)
    res_words = Result.LOGITS + compiled.outputs
    inputs = MAILBOX_WORDS
    reports = inputs + images * in_words
    results = reports + len(compiled.tiles()) * len(Report)
    end = results + images * res_words
    if end > words:
        raise ValueError(f"images = {images}: {images} x ({in_words} input + {res_words} "
                         f"result words) and the mailbox take {end} words; the activation "
                         f"SRAM has {words}")
    return MailboxLayout(images, inputs, results, reports, in_words, res_words, end)


def pack_codes(x_codes):
    """SRAM words of input codes (n, inputs): 4 codes to a word, code ``j`` in bits
    ``8 * (j % 4)`` of word ``j // 4`` (whole words, so the CPU's byte order never shows)."""
    x = np.asarray(x_codes, np.int64)
    if x.size and (x.min() < 0 or x.max() > 0xFF):
        raise ValueError("input codes are 8 bits")
    pad = (-x.shape[1]) % 4
    x = np.pad(x, ((0, 0), (0, pad))).reshape(x.shape[0], (x.shape[1] + pad) // 4, 4)
    return (x[..., 0] | x[..., 1] << 8 | x[..., 2] << 16 | x[..., 3] << 24).astype(np.int64)


def mailbox_words(layout, x_codes, weights=Weights.PROGRAM, timeout=0):
    """``{word: value}`` the host writes before it releases the core."""
    words = {Mailbox.STATUS: FwStatus.IDLE, Mailbox.ERROR: 0, Mailbox.PROGRESS: 0,
             Mailbox.IMAGES: layout.images, Mailbox.INPUTS: layout.inputs,
             Mailbox.RESULTS: layout.results, Mailbox.REPORTS: layout.reports,
             Mailbox.FLAGS: int(weights), Mailbox.TIMEOUT: timeout}
    packed = pack_codes(x_codes)
    for i, row in enumerate(packed):
        for j, w in enumerate(row):
            words[layout.inputs + i * layout.input_words + j] = int(w)
    return {int(k): int(v) for k, v in words.items()}


@dataclass
class FirmwareRun:
    """What the firmware left in the mailbox."""

    status: FwStatus
    error: FwError
    detail: tuple
    progress: int
    classes: np.ndarray = None
    clips: np.ndarray = None
    logits: np.ndarray = None
    reports: list = None
    reads: int = 0
    writes: int = 0
    cycles: tuple = (0, 0)     # chip CYCLES: setup (weights, configure), all images


def read_mailbox(read_word, compiled, layout):
    """A :class:`FirmwareRun` from the SRAM (``read_word(i)`` returns word ``i``)."""
    status = FwStatus(read_word(Mailbox.STATUS))
    error = FwError(read_word(Mailbox.ERROR))
    run = FirmwareRun(status, error, (read_word(Mailbox.DETAIL0), read_word(Mailbox.DETAIL1)),
                      read_word(Mailbox.PROGRESS))
    run.cycles = (read_word(Mailbox.CYCLES_SETUP), read_word(Mailbox.CYCLES_IMAGES))
    if status != FwStatus.DONE:
        return run
    n, rw = layout.images, layout.result_words
    res = np.array([[read_word(layout.results + i * rw + k) for k in range(rw)]
                    for i in range(n)], np.int64).reshape(n, rw)
    res = np.where(res >> 31, res - (1 << 32), res)
    run.classes, run.clips = res[:, Result.CLASS], res[:, Result.CLIPS]
    run.logits = res[:, Result.LOGITS:]
    run.reports = []
    if layout.reports:
        for k, t in enumerate(compiled.tiles()):
            base = layout.reports + k * len(Report)
            r = {m.name.lower(): read_word(base + m) for m in Report}
            r["node_ok"] = r["node"] == t.node
            run.reports.append(r)
    return run


# -- builds -----------------------------------------------------------------------------------


def _cc_flags():
    return ["-std=c11", "-Wall", "-Wextra", "-Werror", "-ffreestanding", f"-I{FW_DIR}",
            f"-I{INCLUDE_DIR}"]


def _run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{r.stdout}{r.stderr}")
    return r.stdout


class NativeFirmware:
    """The firmware built for the host (gcc, a shared library) around one table, with its
    HAL calling back into Python: :meth:`run` runs it on a golden model of the chip.

    Parameters
    ----------
    table_source : str
        The table's C source (:func:`c_table`).
    build_dir : path
        Where the source and the library go (one directory per table).
    """

    _READ = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_uint32)
    _WRITE = ctypes.CFUNCTYPE(None, ctypes.c_uint32, ctypes.c_uint32)

    def __init__(self, table_source, build_dir):
        d = Path(build_dir)
        d.mkdir(parents=True, exist_ok=True)
        (d / "net_table.c").write_text(table_source)
        self.path = d / "libfw.so"
        srcs = [FW_DIR / s for s in FW_SOURCES] + [NATIVE_DIR / "hal_native.c",
                                                   d / "net_table.c"]
        _run(["gcc", "-O2", "-shared", "-fPIC", *_cc_flags(), *map(str, srcs),
              "-o", str(self.path)])
        self.lib = ctypes.CDLL(str(self.path))
        self.lib.fw_main.argtypes = [ctypes.c_void_p]
        self.lib.fw_main.restype = ctypes.c_uint32
        self.lib.fw_native_hal.argtypes = [self._READ, self._WRITE]
        self.table = ctypes.addressof(ctypes.c_uint32.in_dll(self.lib, "FW_NET"))

    def run(self, model):
        """Run ``fw_main`` on ``model`` (a :class:`sim.chip.ChipModel`); returns its FwError
        code and the bus accesses ``(reads, writes)``. Every access goes through the model's
        bus interface; an ERR reads as 0 and is logged in the model's error log, where the
        firmware looks for it."""
        counts = [0, 0]
        errors = []

        def read(offset):
            try:
                counts[0] += 1
                ok, data = model.read(offset)
                return data if ok else 0
            except Exception as e:       # ctypes would print and return 0
                errors.append(e)
                return 0

        def write(offset, value):
            try:
                counts[1] += 1
                model.write(offset, value)
            except Exception as e:
                errors.append(e)

        r, w = self._READ(read), self._WRITE(write)
        self.lib.fw_native_hal(r, w)
        code = self.lib.fw_main(self.table)
        if errors:
            raise errors[0]
        return FwError(code), tuple(counts)


def batch_images(compiled, asram_words=None):
    """Images one run of the firmware takes: as many as the SRAM holds beside the mailbox
    and the reports (:func:`mailbox_layout`)."""
    words = compiled.cfg.host.asram_words if asram_words is None else asram_words
    fixed = MAILBOX_WORDS + len(compiled.tiles()) * len(Report)
    per = -(-compiled.network.inputs // 4) + Result.LOGITS + compiled.outputs
    return max(0, (words - fixed) // per)


def run_native(compiled, x_codes, model, build_dir, weights=Weights.PROGRAM, timeout=1000,
               table=None):
    """Emit ``compiled``'s table (or take ``table``), build the native firmware, put the
    images and the mailbox in ``model``'s SRAM by bus writes, run, and read the mailbox.

    More images than the SRAM holds run in batches (:func:`batch_images`), as a host would
    do it: the first batch puts the weights in as ``weights`` says, the others find them
    there (PRELOADED).

    Returns
    -------
    FirmwareRun
        Of every batch (results concatenated, bus accesses summed, the first batch's
        programming reports); the first batch that did not end DONE as it is.
    """
    if table is None:
        table = build_table(compiled)
    fw = NativeFirmware(c_table(table), build_dir)
    x_codes = np.asarray(x_codes, np.int64).reshape(-1, compiled.network.inputs)
    per = batch_images(compiled, model.cfg.host.asram_words)
    if per == 0:
        raise ValueError("the activation SRAM holds no image beside the mailbox")
    runs, reads, writes = [], 0, 0
    for k in range(0, max(len(x_codes), 1), per):
        batch = x_codes[k:k + per]
        layout = mailbox_layout(compiled, len(batch), model.cfg.host.asram_words)
        for i, v in mailbox_words(layout, batch, weights, timeout).items():
            assert model.write(regs.ASRAM_BASE + 4 * i, v)
        code, (r, w) = fw.run(model)
        run = read_mailbox(lambda i: model.asram[i], compiled, layout)
        assert run.error == code
        reads, writes = reads + r, writes + w
        run.reads, run.writes = reads, writes
        if run.status != FwStatus.DONE:
            run.progress += k
            return run
        runs.append(run)
        weights = Weights.PRELOADED
    run = runs[0]
    run.progress = sum(r.progress for r in runs)
    for name in ("classes", "clips", "logits"):
        setattr(run, name, np.concatenate([getattr(r, name) for r in runs]))
    run.reads, run.writes = reads, writes
    return run


#: The instructions the core implements beyond GCC's default or1k set
#: (``hdl.spec.or1k.IMPLEMENTED``: shifts and compares with an immediate, l.cmov, l.ext*,
#: rotates); multiply and divide stay in software, the firmware has none.
OR1K_ISA = ("-mshftimm", "-msfimm", "-mcmov", "-msext", "-mror", "-mrori", "-msoft-mul",
            "-msoft-div")


@dataclass(frozen=True)
class Or1kFirmware:
    """The firmware built for the core: ``elf``, ``image`` (bytes loaded from address 0),
    ``symbols`` (name -> address; ``_exit`` is the end), ``size`` (or1k-elf-size's text,
    data, bss)."""

    elf: Path
    image: bytes
    symbols: dict
    size: dict


def build_or1k(table_source, build_dir, ram_bytes):
    """The firmware for the core: ``or1k-elf-gcc -O2`` (:data:`OR1K_ISA`) with the SoC's crt0
    (``sw/fw/crt0.S``) and its linker script (``scripts.firmware.linker_script``, generated
    from ``hdl/spec/or1k.py``) for a program memory of ``ram_bytes``.

    Parameters
    ----------
    table_source : str
        The table's C source (:func:`c_table`).
    build_dir : path
        Where the table, the linker script, the ELF and the raw image go.
    ram_bytes : int
        The SoC's program memory: the chip's ``cfg.cpu.ram_bytes``, the figure block
        ``soc`` is built with (``scripts/blocks.py``), so the stack the linker script puts
        at the top of it is inside the memory the core has.

    Returns
    -------
    Or1kFirmware

    Raises
    ------
    ValueError
        When the image and its .bss do not fit ``ram_bytes`` (the message names
        ``ChipConfig.cpu.ram_bytes``), or ``ram_bytes`` is not a valid memory size.
    """
    from scripts.firmware import linker_script, symbols

    ram = ram_bytes
    d = Path(build_dir)
    d.mkdir(parents=True, exist_ok=True)
    (d / "net_table.c").write_text(table_source)
    (d / "link.ld").write_text(linker_script(ram))
    elf = d / "infer.elf"
    srcs = [FW_DIR / s for s in (*FW_SOURCES, "hal_or1k.c", "main_or1k.c")]
    try:
        _run(["or1k-elf-gcc", "-O2", *OR1K_ISA, "-nostdlib", "-nostartfiles",
              "-fno-builtin", "-static", *_cc_flags(), "-T", str(d / "link.ld"),
              str(ROOT / "sw" / "fw" / "crt0.S"), *map(str, srcs), str(d / "net_table.c"),
              "-lgcc", "-o", str(elf)])
    except RuntimeError as e:
        if "overflowed" in str(e):
            raise ValueError(f"ChipConfig.cpu.ram_bytes = {ram}: the firmware and its "
                             f"table do not fit the program memory ({e})") from None
        raise
    text, data, bss = (int(v) for v in _run(["or1k-elf-size", str(elf)]).splitlines()[1]
                       .split()[:3])
    _run(["or1k-elf-objcopy", "-O", "binary", str(elf), str(d / "infer.bin")])
    image = (d / "infer.bin").read_bytes()
    size = {"text": text, "data": data, "bss": bss}
    if text + data + bss > ram:
        raise ValueError(f"ChipConfig.cpu.ram_bytes = {ram}: the firmware needs "
                         f"{text + data + bss} bytes and a stack ({size})")
    return Or1kFirmware(elf, image, symbols(elf), size)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write-consts", action="store_true", help="write sw/fw/infer/fw_consts.h")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if sw/fw/infer/fw_consts.h is stale")
    ap.add_argument("--config", default="default")
    ap.add_argument("--model", default=None, help="ONNX file (default: the digits MLP)")
    ap.add_argument("--out", default=str(ROOT / "build" / "fw"))
    ap.add_argument("--ram-bytes", type=int, default=None,
                    help="program memory of the core (default: the configuration's "
                         "cpu.ram_bytes, 32 KiB on default)")
    args = ap.parse_args(argv)
    if args.check:
        ok = CONSTS_H.exists() and CONSTS_H.read_text() == consts_header()
        if not ok:
            print(f"stale: {CONSTS_H.relative_to(ROOT)} (python -m sw.firmware "
                  "--write-consts)", file=sys.stderr)
        sys.exit(0 if ok else 1)
    if args.write_consts:
        CONSTS_H.write_text(consts_header())
        print(f"wrote {CONSTS_H.relative_to(ROOT)}")
        return
    from hdl.spec.config import preset
    from sw.job import DEFAULT_MODEL, prepare

    cfg = preset(args.config)
    job = prepare(args.model or DEFAULT_MODEL, cfg, 0)
    src = c_table(build_table(job.compiled), f"{Path(args.model or DEFAULT_MODEL).name} on "
                  f"{cfg.name}")
    out = Path(args.out) / cfg.name
    out.mkdir(parents=True, exist_ok=True)
    (out / "net_table.c").write_text(src)
    print(f"wrote {out / 'net_table.c'}")
    if shutil.which("or1k-elf-gcc"):
        fw = build_or1k(src, out, ram_bytes=args.ram_bytes or cfg.cpu.ram_bytes)
        size = fw.size
        print(f"built {fw.elf}: text {size['text']} B, data {size['data']} B, "
              f"bss {size['bss']} B")


if __name__ == "__main__":
    main()
