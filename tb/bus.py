"""Stream drivers for cocotb: pack and unpack Amaranth struct payloads, one command at a time."""

import os
import random

import cocotb
from amaranth.hdl import Shape
from cocotb.clock import Clock
from cocotb.simtime import get_sim_time
from cocotb.triggers import ReadOnly, RisingEdge, with_timeout

__all__ = ["pack", "unpack", "unpack_array", "StreamPort", "BlockTB"]


def _fields(layout):
    for name, fld in layout:
        shape = Shape.cast(fld.shape)
        yield name, fld.offset, shape.width, shape.signed


def pack(layout, **values):
    """Integer of a ``StructLayout`` payload; unnamed fields are 0, values must fit."""
    word = 0
    known = {name for name, *_ in _fields(layout)}
    unknown = set(values) - known
    if unknown:
        raise KeyError(f"no field {sorted(unknown)} in layout {sorted(known)}")
    for name, offset, width, _ in _fields(layout):
        v = int(values.get(name, 0))
        if not 0 <= v < (1 << width):
            raise ValueError(f"{name} = {v} does not fit in {width} bits")
        word |= v << offset
    return word


def unpack(layout, word):
    out = {}
    for name, offset, width, signed in _fields(layout):
        v = (word >> offset) & ((1 << width) - 1)
        if signed and v >> (width - 1):
            v -= 1 << width
        out[name] = v
    return out


def unpack_array(word, width, count, signed=True):
    vals = []
    for i in range(count):
        v = (word >> (i * width)) & ((1 << width) - 1)
        if signed and v >> (width - 1):
            v -= 1 << width
        vals.append(v)
    return vals


class StreamPort:
    """Command/response port pair of a block with one response per command.

    ``transact`` sends one payload and returns ``(response_word, cycles)`` where ``cycles``
    counts from the cycle the command was accepted to the cycle its response was first
    valid. It waits for the response on the valid signal's edge rather than clock by clock,
    so long operations cost no Python per cycle; the cycle count comes from simulation time.
    A response that never comes within ``timeout`` cycles fails the test (no hang).
    """

    def __init__(self, dut, clk, period_ns, cmd="cmd", resp="resp", timeout=10_000_000):
        self.clk = clk
        self.period = period_ns
        self.cmd_valid = getattr(dut, f"{cmd}__valid")
        self.cmd_ready = getattr(dut, f"{cmd}__ready")
        self.cmd_payload = getattr(dut, f"{cmd}__payload")
        self.resp_valid = getattr(dut, f"{resp}__valid")
        self.resp_ready = getattr(dut, f"{resp}__ready")
        self.resp_payload = getattr(dut, f"{resp}__payload")
        self.timeout = timeout
        self.cmd_valid.value = 0
        self.resp_ready.value = 1

    async def transact(self, word, resp_delay=0):
        self.cmd_payload.value = word
        self.cmd_valid.value = 1
        for _ in range(self.timeout):
            await ReadOnly()
            accepted = int(self.cmd_ready.value)
            await RisingEdge(self.clk)
            if accepted:
                break
        else:
            raise TimeoutError("command never accepted")
        t_accept = get_sim_time("ns")
        self.cmd_valid.value = 0
        self.resp_ready.value = 0 if resp_delay else 1
        await ReadOnly()
        if not int(self.resp_valid.value):
            await with_timeout(RisingEdge(self.resp_valid), self.timeout * self.period, "ns")
            await ReadOnly()
        cycles = round((get_sim_time("ns") - t_accept) / self.period) + 1
        raw = self.resp_payload.value
        if not raw.is_resolvable:
            raise AssertionError(f"response payload has X/Z bits: {raw}")
        value = int(raw)
        # Optional back-pressure: hold ready low, the response must stay put.
        for _ in range(resp_delay):
            await RisingEdge(self.clk)
            await ReadOnly()
            if not int(self.resp_valid.value) or int(self.resp_payload.value) != value:
                raise AssertionError("response changed or vanished under back-pressure")
        await RisingEdge(self.clk)
        self.resp_ready.value = 1
        if resp_delay:
            await RisingEdge(self.clk)
        return value, cycles


class ClockedTB:
    """Common start of every testbench: reads the configuration the harness passed, seeds
    ``self.rng`` from cocotb's per-test seed (derived from ``COCOTB_RANDOM_SEED``, printed at
    start-up) and logs it, and starts a 100 MHz clock on ``clk``."""

    PERIOD_NS = 10

    def __init__(self, dut):
        from tb.harness import config_from_env

        self.dut = dut
        self.cfg = config_from_env()
        self.rng = random.Random(cocotb.RANDOM_SEED)
        dut._log.info("config %s, test seed %d (COCOTB_RANDOM_SEED=%s)", self.cfg.name,
                      cocotb.RANDOM_SEED, os.environ.get("COCOTB_RANDOM_SEED", "see start-up"))
        cocotb.start_soon(Clock(dut.clk, self.PERIOD_NS, unit="ns").start())

    async def reset(self):
        self.dut.rst.value = 1
        for _ in range(2):
            await RisingEdge(self.dut.clk)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)


class BlockTB(ClockedTB):
    """Common testbench of a block with one command/response stream pair and a golden model:
    a :class:`ClockedTB` that drives ``cmd``/``resp`` through a :class:`StreamPort`."""

    def __init__(self, dut, cmd_layout, resp_layout):
        super().__init__(dut)
        self.cmd_layout = cmd_layout(self.cfg)
        self.resp_layout = resp_layout(self.cfg)
        self.port = StreamPort(dut, dut.clk, self.PERIOD_NS)
        self.count = 0
        self.last_cycles = None

    async def transact(self, fields, resp_delay=0):
        """Send one command (payload ``fields``); return the unpacked response and its
        latency in cycles."""
        word, cycles = await self.port.transact(pack(self.cmd_layout, **fields), resp_delay)
        return unpack(self.resp_layout, word), cycles

    def check(self, got, cycles, want, where):
        """Assert that a response's ``error`` and ``value`` and its latency equal the golden
        model's ``want`` (``.error``, ``.value``, ``.cycles``)."""
        where = f"command #{self.count} {where}"
        assert got["error"] == int(want.error), f"{where}: error {got['error']} != {want.error}"
        assert got["value"] == want.value, f"{where}: value {got['value']} != {want.value}"
        assert cycles == want.cycles, f"{where}: {cycles} cycles, golden model says {want.cycles}"
        self.count += 1
        self.last_cycles = cycles

    async def exchange(self, fields, want, where, resp_delay=0):
        """:meth:`transact` then :meth:`check` against ``want``; returns the response."""
        got, cycles = await self.transact(fields, resp_delay)
        self.check(got, cycles, want, where)
        return got
