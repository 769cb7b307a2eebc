"""Unit tests of the NoC golden model (``sim/noc.py``) and format: numpy only, no simulator.

The model's cycle counts are checked against closed-form latencies derived from the
micro-architecture in ``docs/noc.md``; its deliveries against the independent scoreboard.
"""

import random
import subprocess
import sys

import numpy as np
import pytest

from hdl.spec.config import ConfigError, preset
from hdl.spec.noc import FlitKind, MsgType, make_flit, make_head, make_packet, parse_head
from sim.noc import NocModel, xy_route
from sim.noc_traffic import (
    bad_packet,
    hotspot_dest,
    make_schedule,
    scoreboard,
    sink_pattern,
    transpose_dest,
    uniform_dest,
)


def mesh(w, h, **noc):
    cfg = preset("tiny").replace(mesh_width=w, mesh_height=h)
    return cfg.replace(noc=noc) if noc else cfg


def hops(cfg, a, b):
    w = cfg.mesh_width
    return abs(a % w - b % w) + abs(a // w - b // w)


def test_model_imports_no_hdl_toolchain():
    code = "import sys, sim.noc, sim.noc_traffic; " \
           "sys.exit(any(m.split('.')[0] in ('amaranth', 'cocotb') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_head_round_trip():
    cfg = mesh(3, 3)
    fields = dict(dest_x=2, dest_y=1, src_x=0, src_y=2, mtype=MsgType.PARTIAL_SUMS,
                  length=17, aux=0x1F5)
    assert parse_head(cfg, make_head(cfg, **fields)) == fields
    with pytest.raises(ValueError, match="dest_x"):
        make_head(cfg, **{**fields, "dest_x": 8})
    pkt = make_packet(cfg, 0, 8, MsgType.ACTIVATIONS, [1, 2, 3])
    assert [w & 3 for w in pkt] == [FlitKind.HEAD, FlitKind.BODY, FlitKind.BODY, FlitKind.TAIL]
    assert parse_head(cfg, pkt[0] >> 2)["length"] == 4
    assert make_packet(cfg, 0, 8, MsgType.DONE, [])[0] & 3 == FlitKind.SINGLE


def test_config_errors_name_the_field():
    cfg = preset("tiny")
    with pytest.raises(ConfigError, match="flit_payload_bits"):
        cfg.replace(noc=dict(flit_payload_bits=16))
    with pytest.raises(ConfigError, match="ni_buffer_flits"):
        cfg.replace(noc=dict(max_packet_flits=64, ni_buffer_flits=32))
    with pytest.raises(ConfigError, match="error_counter_bits"):
        cfg.replace(noc=dict(error_counter_bits=0))
    with pytest.raises(ConfigError, match="fifo_depth"):
        cfg.replace(noc=dict(fifo_depth=1))


def test_xy_route():
    assert xy_route(1, 1, 2, 0) == 2      # east first, although the target is also north
    assert xy_route(1, 1, 1, 0) == 1      # then north
    assert xy_route(1, 1, 1, 2) == 3
    assert xy_route(1, 1, 0, 2) == 4
    assert xy_route(1, 1, 1, 1) == 0


@pytest.mark.parametrize("length", [1, 2, 5])
def test_zero_load_latency_every_pair(length):
    """Alone in the network, a packet's tail leaves at ``2 * length + hops`` (store-and-
    forward at the injection NI, then one cycle per router, the local ones included)."""
    cfg = mesh(4, 3)
    n = 12
    for src in range(n):
        for dest in range(n):
            sources = [[] for _ in range(n)]
            sources[src] = [(0, w) for w in make_packet(cfg, src, dest, MsgType.DONE,
                                                         list(range(length - 1)))]
            m = NocModel(cfg, sources).run(60)
            assert m.accepted[src] == list(range(length))
            cycles = [t for t, node, _ in m.ejected]
            assert {node for _, node, _ in m.ejected} == {dest}
            h = hops(cfg, src, dest)
            assert cycles == [length + 1 + h + k for k in range(length)], (src, dest)
            (node, head, tail, words), = m.delivered_packets()
            assert (node, head, tail) == (dest, length + 1 + h, 2 * length + h)
            assert words == [w for _, w in sources[src]]


def test_one_stream_runs_at_one_flit_per_cycle():
    cfg = mesh(4, 1)
    sources = [[] for _ in range(4)]
    sources[0] = [(0, w) for _ in range(20)
                  for w in make_packet(cfg, 0, 3, MsgType.ACTIVATIONS, [7] * 7)]
    m = NocModel(cfg, sources).run(400)
    cycles = [t for t, _, _ in m.ejected]
    assert len(cycles) == 160
    assert cycles[-1] - cycles[8] == 160 - 9   # after the first packet: back to back


def test_round_robin_alternates_packets():
    """Two sources share the last link to node 2; packets alternate, one at a time."""
    cfg = mesh(3, 1)
    sources = [[(0, w) for k in range(6)
                for w in make_packet(cfg, s, 2, MsgType.ACTIVATIONS, [s, k, 0])]
               if s < 2 else [] for s in range(3)]
    m = NocModel(cfg, sources).run(200)
    heads = [(w >> 2 >> 6) & 7 for _, _, w in m.ejected if w & 1]
    assert len(heads) == 12
    assert all(heads[i] != heads[i + 1] for i in range(11)), heads
    scoreboard(cfg, [], [], complete=True)


def test_stalled_sink_holds_flits_then_delivers():
    cfg = mesh(2, 2, fifo_depth=2, max_packet_flits=8, ni_buffer_flits=8)
    rng = random.Random(5)
    sources, packets = make_schedule(cfg, rng, hotspot_dest, 20, rate=1.0)
    stalled = np.ones((1000, 4), dtype=bool)
    stalled[:600, 0] = False                          # node 0 refuses everything for a while
    m = NocModel(cfg, sources, stalled).run(600)
    assert all(node != 0 for _, node, _ in m.ejected)
    assert m.in_flight() > 0
    m.run_until_idle(20_000)
    scoreboard(cfg, packets, m.ejected)


@pytest.mark.parametrize("dest_fn", [uniform_dest, transpose_dest, hotspot_dest])
@pytest.mark.parametrize("shape", [(1, 2), (4, 4), (5, 3), (8, 8)])
def test_every_packet_once_in_order(dest_fn, shape):
    cfg = mesh(*shape)
    rng = random.Random(hash((dest_fn.__name__, shape)) & 0xFFFF)
    sources, packets = make_schedule(cfg, rng, dest_fn, 25, rate=0.6, gap_fraction=0.1)
    m = NocModel(cfg, sources, sink_pattern(cfg, rng, 0.7))
    m.run_until_idle(100_000)
    assert scoreboard(cfg, packets, m.ejected) == len(packets)
    assert m.errors == [0] * len(sources)


def test_bad_packets_are_dropped_whole_and_counted():
    cfg = mesh(3, 2, max_packet_flits=8, ni_buffer_flits=12)
    rng = random.Random(11)
    sources, packets = make_schedule(cfg, rng, uniform_dest, 60, rate=0.5, bad_fraction=0.3)
    m = NocModel(cfg, sources, sink_pattern(cfg, rng, 0.8))
    m.run_until_idle(100_000)
    bad = [sum(1 for p in packets if not p.good and p.src == n) for n in range(6)]
    assert sum(bad) > 20
    assert m.errors == bad
    assert scoreboard(cfg, packets, m.ejected) == len(packets) - sum(bad)


@pytest.mark.parametrize("kind", range(40))
def test_each_bad_packet_alone(kind):
    cfg = mesh(3, 3, max_packet_flits=8, ni_buffer_flits=8)
    rng = random.Random(kind)
    bad = bad_packet(cfg, rng, 4)
    good = make_packet(cfg, 4, 0, MsgType.DONE, [1, 2])
    sources = [[] for _ in range(9)]
    sources[4] = [(0, w) for w in bad.flits + tuple(good)]
    m = NocModel(cfg, sources).run(100)
    assert m.errors[4] == 1
    assert [w for _, _, w in m.ejected] == good


def test_8x8_saturation_progress():
    """An 8 x 8 mesh under saturation keeps every node delivering to the end and loses no
    packet (its speed is a benchmark, not a test: ``make bench``, ``scripts/bench_noc.py``,
    20 000 saturated cycles)."""
    cfg = mesh(8, 8)
    rng = random.Random(3)
    sources, packets = make_schedule(cfg, rng, uniform_dest, 1000, rate=1.0, max_flits=4)
    m = NocModel(cfg, sources)
    m.run(3000)
    assert all(len(m.accepted[n]) < len(sources[n]) for n in range(64))
    late = {node for t, node, _ in m.ejected if t >= 2500}
    assert late == set(range(64))
    scoreboard(cfg, packets, m.ejected, complete=False)


def test_saturation_throughput_near_bound():
    """Uniform random saturation (1..4-flit packets) stays near 0.6 of the 4/k bisection
    bound on 4 x 4 (input-queued routers are limited by head-of-line blocking, ~0.59 of
    the injection rate for an ideal input-queued switch; docs/noc.md)."""
    cfg = mesh(4, 4)
    rng = random.Random(4)
    sources, _ = make_schedule(cfg, rng, uniform_dest, 2000, rate=1.0, max_flits=4)
    m = NocModel(cfg, sources).run(4000)
    rate = sum(1 for t, _, _ in m.ejected if t >= 1000) / 16 / 3000
    assert rate >= 0.58 * 1.0, rate


def test_sink_pattern_shape_checked():
    cfg = mesh(2, 2)
    with pytest.raises(ValueError, match="sink_ready"):
        NocModel(cfg, [[]] * 4, np.ones((5, 3), dtype=bool))
    assert make_flit(FlitKind.TAIL, 5) == 5 << 2 | 2
