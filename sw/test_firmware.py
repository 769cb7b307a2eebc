"""The on-chip firmware (``sw/fw/infer/``) built natively and run on the golden model.

The same C sources the core runs are built with the host's gcc as a shared library whose
bus accesses call back into Python (``sw.firmware.NativeFirmware``) and go to
``sim.chip.ChipModel``. Each run is compared value for value with the host-driven
``sw.runtime.Runtime`` on a fresh model of the same chip (logits, clipped conversions,
programming reports, tile counters) and, with back-door weights, with the compiler's
arithmetic (``ideal_forward``). Bad tables must end in the mailbox with the right cause;
bad networks must be refused by the emitter with an exception naming the field.
"""

import asyncio
import dataclasses
import subprocess

import numpy as np
import pytest

from hdl.spec.config import preset
from hdl.spec.host import BusCause, NiError
from hdl.spec.noc import MsgType
from hdl.spec.tile import TileField
from sim import regs
from sim.chip import ChipModel
from sim.driver import Driver, ModelBackend
from sw.compiler import compile_network, ideal_forward
from sw.firmware import (
    CONSTS_H,
    FirmwareTableError,
    FwError,
    FwStatus,
    Mailbox,
    TableFault,
    Weights,
    batch_images,
    build_or1k,
    build_table,
    c_table,
    consts_header,
    mailbox_layout,
    run_native,
)
from sw.job import DEFAULT_MODEL, prepare
from sw.network import random_network
from sw.runtime import RUN_COUNTERS, Runtime
from tb.configs import config as config_named

#: Test images of the digits network on ``default`` (programming included: about 3 s each
#: for the firmware and the runtime).
IMAGES = 6


@pytest.fixture(scope="module")
def digits():
    return prepare(DEFAULT_MODEL, preset("default"), IMAGES)


def _runtime(compiled, x_codes, backdoor=False):
    """The host-driven runtime on a fresh golden model: logits, clips, program reports,
    run counters of every used tile."""
    cfg = compiled.cfg
    backend = ModelBackend(cfg)
    drv = Driver(backend, cfg)

    async def program():
        await drv.open()
        rt = Runtime(drv, compiled)
        reports = [] if backdoor else await rt.program()
        if backdoor:
            await rt.load()
        await rt.configure()
        logits, clips = await rt.infer(x_codes)
        return logits, clips, reports, await rt.counters()

    return asyncio.run(program())


def _counters(model, compiled):
    """Every used tile's run counters, read through a driver on ``model`` after the run."""
    backend = ModelBackend(compiled.cfg)
    backend.model = model
    rt = Runtime(Driver(backend, compiled.cfg), compiled)
    return asyncio.run(rt.counters())


def _check_equal(run, compiled, x_codes, backdoor):
    logits, clips, reports, counters = _runtime(compiled, x_codes, backdoor)
    assert run.status == FwStatus.DONE, (run.error, run.detail)
    assert run.progress == len(x_codes)
    assert np.array_equal(run.logits, logits), f"firmware\n{run.logits}\nruntime\n{logits}"
    assert np.array_equal(run.classes, np.argmax(logits, axis=1))
    assert np.array_equal(run.clips, clips)
    if not backdoor:
        got = [(r["node"], r["pulses"], r["failures"], r["cycles"]) for r in run.reports]
        want = [(r.node, r.pulses, r.failures, r.cycles) for r in reports]
        assert got == want
    return counters


def test_consts_header_fresh():
    """``fw_consts.h`` is what ``sw/firmware.py`` generates (``--write-consts``)."""
    assert CONSTS_H.read_text() == consts_header(), "run python -m sw.firmware --write-consts"


def test_digits_programmed(digits, tmp_path):
    """Digits on ``default``: weights through the write-verify engine, then the images;
    every logit, class, clip count, programming report and run counter equal to the
    host-driven runtime's."""
    c = digits.compiled
    model = ChipModel(c.cfg)
    run = run_native(c, digits.x_codes, model, tmp_path)
    counters = _check_equal(run, c, digits.x_codes, backdoor=False)
    got = _counters(model, c)
    for node, cs in counters.items():
        for k in RUN_COUNTERS:
            assert got[node][k] == cs[k], (node, k)
    assert all(got[n]["mvms"] == len(digits.x_codes) for n in got)
    assert np.mean(run.classes == digits.y) >= 0.8
    print(f"firmware: {run.reads} reads, {run.writes} writes for programming and "
          f"{len(digits.x_codes)} images")


def test_digits_backdoor_equals_compiler(digits, tmp_path):
    """Back-door weights (LOAD_CELL of each level): the firmware's logits equal the
    compiler's arithmetic on the targets exactly, and the runtime's."""
    c = digits.compiled
    run = run_native(c, digits.x_codes, ChipModel(c.cfg), tmp_path, weights=Weights.BACKDOOR)
    _check_equal(run, c, digits.x_codes, backdoor=True)
    assert np.array_equal(run.logits, ideal_forward(c, digits.x_codes)[-1])


def test_batches(digits, tmp_path):
    """More images than the SRAM holds: batches, the weights put in once (back door) and
    found PRELOADED by the later batches; every logit equal to the compiler's."""
    c = digits.compiled
    x = np.tile(digits.x_codes, (7, 1))
    assert batch_images(c) < len(x) < 2 * batch_images(c)
    run = run_native(c, x, ChipModel(c.cfg), tmp_path, weights=Weights.BACKDOOR)
    assert run.status == FwStatus.DONE and run.progress == len(x)
    assert np.array_equal(run.logits, ideal_forward(c, x)[-1])


@pytest.mark.parametrize("sizes,what", [([24, 12, 4], "chains"), ([16, 16, 12], "relay"),
                                        ([16, 8, 4], "tile to tile")])
def test_chains_and_relay(sizes, what, tmp_path):
    """Row chains (partial sums tile to tile, a tile fed by two producers), a layer relayed
    through the host, and a direct tile-to-tile layer on ``chip-pipe`` (six 16 x 16 tiles)."""
    cfg = config_named("chip-pipe")
    rng = np.random.default_rng(sum(sizes))
    net = random_network(rng, sizes, bias_sigma=0.2)
    c = compile_network(net, cfg, rng.uniform(0, 1, (256, sizes[0])))
    if what == "chains":
        assert [len(ch) for ch in c.layers[0].tiles] == [2, 2]
    if what == "relay":
        assert c.layers[0].relay
    x = rng.integers(0, 1 << cfg.input_bits, (3, sizes[0]))
    run = run_native(c, x, ChipModel(cfg), tmp_path, weights=Weights.BACKDOOR)
    _check_equal(run, c, x, backdoor=True)
    assert np.array_equal(run.logits, ideal_forward(c, x)[-1])


# -- errors -----------------------------------------------------------------------------------


def _bad_run(digits, tmp_path, change, weights=Weights.BACKDOOR, images=1):
    """Run the firmware on a table changed by ``change(table)`` (not checked)."""
    c = digits.compiled
    table = build_table(c)
    change(table)
    run = run_native(c, digits.x_codes[:images], ChipModel(c.cfg), tmp_path, weights=weights,
                     table=table)
    assert run.status == FwStatus.ERROR
    return run


def test_table_tile_outside_mesh(digits, tmp_path):
    def change(t):
        t.tiles[1] = dataclasses.replace(t.tiles[1], node=9, x=1, y=4)

    run = _bad_run(digits, tmp_path, change)
    assert run.error == FwError.TABLE
    assert run.detail == (TableFault.NODE_BAD | 1 << 8, 9)


def test_wrong_chip(digits, tmp_path):
    def change(t):
        t.cfg_digest ^= 1

    run = _bad_run(digits, tmp_path, change)
    assert run.error == FwError.CHIP
    assert run.detail[0] == regs.CFG_DIGEST


def test_tile_error_answer(digits, tmp_path):
    """A descriptor value the tile refuses: its ERROR answer, in the mailbox."""
    def change(t):
        t.tiles[2].desc[TileField.OUT_BITS] = 99

    run = _bad_run(digits, tmp_path, change)
    assert run.error == FwError.TILE
    node = digits.compiled.tiles()[2].node
    assert run.detail[0] == node | MsgType.CSR_WRITE << 8 | NiError.BAD_VALUE << 16


def test_bus_error(tmp_path):
    """Packets longer than the chip takes (a table claiming 16-flit packets on
    ``chip-small``'s 8): the command queue ends the head with ERR (BAD_HEAD) and the
    firmware reports the error log's cause and address."""
    cfg = config_named("chip-small")
    rng = np.random.default_rng(5)
    c = compile_network(random_network(rng, [16, 8, 4], bias_sigma=0.2), cfg,
                        rng.uniform(0, 1, (256, 16)))
    table = build_table(c)
    table.max_packet_flits = 16
    x = rng.integers(0, 1 << cfg.input_bits, (1, 16))
    run = run_native(c, x, ChipModel(cfg), tmp_path, weights=Weights.PROGRAM, table=table)
    assert run.status == FwStatus.ERROR and run.error == FwError.BUS
    assert run.detail[0] & 0xF == BusCause.BAD_HEAD
    assert run.detail[1] == regs.CMD_DATA


def test_timeout(digits, tmp_path):
    """A tile that waits for one data word more than ever comes: the wait ends (TIMEOUT,
    naming the tile and START_MVM), no hang."""
    def change(t):
        t.tiles[2].expect += 1

    run = _bad_run(digits, tmp_path, change)
    assert run.error == FwError.TIMEOUT
    assert run.detail[0] == digits.compiled.tiles()[2].node | MsgType.START_MVM << 8


def test_mailbox_out_of_range(digits, tmp_path):
    c = digits.compiled
    layout = mailbox_layout(c, 1)
    model = ChipModel(c.cfg)
    from sw.firmware import NativeFirmware, read_mailbox

    fw = NativeFirmware(c_table(build_table(c)), tmp_path)
    model.write(regs.ASRAM_BASE + 4 * Mailbox.IMAGES, 1000)
    model.write(regs.ASRAM_BASE + 4 * Mailbox.INPUTS, layout.inputs)
    code, _ = fw.run(model)
    run = read_mailbox(lambda i: model.asram[i], c, layout)
    assert code == run.error == FwError.MAILBOX
    assert run.status == FwStatus.ERROR and run.detail == (Mailbox.INPUTS, layout.inputs)


def _mutate_node(c):
    c.layers[0].tiles[0][0].node = 7


def _mutate_desc(c):
    del c.layers[1].tiles[0][0].desc[TileField.OUT_MULT]


def _mutate_bias(c):
    c.layers[0].tiles[0][0].bias[3] = 1 << 40


def _mutate_targets(c):
    c.layers[0].tiles[1][0].plus[0, 0] = 9


@pytest.mark.parametrize("mutate,field", [
    (_mutate_node, "tiles[0].node = 7"),
    (_mutate_desc, "tiles[2].desc: fields OUT_MULT missing"),
    (_mutate_bias, "tiles[0].bias[3]"),
    (_mutate_targets, "tiles[1].targets = 9"),
])
def test_emitter_refuses(mutate, field):
    """A compiled network the firmware cannot run: FirmwareTableError naming the field."""
    c = prepare(DEFAULT_MODEL, preset("default"), 1).compiled
    mutate(c)
    with pytest.raises(FirmwareTableError) as e:
        build_table(c)
    assert field in str(e.value)


def test_or1k_build(digits, tmp_path):
    """The firmware builds for the core with or1k-elf-gcc -O2 (no warnings), uses only
    instructions the core implements (``hdl.spec.or1k.IMPLEMENTED``), no multiply or divide
    and no libgcc arithmetic, and refuses a program memory it does not fit. The program
    memory is the configuration's (``cfg.cpu.ram_bytes``, 32 KiB on ``default``), the size
    block ``soc`` is built with."""
    ram = digits.compiled.cfg.cpu.ram_bytes
    assert ram == 32 * 1024
    fw = build_or1k(c_table(build_table(digits.compiled)), tmp_path, ram_bytes=ram)
    assert f"LENGTH = 0x{ram:x}" in (tmp_path / "link.ld").read_text()
    dis = subprocess.run(["or1k-elf-objdump", "-d", str(fw.elf)], capture_output=True,
                         text=True, check=True).stdout
    for bad in ("l.mul", "l.div", "__mulsi3", "__divsi3", "__udivsi3"):
        assert bad not in dis, bad
    from hdl.spec.or1k import IMPLEMENTED

    used = {p[2].split()[0] for p in (line.split("\t") for line in dis.splitlines())
            if len(p) >= 3 and p[2].startswith("l.")}
    assert used and used <= set(IMPLEMENTED), used - set(IMPLEMENTED)
    assert "_exit" in fw.symbols and len(fw.image) <= ram
    # chip-small's 16 KiB (the tiny presets'): refused, naming the configuration field.
    with pytest.raises(ValueError, match=r"ChipConfig\.cpu\.ram_bytes = 16384"):
        build_or1k(c_table(build_table(digits.compiled)), tmp_path, ram_bytes=16 * 1024)
    print(f"or1k firmware: {fw.size}")
