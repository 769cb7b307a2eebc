# amaranth: UnusedElaboratable=no
"""The FPGA prototype: board-top arithmetic (quick) and the whole flow on a small chip.

The board top with the CPU (``Ulx3sTop(cpu=True)``, ``scripts/fpga.py --cpu`` and
``--cpu-only``) is checked here without the flow: it elaborates, the SoC answers on the
serial pins, baked firmware runs from reset, the CLI refuses what makes no sense.

The flow test (synthesis, place-and-route on the ULX3S's LFE5U-85F, bitstream) is marked
``fpga`` and ``slow``: ``make test-fpga`` and ``make test-all`` run it, ``make test`` does
not. ``make synth CONFIG=fpga`` runs the same flow on the full prototype
(``scripts/fpga.py``, ``docs/fpga.md``).
"""

import json

import pytest

from hdl.board import BOARD_CLOCK_MHZ, Ulx3sTop, baud_divisor, pll_params
from hdl.spec.config import preset
from scripts.fpga import (
    ROOT,
    TOPS,
    board_top,
    declared_memories,
    main,
    memory_mapping,
    output_dir,
    run_flow,
    source_digest,
)
from scripts.path_classes import path_classes


@pytest.mark.parametrize("f_out", [40, 50, 60, 75, 100, 125])
def test_pll_dividers_make_the_frequency(f_out):
    p = pll_params(BOARD_CLOCK_MHZ, f_out)
    pfd = BOARD_CLOCK_MHZ / p["CLKI_DIV"]
    assert pfd * p["CLKFB_DIV"] == f_out
    assert 400 <= f_out * p["CLKOP_DIV"] <= 800
    assert 3.125 <= pfd <= 400


def test_bad_board_settings_are_refused():
    with pytest.raises(ValueError, match="f_mhz"):
        pll_params(25, 33.3)
    with pytest.raises(ValueError, match="baud"):
        baud_divisor(25, 12_500_000)            # 2 cycles per bit
    with pytest.raises(ValueError, match="baud"):
        baud_divisor(25, 1_000_000 * 25 / 10.5)   # 4.8 % off
    assert baud_divisor(25, 115_200) == 217
    with pytest.raises(ValueError, match="f_mhz"):
        Ulx3sTop(preset("tiny"), {}, f_mhz=50, pll=False)
    with pytest.raises(ValueError, match="chip=False needs cpu=True"):
        Ulx3sTop(preset("tiny"), {}, chip=False)
    with pytest.raises(ValueError, match="firmware"):
        Ulx3sTop(preset("tiny"), {}, firmware=bytes(4))
    with pytest.raises(ValueError, match="image"):           # as Or1kSoc refuses it
        Ulx3sTop(None, None, cpu=True, chip=False, ram_bytes=1024, firmware=bytes(2048))


def test_memory_mapping_is_read_from_the_yosys_log():
    log = ("mapping memory board.a.mem via $__TRELLIS_DPR16X4_\n"
           "using FF mapping for memory board.b.small\n"
           "mapping memory board.c.big via $__DP16KD_\n")
    assert memory_mapping(log) == {"board.a.mem": "TRELLIS_DPR16X4", "board.b.small": "FF",
                                   "board.c.big": "DP16KD"}


def test_board_top_answers_on_its_serial_pins():
    """The board top without its PLL, in Amaranth's simulator (a one-tile `tiny` chip, a
    16-cycle bit): held in reset while FIRE1 is pressed; then a READ of the chip's ID on the
    FTDI pins comes back OK with the ID, the receive and transmit LEDs light, the PLL-lock
    LED is on and the heartbeat counts."""
    from hdl.spec.host import HOST_ID
    from hdl.spec.uart import Op, Status, decode_reply, encode_request

    cfg = preset("tiny").replace(name="tiny-1tile", mesh_width=2, mesh_height=1)
    d = 16
    top = Ulx3sTop(cfg, _images(cfg), baud=BOARD_CLOCK_MHZ * 1_000_000 // d, pll=False)
    assert top.divisor == d
    seen = {}

    async def bench(ctx):
        ctx.set(top.ftdi_txd, 1)
        ctx.set(top.reset_btn, 1)
        await ctx.delay(20e-6 / BOARD_CLOCK_MHZ)        # 20 cycles (in reset: no ticks)
        # In reset the LEDs' counters do not run.
        assert ctx.get(top.led) & 0b1100 == 0
        ctx.set(top.reset_btn, 0)
        await ctx.delay(20e-6 / BOARD_CLOCK_MHZ)        # the reset synchronizer lets go
        await _send(ctx, top, encode_request(Op.READ, addr=0, count=1), d)
        seen["rx_led"] = ctx.get(top.led) >> 2 & 1
        seen["reply"] = await _receive(ctx, top, d)
        seen["led"] = ctx.get(top.led)

    _simulate(top, bench)
    reply = decode_reply(seen["reply"])
    assert reply.status == Status.OK and list(reply.words) == [HOST_ID], reply
    assert seen["rx_led"] == 1
    assert seen["led"] >> 3 & 1, "transmit LED"
    assert seen["led"] >> 4 & 1, "PLL-lock LED (no PLL: always locked)"
    assert seen["led"] >> 5 == 0


async def _send(ctx, top, data, d):
    """Bytes on the board's receive pin (8N1, ``d`` cycles per bit)."""
    for byte in data:
        for bit in [0] + [byte >> i & 1 for i in range(8)] + [1]:
            ctx.set(top.ftdi_txd, bit)
            await ctx.tick("sync").repeat(d)


async def _receive(ctx, top, d):
    """One reply from the board's transmit pin: the header, then as many bytes as it says."""
    from hdl.spec.uart import decode_reply_header

    got = []
    for _ in range(20_000):
        if len(got) >= 2 and len(got) == 2 + decode_reply_header(got[0], got[1]):
            break
        await ctx.tick("sync")
        if ctx.get(top.ftdi_rxd) == 0:
            await ctx.tick("sync").repeat(d // 2 + d)
            v = 0
            for i in range(8):
                v |= ctx.get(top.ftdi_rxd) << i
                await ctx.tick("sync").repeat(d)
            got.append(v)
    return bytes(got)


def _simulate(top, bench):
    """``bench`` on the board top without its PLL, the 25 MHz oscillator on its clock pin."""
    from amaranth.sim import Simulator

    async def oscillator(ctx):             # the board's 25 MHz clock pin
        while True:
            for level in (1, 0):
                ctx.set(top.clk_25mhz, level)
                await ctx.delay(0.5e-6 / BOARD_CLOCK_MHZ)

    sim = Simulator(top)
    sim.add_process(oscillator)
    sim.add_testbench(bench)
    sim.run()


def test_board_top_with_the_cpu_elaborates():
    """``cpu=True``: the SoC sits between the bridge and the chip (its program memory and
    register file are declared next to the chip's memories); ``chip=False`` leaves the chip
    out; without ``cpu`` the board top is the chip's as before."""
    from amaranth.hdl import Fragment

    from hdl.spec.or1k import RAM_BYTES

    cfg = preset("tiny").replace(name="tiny-1tile", mesh_width=2, mesh_height=1)
    soc = "board.uart_chip.chip."
    mems = declared_memories(board_top(cfg, "soc", f_mhz=50), "board")
    assert mems[soc + "ram"] == RAM_BYTES * 8
    assert soc + "core.rf" in mems
    assert any(n.startswith(soc + "chip.host.") for n in mems), sorted(mems)
    alone = declared_memories(board_top(cfg, "cpu_soc", f_mhz=50), "board")
    assert set(alone) == {soc + "ram", soc + "core.rf", "board.uart_chip.bridge.buffer"}
    plain = declared_memories(board_top(cfg, "chip"), "board")
    assert not any("core" in n or n.endswith(".ram") for n in plain)
    assert any(n.startswith("board.uart_chip.chip.host.") for n in plain)
    top = Ulx3sTop(None, None, cpu=True, chip=False, ram_bytes=4096, firmware=bytes(64))
    assert top.soc.ram_bytes == 4096
    Fragment.get(top, None)


def test_board_top_with_the_cpu_answers_on_its_serial_pins():
    """``cpu=True, chip=False`` in Amaranth's simulator: the bridge reaches the SoC's
    external port. EXT_CPU_CTRL reads 0 (the core held in reset at power-on, LED 5 off),
    writing RUN releases the core (LED 5 on, read back 1), a word written to the program
    memory window reads back, and the chip's range ends with BUS_ERR (no chip)."""
    from hdl.spec.or1k import EXT_CPU_CTRL, EXT_CPU_MEM
    from hdl.spec.uart import Op, Status, decode_reply, encode_request

    d = 16
    top = Ulx3sTop(None, None, cpu=True, chip=False, baud=BOARD_CLOCK_MHZ * 1_000_000 // d,
                   pll=False)
    steps = [("ctrl", Op.READ, EXT_CPU_CTRL, ()),
             ("mem_write", Op.WRITE, EXT_CPU_MEM + 0x40, (0x1234_5678,)),
             ("mem_read", Op.READ, EXT_CPU_MEM + 0x40, ()),
             ("run", Op.WRITE, EXT_CPU_CTRL, (1,)),
             ("ctrl_after", Op.READ, EXT_CPU_CTRL, ()),
             ("chip", Op.READ, 0, ())]
    seen = {}

    async def bench(ctx):
        ctx.set(top.ftdi_txd, 1)
        ctx.set(top.reset_btn, 1)
        await ctx.delay(20e-6 / BOARD_CLOCK_MHZ)
        ctx.set(top.reset_btn, 0)
        await ctx.delay(20e-6 / BOARD_CLOCK_MHZ)
        seen["led_start"] = ctx.get(top.led)
        for name, op, addr, words in steps:
            await _send(ctx, top, encode_request(op, addr=addr, words=words), d)
            seen[name] = decode_reply(await _receive(ctx, top, d))
            seen["led_" + name] = ctx.get(top.led)

    _simulate(top, bench)
    assert not seen["led_start"] >> 5 & 1, "the core runs before RUN is set"
    assert seen["ctrl"].status == Status.OK and list(seen["ctrl"].words) == [0]
    assert seen["mem_write"].status == Status.OK
    assert list(seen["mem_read"].words) == [0x1234_5678], seen["mem_read"]
    assert seen["run"].status == Status.OK
    assert seen["led_run"] >> 5 & 1, "LED 5: the core running"
    assert list(seen["ctrl_after"].words) == [1]
    assert seen["chip"].status == Status.BUS_ERR, seen["chip"]


def _word(op, d=0, a=0, b=0, imm=0):
    return op << 26 | d << 21 | a << 16 | b << 11 | imm


def test_board_top_runs_baked_firmware_from_reset():
    """``firmware`` baked in: the core runs from reset (LED 5 at once) and a byte it writes
    to its console lights LED 6. The program, at the reset vector: r3 = UART_BASE; r4 = 'A';
    l.sb 0(r3), r4; l.j 0 (itself) with l.nop in the delay slot."""
    from hdl.spec.or1k import RESET_PC, UART_BASE
    from hdl.spec.or1k import Op as I

    prog = [_word(I.MOVHI, d=3, imm=UART_BASE >> 16), _word(I.ORI, d=4, imm=ord("A")),
            _word(I.SB, a=3, b=4), _word(I.J), I.NOP << 26 | 1 << 24]
    image = bytearray(RESET_PC + 4 * len(prog))
    for i, w in enumerate(prog):
        image[RESET_PC + 4 * i:RESET_PC + 4 * i + 4] = w.to_bytes(4, "big")
    top = Ulx3sTop(None, None, cpu=True, chip=False, ram_bytes=1024, firmware=bytes(image),
                   pll=False)
    seen = {"tx": []}

    async def bench(ctx):
        ctx.set(top.ftdi_txd, 1)
        ctx.set(top.reset_btn, 0)
        for cycle in range(200):
            await ctx.tick("sync")
            if cycle == 5:          # the reset synchronizer has let go
                seen["led_start"] = ctx.get(top.led)
            if ctx.get(top.soc.uart_tx_valid):
                seen["tx"].append(ctx.get(top.soc.uart_tx_data))
        seen["led"] = ctx.get(top.led)

    _simulate(top, bench)
    assert seen["led_start"] >> 5 & 1, "LED 5: the core runs from reset"
    assert seen["tx"] == [ord("A")], seen["tx"]
    assert seen["led"] >> 6 & 1, "LED 6: console activity"


def test_fpga_cli_refuses_bad_combinations(capsys):
    """``--cpu`` and ``--cpu-only`` exclude each other, ``--firmware`` needs one of them,
    ``--bench`` is the chip's alone; each top has its own folder and report digest, and the
    chip's digest is the one it had before the CPU tops existed."""
    for argv, msg in ((["--cpu", "--cpu-only"], "not allowed with"),
                      (["--firmware", "x.bin"], "--firmware needs --cpu"),
                      (["--cpu", "--bench"], "--bench reports the chip")):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
        assert msg in capsys.readouterr().err
    with pytest.raises(ValueError, match="top"):
        run_flow(preset("tiny"), ROOT / "build" / "never", top="cpu")
    assert not (ROOT / "build" / "never").exists()
    cfg = preset("fpga")
    assert output_dir(cfg) == ROOT / "build" / "fpga" / "synth"
    assert output_dir(cfg, "soc") == ROOT / "build" / "fpga" / "synth-cpu"
    assert output_dir(cfg, "cpu_soc") == ROOT / "build" / "fpga" / "synth-cpu-only"
    assert set(TOPS) == {"chip", "soc", "cpu_soc"}
    digests = {source_digest(cfg, 50, 115_200, 1, t) for t in TOPS}
    digests.add(source_digest(cfg, 50, 115_200, 1, "soc", b"\0"))
    assert len(digests) == 4
    assert source_digest(cfg, 50, 115_200, 1) == source_digest(cfg, 50, 115_200, 1, "chip")


def _cell(kind, conns, outputs):
    return {"type": kind, "connections": conns,
            "port_directions": {p: "output" if p in outputs else "input" for p in conns}}


def test_path_classes_rank_register_groups():
    """Two tiles' copies of a 3-LUT path fold into one group (`tileN`) ranked above a
    1-LUT path; a carry chain costs little per cell; the start register is named."""
    cells = {}
    for t in (1, 2):        # tile<t>.a -> 3 LUTs -> tile<t>.b
        cells[f"chip.tile{t}.a_TRELLIS_FF_Q"] = _cell("TRELLIS_FF", {"DI": [1], "Q": [10 * t]},
                                                      {"Q"})
        for k in range(3):
            cells[f"l{t}{k}"] = _cell("LUT4", {"A": [10 * t + k], "Z": [10 * t + k + 1]}, {"Z"})
        cells[f"chip.tile{t}.b_TRELLIS_FF_Q"] = _cell("TRELLIS_FF", {"DI": [10 * t + 3],
                                                                     "Q": [2]}, {"Q"})
    cells["l_short"] = _cell("LUT4", {"A": [2], "Z": [50]}, {"Z"})
    cells["chip.c_TRELLIS_FF_Q"] = _cell("TRELLIS_FF", {"DI": [50], "Q": [3]}, {"Q"})
    # An 8-cell carry chain from chip.c into chip.d.
    prev = None
    for k in range(8):
        conns = {"A0": [3], "COUT": [60 + k], "S0": [70 + k]}
        if prev is not None:
            conns["CIN"] = [prev]
        cells[f"cc{k}"] = _cell("CCU2C", conns, {"COUT", "S0"})
        prev = 60 + k
    cells["chip.d_TRELLIS_FF_Q"] = _cell("TRELLIS_FF", {"DI": [77], "Q": [4]}, {"Q"})
    netlist = {"modules": {"board": {"cells": cells, "netnames": {}}}}
    classes = path_classes(netlist, "board", 10)
    by_end = {c["end"]: c for c in classes}
    assert [c["end"] for c in classes][0] == "chip.tileN.b", classes
    assert [c["end"] for c in classes].count("chip.tileN.b") == 1, "tiles folded"
    assert by_end["chip.tileN.b"]["start"] == "chip.tileN.a"
    assert by_end["chip.tileN.b"]["levels"] == 3          # LUTs
    long, short = by_end["chip.tileN.b"]["estimated_ns"], by_end["chip.c"]["estimated_ns"]
    assert long > short
    # Carry: one entry plus 7 cells along the chain, less than two LUT levels.
    assert by_end["chip.d"]["estimated_ns"] < short + 2 * 1.35


@pytest.mark.fpga
@pytest.mark.slow
def test_small_chip_places_and_routes():
    """A one-tile `tiny` chip on the board top through the whole flow: every memory in RAM,
    a positive Fmax, a critical path, a bitstream, and the report's cell counts equal to
    Yosys's own statistics."""
    cfg = preset("tiny").replace(name="tiny-1tile", mesh_width=2, mesh_height=1)
    out = ROOT / "build" / cfg.name / "synth"
    r = run_flow(cfg, out, f_mhz=50)
    assert json.loads((out / "report.json").read_text()) == r
    stat = json.loads((out / "board.stat.json").read_text())["design"]["num_cells_by_type"]
    assert r["cells"]["luts"]["used"] == stat["LUT4"] > 0
    assert r["cells"]["ffs"]["used"] == stat["TRELLIS_FF"] > 0
    assert r["fmax_mhz"] and r["fmax_mhz"] > 10, r["fmax"]
    assert r["critical_path"]["start"] and r["critical_path"]["end"]
    assert (out / "board.bit").stat().st_size > 100_000
    # Every declared memory was seen by the memory mapper (none vanished unexplained), and
    # none above 64 bits landed in flip-flops.
    mems = declared_memories(Ulx3sTop(cfg, _images(cfg), f_mhz=50), "board")
    assert {m["name"] for m in r["memories"]} == set(mems)
    assert not r["memory_bits"]["over_64_bits_in_flip_flops"], r["memories"]
    assert r["targets_met"]["memories_in_ram"]
    assert r["placed"]["DP16KD"]["used"] == r["cells"]["bram"]["used"]
    assert r["path_classes"] and r["path_classes"][0]["estimated_ns"] > 0


def _images(cfg):
    from sim.images import chip_images

    return chip_images(cfg)
