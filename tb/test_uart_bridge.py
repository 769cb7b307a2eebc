"""The UART-to-Wishbone bridge on the whole chip (block ``uart_chip``), Icarus and Verilator.

The host side is the driver's serial backend (``sw/serial_backend.py``) over cocotbext-uart
(``tb/uart_transport.py``), at the simulation divisor (``hdl/spec/uart.py``: 8 cycles per
bit). The golden model (``sim/chip.py``) sees only the frames the bridge must execute:

* ``cocotb_layer_program``: ``tb/test_host.py``'s whole layer program through the bridge,
  equal value for value to its run on the golden model (bus counters included: the bridge
  adds no bus access, ``wait_irq`` polls STATUS).
* ``cocotb_link_errors``: corrupted bytes, bad CRCs, truncated and overlong frames, a bad
  command and a bad count, a low stop bit and a break in the middle of a frame, in random
  order: each answered with its status and the irq line, nothing reaches the bus (every
  later access, the SRAM and the host counters are compared with the model, which never
  saw them), and the next frame works.
* ``cocotb_bus_errors``: ERR from the chip (unmapped, read-only, misaligned, bursts that
  run off the SRAM) comes back as BUS_ERR with the words moved before it, and the driver
  reads the chip's cause (ERR_CAUSE, ERR_ADDR) as on the other backends; random bursts.

``test_bridge_on_python_slave`` runs the bridge alone in Amaranth's simulator against a
Python Wishbone slave (a bus timeout, which the chip never causes). Seeds come from
``COCOTB_RANDOM_SEED`` (logged).
"""

import random

import cocotb
import pytest
from cocotb.triggers import ReadOnly, RisingEdge

from hdl.spec.host import BusCause, Irq
from hdl.spec.regmap import HOST_COUNTERS
from hdl.spec.uart import (
    LINK_ERRORS,
    MAX_WORDS,
    SIM_BUS_TIMEOUT,
    SIM_DIVISOR,
    SIM_TIMEOUT_BITS,
    Op,
    Status,
    crc8,
    decode_reply,
    decode_reply_header,
    encode_reply,
    encode_request,
)
from sim import regs
from sim.driver import BusError, Driver, DriverError, ModelBackend
from sw.serial_backend import SerialBackend, UartLinkError
from tb.bus import ClockedTB
from tb.configs import config as config_named
from tb.harness import run_cocotb, simulators
from tb.test_host import _layer_program, run_sync

LOCKSTEP_COUNTERS = [n for n in HOST_COUNTERS if n != "CYCLES"]


class LockstepBackend:
    """Every access through the bridge and on the golden model; ACK/ERR, data and the irq
    line must agree."""

    def __init__(self, tb):
        self.tb, self.serial, self.model = tb, tb.serial, tb.model
        self.accesses = 0

    async def read(self, addr, sel=0xF):
        got = await self.serial.read(addr, sel)
        want = self.model.read(addr, sel)
        assert got == tuple(want), f"read 0x{addr:05x} sel {sel:04b} (access " \
            f"{self.accesses}): bridge {got}, model {want}"
        self.accesses += 1
        return got

    async def write(self, addr, value, sel=0xF):
        got = await self.serial.write(addr, value, sel)
        want = self.model.write(addr, value, sel)
        assert got == want, f"write 0x{addr:05x} (access {self.accesses}): bridge {got}, " \
            f"model {want}"
        self.accesses += 1
        return got

    async def wait_irq(self):
        await self.serial.wait_irq()
        assert self.model.irq, "the bridge saw the interrupt, the model has none"

    async def burst(self, op, addr, values=None, count=None, sel=0xF):
        """One READ or WRITE frame of several words; on the model word by word until the
        first ERR. Status, words moved, words read and irq must agree."""
        if op == Op.WRITE:
            reply = await self.serial.write_burst(addr, values, sel)
            count = len(values)
        else:
            reply = await self.serial.read_burst(addr, count, sel)
        status, done, read = Status.OK, count, []
        for i in range(count):
            a = addr + 4 * i
            if op == Op.WRITE:
                ok = self.model.write(a, values[i], sel)
            else:
                ok, v = self.model.read(a, sel)
                read += [v] if ok else []
            if not ok:
                status, done = Status.BUS_ERR, i
                break
        where = f"{op.name} of {count} at 0x{addr:05x} (access {self.accesses})"
        assert (reply.status, reply.count) == (status, done), \
            f"{where}: {reply.status.name} after {reply.count}, model {status.name} after {done}"
        assert list(reply.words) == read, f"{where}: {reply.words}, model {read}"
        assert reply.irq == self.model.irq, f"{where}: irq {reply.irq}, model {self.model.irq}"
        self.accesses += 1
        return reply


class UartTB(ClockedTB):
    def __init__(self, dut):
        from tb.uart_transport import CocotbUartTransport

        super().__init__(dut)
        # A reply can take the bus timeout (cycles) plus the longest frame and reply.
        self.link = CocotbUartTransport(dut, SIM_DIVISOR, self.PERIOD_NS,
                                        reply_timeout_bits=SIM_BUS_TIMEOUT // SIM_DIVISOR + 2000)
        self.serial = SerialBackend(self.link, self.cfg, irq_polls=2000)
        self.gold = ModelBackend(self.cfg)
        self.model = self.gold.model
        self.lock = LockstepBackend(self)
        self.drv = Driver(self.lock, self.cfg)

    async def reset(self):
        await super().reset()
        # the source's idle level has been on the line since construction
        for _ in range(4):
            await RisingEdge(self.dut.clk)

    async def irq_line(self):
        await ReadOnly()
        v = int(self.dut.irq.value)
        await RisingEdge(self.dut.clk)
        return v

    async def check_counters(self, why):
        """The host counters (CYCLES aside) and ERR_COUNT, through the bridge, equal to the
        model's, which saw only the executed frames."""
        for name in LOCKSTEP_COUNTERS + ["ERR_COUNT", "IRQ_STATUS"]:
            await self.lock.read(regs.REGISTERS[name][0])
        self.dut._log.info("%s: host counters and ERR_COUNT equal to the golden model", why)


# -- (a) the driver's program -------------------------------------------------------------------


@cocotb.test()
async def cocotb_layer_program(dut):
    """``tb/test_host.py``'s layer program through the bridge equals its golden-model run."""
    tb = UartTB(dut)
    await tb.reset()
    seed = tb.rng.getrandbits(32)
    drv = Driver(tb.serial, tb.cfg)
    got = await _layer_program(drv, rng_seed=seed, cfg=tb.cfg)
    want = run_sync(_layer_program(Driver(tb.gold, tb.cfg), rng_seed=seed, cfg=tb.cfg))
    assert got == want, f"through the bridge\n{got}\n!= golden model\n{want}"
    dut._log.info("layer program (seed %d): %d frames (%d STATUS polls), %d bytes to the "
                  "bridge, equal to the golden model", seed, tb.serial.frames,
                  tb.serial.polls, tb.link.sent)


# -- (b) damaged frames -----------------------------------------------------------------------


def _target(tb, rng):
    """A good frame that would change the chip if it were executed, and the words to check
    afterwards (base address, count): a WRITE burst to the SRAM, a WRITE to SCRATCH, or a
    READ that pops the response queue (empty: logs RESP_EMPTY in ERR_COUNT)."""
    kind = rng.randrange(3)
    if kind == 0:
        n = rng.randint(1, 4)
        addr = regs.ASRAM_BASE + 4 * rng.randrange(tb.cfg.host.asram_words - n + 1)
        words = [rng.getrandbits(32) for _ in range(n)]
        return encode_request(Op.WRITE, addr, 0xF, words), (addr, n)
    if kind == 1:
        return encode_request(Op.WRITE, regs.SCRATCH, 0xF, [rng.getrandbits(32)]), \
            (regs.SCRATCH, 1)
    return encode_request(Op.READ, regs.RESP_DATA, 0xF), (regs.ERR_COUNT, 1)


async def _damaged(tb, rng, case):
    """Send one damaged frame of kind ``case``; returns the status it must be answered with
    and the words it would have changed (base address, count)."""
    frame, region = _target(tb, rng)
    frame = bytearray(frame)
    link = tb.link
    if case == "corrupted byte":
        frame[rng.randrange(2, len(frame) - 1)] ^= 1 << rng.randrange(8)
        await link.send(frame)
        return Status.BAD_CRC, region
    if case == "bad CRC":
        frame[-1] ^= rng.randrange(1, 256)
        await link.send(frame)
        return Status.BAD_CRC, region
    if case == "truncated":
        await link.send(frame[:rng.randrange(1, len(frame))])
        return Status.TIMEOUT, region
    if case == "overlong":
        n = rng.randint(MAX_WORDS + 1, 24)
        await link.send(encode_request(Op.WRITE, regs.ASRAM_BASE, 0xF,
                                       [rng.getrandbits(32) for _ in range(n)], count=n))
        return Status.OVERLONG, (regs.ASRAM_BASE, MAX_WORDS)
    if case == "zero count":
        await link.send(encode_request(Op.WRITE, regs.SCRATCH, 0xF, [], count=0) +
                        (1234).to_bytes(4, "big"))
        return Status.BAD_LENGTH, (regs.SCRATCH, 1)
    if case == "bad command":
        frame[0] = rng.choice([b for b in range(256) if b not in set(Op)])
        frame[-1] = crc8(frame[:-1])
        await link.send(frame)
        return Status.BAD_CMD, region
    cut = rng.randrange(1, len(frame))
    await link.send(frame[:cut])
    if case == "break":
        await link.send_break(rng.randint(12, 40))
        await link.send(frame[cut:])
        return Status.BREAK, region
    assert case == "framing error", case
    # bit 7 set: a low stop bit after 0x00 would be 10 bit times low, a break
    await link.send_character(frame[cut] | 0x80, stop=0)
    await link.send(frame[cut + 1:])
    return Status.FRAMING, region


LINK_CASES = ["corrupted byte", "bad CRC", "truncated", "overlong", "zero count",
              "bad command", "break", "framing error"]


@cocotb.test()
async def cocotb_link_errors(dut):
    """Each damaged frame is answered with its status and the irq line, reaches nothing on
    the chip, and the next good frame works."""
    tb = UartTB(dut)
    await tb.reset()
    rng, drv, model = tb.rng, tb.drv, tb.model
    await drv.open()
    words = tb.cfg.host.asram_words
    for k in range(0, words, MAX_WORDS):
        await tb.lock.burst(Op.WRITE, regs.ASRAM_BASE + 4 * k,
                            [rng.getrandbits(32) for _ in range(MAX_WORDS)])
    await drv.write(regs.SCRATCH, 0x5CA7C4)
    await drv.write(regs.IRQ_ENABLE, 1 << Irq.BUS_ERROR)
    cases = list(LINK_CASES)
    rng.shuffle(cases)
    for i, case in enumerate(cases):
        tb.link.discard()
        want, (base, n) = await _damaged(tb, rng, case)
        reply = await tb.serial.receive_reply()
        where = f"{case} (#{i})"
        assert reply.status == want, f"{where}: reply {reply.status.name}, want {want.name}"
        assert reply.count == 0 and reply.words == (), f"{where}: {reply}"
        assert reply.irq == model.irq, f"{where}: reply irq {reply.irq}, model {model.irq}"
        # nothing executed: the words it aimed at, the bus counters and the error log are
        # the model's (which never saw it)
        await tb.lock.burst(Op.READ, base, count=n)
        for name in ("BUS_ACKS", "BUS_ERRS", "ERR_COUNT"):
            await tb.lock.read(regs.REGISTERS[name][0])
        # and the next good frame works
        await drv.write(regs.SCRATCH, rng.getrandbits(32))
        await drv.read(regs.SCRATCH)
        if rng.random() < 0.3:      # an ERR on the bus in between: irq set in the replies
            with pytest.raises(BusError):
                await drv.read(0xFFFFC)
        elif rng.random() < 0.5:
            await drv.write(regs.IRQ_STATUS, 1 << Irq.BUS_ERROR)
        dut._log.info("%-14s -> %s, nothing executed, next frame OK", case, want.name)
    # the backend turns a rejected frame into UartLinkError (the driver's DriverError)
    with pytest.raises(UartLinkError) as err:
        await tb.serial.transact(Op.WRITE, regs.SCRATCH, count=0)
    assert err.value.status == Status.BAD_LENGTH
    for k in range(0, words, MAX_WORDS):
        await tb.lock.burst(Op.READ, regs.ASRAM_BASE + 4 * k, count=MAX_WORDS)
    await tb.check_counters(f"after {len(cases)} damaged frames")


# -- (c) bus errors ---------------------------------------------------------------------------


@cocotb.test()
async def cocotb_bus_errors(dut):
    """ERR comes back as BUS_ERR (with the words moved before it) and the driver finds the
    chip's cause in ERR_CAUSE; random bursts equal to the model word by word."""
    tb = UartTB(dut)
    await tb.reset()
    rng, drv = tb.rng, tb.drv
    await drv.open()
    await drv.write(regs.IRQ_ENABLE, 1 << Irq.BUS_ERROR)
    for addr, sel, write, cause in [
        (0x000FC, 0xF, False, BusCause.UNMAPPED),
        (0xFFFFC, 0xF, True, BusCause.UNMAPPED),
        (regs.ID, 0xF, True, BusCause.READ_ONLY),
        (regs.SCRATCH, 0b0110, False, BusCause.MISALIGNED),
        (regs.RESP_DATA, 0xF, False, BusCause.RESP_EMPTY),
    ]:
        with pytest.raises(BusError) as err:
            await (drv.write(addr, 0x1234, sel) if write else drv.read(addr, sel))
        assert err.value.cause == cause, f"0x{addr:05x}: {err.value.cause.name}, want {cause}"
        assert await drv.read(regs.ERR_ADDR) == addr
        st = await tb.serial.status()
        assert st.irq and tb.model.irq and await tb.irq_line(), "BUS_ERROR interrupt"
        await drv.write(regs.IRQ_STATUS, 1 << Irq.BUS_ERROR)
        assert not (await tb.serial.status()).irq
        dut._log.info("ERR at 0x%05x -> BUS_ERR, driver raised %s", addr, cause.name)
    # bursts: inside the SRAM, and off its end (ERR at the first word past it)
    words = tb.cfg.host.asram_words
    for i in range(16):
        if i % 3 == 0:      # runs off the end of the SRAM
            n = rng.randint(2, MAX_WORDS)
            off = rng.randint(words - n + 1, words - 1)
        else:
            n = rng.randint(1, MAX_WORDS)
            off = rng.randrange(words)
        addr = regs.ASRAM_BASE + 4 * off
        if rng.random() < 0.5:
            reply = await tb.lock.burst(Op.WRITE, addr, [rng.getrandbits(32) for _ in range(n)])
        else:
            reply = await tb.lock.burst(Op.READ, addr, count=n)
        if reply.status == Status.BUS_ERR:
            done = reply.count
            c = await drv.read(regs.ERR_CAUSE)
            assert c & 0xF == BusCause.UNMAPPED
            assert await drv.read(regs.ERR_ADDR) == addr + 4 * done
            await drv.write(regs.IRQ_STATUS, 1 << Irq.BUS_ERROR)
    # a STATUS poll never touches the bus
    for _ in range(5):
        await tb.serial.status()
    with pytest.raises(DriverError):        # no interrupt comes: wait_irq gives up
        tb.serial.irq_polls = 3
        await tb.serial.wait_irq()
    await tb.check_counters("after the bus errors and bursts")


CASES = ["cocotb_layer_program", "cocotb_link_errors", "cocotb_bus_errors"]
# The layer program is ~400 000 cycles: a minute on Verilator, 3 on Icarus (make test-all).
SLOW = {("cocotb_layer_program", "icarus")}


@pytest.mark.sim
@pytest.mark.parametrize("testcase,sim", [
    pytest.param(t, s, id=f"{t}-{s}", marks=[pytest.mark.slow] if (t, s) in SLOW else [])
    for s in simulators() for t in CASES])
def test_uart_bridge(testcase, sim):
    run_cocotb("uart_chip", config_named("chip-small"), "tb.test_uart_bridge", testcase, sim)


# -- without an HDL simulator -------------------------------------------------------------------


def test_framing_round_trip():
    """CRC-8/SMBUS check value; requests and replies as the docs' table says."""
    assert crc8(b"123456789") == 0xF4
    f = encode_request(Op.WRITE, 0x40004, 0x3, [0x11223344])
    assert f[:9] == bytes([0xA5, 1, 0x34, 0x00, 0x04, 0x11, 0x22, 0x33, 0x44])
    assert crc8(f) == 0
    assert encode_request(Op.STATUS) == bytes([0x3C, crc8([0x3C])])
    r = encode_reply(Status.BUS_ERR, True, 1, [7])
    assert decode_reply_header(r[0], r[1]) == 5
    assert decode_reply(r).words == (7,) and decode_reply(r).irq
    bad = bytearray(r)
    bad[2] ^= 4
    with pytest.raises(ValueError):
        decode_reply(bad)
    assert Status.OK not in LINK_ERRORS and Status.BREAK in LINK_ERRORS
    with pytest.raises(ValueError):
        encode_request(Op.READ, 1 << 20)


class ModelPort:
    """A pyserial-like port with the bridge's framing executed on the golden model (the
    spec's frames, decoded in Python): checks the serial backend's pyserial path."""

    def __init__(self, model):
        self.model, self.out = model, bytearray()

    def write(self, data):
        data = bytes(data)
        assert crc8(data) == 0, "the backend sent a bad CRC"
        op = Op(data[0])
        status, done, words = Status.OK, 0, None
        if op != Op.STATUS:
            count, sel, addr = data[1], data[2] >> 4, int.from_bytes(data[2:5], "big") & 0xFFFFF
            words = [] if op == Op.READ else None
            for i in range(count):
                if op == Op.READ:
                    ok, v = self.model.read(addr + 4 * i, sel)
                    words += [v] if ok else []
                else:
                    ok = self.model.write(addr + 4 * i,
                                          int.from_bytes(data[5 + 4 * i:9 + 4 * i], "big"), sel)
                if not ok:
                    status = Status.BUS_ERR
                    break
                done += 1
        self.out += encode_reply(status, self.model.irq, done, words)

    def flush(self):
        pass

    def read(self, n):
        data, self.out = bytes(self.out[:n]), self.out[n:]
        return data

    def reset_input_buffer(self):
        self.out.clear()


def test_serial_backend_on_a_port():
    """The layer program through SerialBackend on a pyserial-like port equals the model's."""
    import asyncio

    cfg = config_named("chip-small")
    port = ModelPort(ModelBackend(cfg).model)
    backend = SerialBackend(port, cfg)
    got = asyncio.run(_layer_program(Driver(backend, cfg), rng_seed=3, cfg=cfg))
    want = run_sync(_layer_program(Driver(ModelBackend(cfg), cfg), rng_seed=3, cfg=cfg))
    assert got == want
    assert backend.polls > 0
    with pytest.raises(BusError) as err:
        asyncio.run(Driver(backend, cfg).read(0xFFFFC))
    assert err.value.cause == BusCause.UNMAPPED
    port.write = lambda data: None      # no reply: the read times out
    with pytest.raises(UartLinkError):
        asyncio.run(backend.read(regs.ID))


def test_bridge_on_python_slave():
    """The bridge alone in Amaranth's simulator with a Python slave: bursts, ERR in the
    middle of a burst, a bus timeout (CYC dropped), a bad CRC; replies byte-exact with
    :func:`hdl.spec.uart.encode_reply`."""
    from amaranth.sim import Simulator

    from hdl.uart_bridge import UartBridge

    d = 7
    dut = UartBridge(d, SIM_TIMEOUT_BITS, bus_timeout=40)
    mem = {}
    log = []
    rng = random.Random(7)

    async def slave(ctx):
        b = dut.bus
        taken = False
        async for _, _, cyc, stb, we, adr, dat, sel in ctx.tick().sample(
                b.wb_cyc, b.wb_stb, b.wb_we, b.wb_adr, b.wb_dat_w, b.wb_sel):
            ctx.set(b.wb_ack, 0)
            ctx.set(b.wb_err, 0)
            if not (cyc and stb):
                taken = False
            elif not taken and adr != 0x100:        # 0x100 never answers
                taken = True
                log.append((we, adr, sel))
                if adr >= 0x200:
                    ctx.set(b.wb_err, 1)
                else:
                    ctx.set(b.wb_ack, 1)
                    if we:
                        mem[adr] = dat
                    ctx.set(b.wb_dat_r, mem.get(adr, 0))
            else:
                taken = False
            ctx.set(b.irq, len(log) % 2)

    async def bench(ctx):
        async def send(data):
            for byte in data:
                for bit in [0] + [byte >> i & 1 for i in range(8)] + [1]:
                    ctx.set(dut.rx, bit)
                    await ctx.tick().repeat(d)

        async def receive(n):
            got = []
            for _ in range(100_000):
                if len(got) == n:
                    return bytes(got)
                await ctx.tick()
                if ctx.get(dut.tx) == 0:
                    await ctx.tick().repeat(d // 2 + d)
                    v = 0
                    for i in range(8):
                        v |= ctx.get(dut.tx) << i
                        await ctx.tick().repeat(d)
                    assert ctx.get(dut.tx) == 1, "stop bit"
                    got.append(v)
            raise AssertionError(f"reply timed out after {got}")

        async def exchange(frame):
            await send(frame)
            head = await receive(2)
            return head + await receive(decode_reply_header(head[0], head[1]))

        ctx.set(dut.rx, 1)
        await ctx.tick().repeat(10)
        values = [rng.getrandbits(32) for _ in range(MAX_WORDS)]
        r = await exchange(encode_request(Op.WRITE, 0x40, 0xF, values))
        assert r == encode_reply(Status.OK, len(log) % 2, MAX_WORDS)
        r = await exchange(encode_request(Op.READ, 0x40, 0x3, count=MAX_WORDS))
        assert r == encode_reply(Status.OK, len(log) % 2, MAX_WORDS, values)
        assert log[-1] == (0, 0x40 + 4 * 15, 0x3)
        r = await exchange(encode_request(Op.WRITE, 0x1F8, 0xF, [1, 2, 3]))
        assert r == encode_reply(Status.BUS_ERR, len(log) % 2, 2)
        r = await exchange(encode_request(Op.READ, 0x1F8, 0xF, count=4))
        assert r == encode_reply(Status.BUS_ERR, len(log) % 2, 2, [1, 2])
        r = await exchange(encode_request(Op.READ, 0xFC, 0xF, count=2))
        assert r == encode_reply(Status.BUS_TIMEOUT, len(log) % 2, 1, [mem[0xFC] if 0xFC in
                                                                       mem else 0])
        n = len(log)
        bad = bytearray(encode_request(Op.WRITE, 0x0, 0xF, [5]))
        bad[-1] ^= 0x10
        assert await exchange(bad) == encode_reply(Status.BAD_CRC, len(log) % 2, 0)
        assert len(log) == n and 0 not in mem
        r = await exchange(encode_request(Op.STATUS))
        assert r == encode_reply(Status.OK, len(log) % 2, 0)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_process(slave)
    sim.add_testbench(bench)
    sim.run()
