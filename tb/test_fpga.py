"""The FPGA prototype: board-top arithmetic (quick) and the whole flow on a small chip.

The flow test (synthesis, place-and-route on the ULX3S's LFE5U-85F, bitstream) is marked
``fpga`` and ``slow``: ``make test-fpga`` and ``make test-all`` run it, ``make test`` does
not. ``make synth CONFIG=fpga`` runs the same flow on the full prototype
(``scripts/fpga.py``, ``docs/fpga.md``).
"""

import json

import pytest

from hdl.board import BOARD_CLOCK_MHZ, Ulx3sTop, baud_divisor, pll_params
from hdl.spec.config import preset
from scripts.fpga import ROOT, declared_memories, memory_mapping, run_flow
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
    from amaranth.sim import Simulator

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
        for byte in encode_request(Op.READ, addr=0, count=1):
            for bit in [0] + [byte >> i & 1 for i in range(8)] + [1]:
                ctx.set(top.ftdi_txd, bit)
                await ctx.tick("sync").repeat(d)
        seen["rx_led"] = ctx.get(top.led) >> 2 & 1
        got = []
        for _ in range(20_000):
            if len(got) == 7:
                break
            await ctx.tick("sync")
            if ctx.get(top.ftdi_rxd) == 0:
                await ctx.tick("sync").repeat(d // 2 + d)
                v = 0
                for i in range(8):
                    v |= ctx.get(top.ftdi_rxd) << i
                    await ctx.tick("sync").repeat(d)
                got.append(v)
        seen["reply"] = bytes(got)
        seen["led"] = ctx.get(top.led)

    async def oscillator(ctx):             # the board's 25 MHz clock pin
        while True:
            for level in (1, 0):
                ctx.set(top.clk_25mhz, level)
                await ctx.delay(0.5e-6 / BOARD_CLOCK_MHZ)

    sim = Simulator(top)
    sim.add_process(oscillator)
    sim.add_testbench(bench)
    sim.run()
    reply = decode_reply(seen["reply"])
    assert reply.status == Status.OK and list(reply.words) == [HOST_ID], reply
    assert seen["rx_led"] == 1
    assert seen["led"] >> 3 & 1, "transmit LED"
    assert seen["led"] >> 4 & 1, "PLL-lock LED (no PLL: always locked)"
    assert seen["led"] >> 5 == 0


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
