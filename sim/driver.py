"""Host driver: one Python API for the chip, on the golden model or on the RTL.

A program is an ``async`` function of a :class:`Driver`. The same program runs

* on the golden model: ``Driver(ModelBackend(cfg), cfg)`` and ``asyncio.run(program(drv))``;
* on the RTL under cocotb: ``Driver(tb.wb_backend.RtlBackend(dut, cfg), cfg)``, awaited in a
  cocotb test (the backend drives the Wishbone port with cocotbext-wishbone).

Both backends see exactly the same bus accesses (the driver never polls: it waits for the
interrupt), so every value the program reads, counters included, must be equal.
Register names and fields come from ``sim/regs.py``, generated from ``hdl/spec/regmap.py``.

Example::

    async def layer(drv):
        await drv.open()
        await drv.load_weights(1, codes)                 # back door, or program_weights()
        await drv.write_inputs(1, x)
        await drv.configure(1, out_shift=4, activation=1)
        clips = await drv.run(1)                         # outputs land in the SRAM
        return await drv.read_asram(0, 8)
"""

from dataclasses import dataclass

from hdl.spec.host import (
    HOST_ID,
    TILE_COUNTER_BASE,
    TILE_FIELD_BASE,
    VERSION,
    Buffer,
    BusCause,
    Irq,
    NiError,
    config_digest,
    pack_wv,
    unpack_info,
)
from hdl.spec.noc import MsgType, make_head, node_xy, parse_head
from hdl.spec.regmap import HOST_COUNTERS
from hdl.spec.tile import TileCounter, TileField
from hdl.spec.write_verify import WvOp, WvRunKind
from sim import regs
from sim.write_verify import WvCommand

__all__ = ["Driver", "ModelBackend", "DriverError", "BusError", "TileRequestError",
           "Packet", "run_on_model"]


class DriverError(Exception):
    """The driver could not do what was asked (wrong chip, no answer, ...)."""


class BusError(DriverError):
    """A bus access ended with ERR. ``cause`` is the chip's ``ERR_CAUSE.CAUSE``."""

    def __init__(self, op, addr, cause, info):
        self.op, self.addr, self.cause, self.info = op, addr, BusCause(cause), info
        super().__init__(f"{op} 0x{addr:05x} ended with ERR: {self.cause.name} (info {info})")


class TileRequestError(DriverError):
    """A tile answered a request with ERROR."""

    def __init__(self, node, mtype, error, value):
        self.node, self.mtype, self.error, self.value = node, mtype, NiError(error), value
        super().__init__(f"tile {node}: {MsgType(mtype).name} refused with "
                         f"{self.error.name} (value {value})")


@dataclass(frozen=True)
class Packet:
    src: int
    mtype: int
    aux: int
    body: tuple


class ModelBackend:
    """The golden model (``sim/chip.py``) behind the driver's bus interface."""

    def __init__(self, cfg):
        from sim.chip import ChipModel

        self.model = ChipModel(cfg)

    async def read(self, addr, sel=0xF):
        return self.model.read(addr, sel)

    async def write(self, addr, value, sel=0xF):
        return self.model.write(addr, value, sel)

    async def wait_irq(self):
        if not self.model.irq:
            raise DriverError("waiting for an interrupt that never comes: the RTL would hang")


class Driver:
    """The chip's host driver (see the module docstring).

    Parameters
    ----------
    backend : ModelBackend or tb.wb_backend.RtlBackend
    cfg : ChipConfig
        The configuration the chip was generated from (``open`` checks it).
    """

    def __init__(self, backend, cfg):
        self.backend, self.cfg = backend, cfg

    # -- bus --------------------------------------------------------------------------------

    async def read(self, addr, sel=0xF):
        ok, data = await self.backend.read(addr, sel)
        if not ok:
            await self._raise("read", addr)
        return int(data)

    async def write(self, addr, value, sel=0xF):
        if not await self.backend.write(addr, int(value) & 0xFFFF_FFFF, sel):
            await self._raise("write", addr)

    async def _raise(self, op, addr):
        ok, cause = await self.backend.read(regs.ERR_CAUSE)
        assert ok, "ERR_CAUSE is always readable"
        raise BusError(op, addr, cause & 0xF, cause >> 8 & 0xFF)

    async def read_reg(self, name):
        return await self.read(regs.REGISTERS[name][0])

    async def write_reg(self, name, value):
        await self.write(regs.REGISTERS[name][0], value)

    # -- setup ------------------------------------------------------------------------------

    async def open(self):
        """Check that the chip is the one ``cfg`` describes, enable the response interrupt,
        and return the identification registers."""
        info = {n: await self.read_reg(n) for n in ("ID", "VERSION", "CFG_DIGEST")}
        if info["ID"] != HOST_ID:
            raise DriverError(f"ID = 0x{info['ID']:08x}: not this chip (0x{HOST_ID:08x})")
        if info["VERSION"] >> 16 != VERSION[0]:
            raise DriverError(f"register map version {info['VERSION'] >> 16}.x; "
                              f"this driver speaks {VERSION[0]}.x")
        if info["CFG_DIGEST"] != config_digest(self.cfg):
            raise DriverError(
                f"CFG_DIGEST = 0x{info['CFG_DIGEST']:08x}: the chip was generated from "
                f"another configuration than {self.cfg.name!r} "
                f"(0x{config_digest(self.cfg):08x})")
        await self.write_reg("IRQ_ENABLE", 1 << Irq.RESP)
        return info

    # -- packets ----------------------------------------------------------------------------

    async def send(self, node, mtype, body=(), aux=0):
        """Queue one packet to ``node`` (sent once its last word is in the queue)."""
        dx, dy = node_xy(self.cfg, node)
        head = make_head(self.cfg, dest_x=dx, dest_y=dy, src_x=0, src_y=0, mtype=int(mtype),
                         length=1 + len(body), aux=aux)
        await self.write(regs.CMD_DATA, head)
        for w in body:
            await self.write(regs.CMD_DATA, int(w) & 0xFFFF_FFFF)

    async def receive(self):
        """Wait for the response interrupt (a level: a whole packet is in the response queue)
        and pop that packet."""
        await self.backend.wait_irq()
        head = parse_head(self.cfg, await self.read(regs.RESP_DATA))
        body = tuple([await self.read(regs.RESP_DATA) for _ in range(head["length"] - 1)])
        src = head["src_y"] * self.cfg.mesh_width + head["src_x"]
        return Packet(src, head["mtype"], head["aux"], body)

    async def request(self, node, mtype, body=(), aux=0, check=True):
        """Send a request and return the answer's value (raise on ERROR if ``check``)."""
        await self.send(node, mtype, body, aux)
        p = await self.receive()
        if p.src != node or len(p.body) != 2:
            raise DriverError(f"unexpected answer {p} to {MsgType(mtype).name} at {node}")
        value, error, _ = unpack_info(p.body[0], p.body[1])
        if p.mtype == MsgType.ERROR and check:
            raise TileRequestError(node, mtype, error, value)
        return value if check else (value, error)

    # -- tile registers (through the window) --------------------------------------------------

    def window_addr(self, node, reg):
        return regs.WINDOW_BASE + node * regs.WINDOW_NODE_STRIDE + 4 * reg

    async def tile_read(self, node, reg):
        return await self.read(self.window_addr(node, reg))

    async def tile_write(self, node, reg, value):
        await self.write(self.window_addr(node, reg), value)

    async def configure(self, node, **fields):
        """Write layer-descriptor fields by name: ``configure(1, out_shift=3, relu...)``."""
        for name, value in fields.items():
            await self.tile_write(node, TILE_FIELD_BASE + TileField[name.upper()], value)

    async def descriptor(self, node):
        return {f.name.lower(): await self.tile_read(node, TILE_FIELD_BASE + f) for f in TileField}

    async def counters(self, node):
        """The tile's counters (low 32 bits)."""
        return {c.name.lower(): await self.tile_read(node, TILE_COUNTER_BASE + c)
                for c in TileCounter}

    async def host_counters(self):
        return {n.lower(): await self.read_reg(n) for n in HOST_COUNTERS}

    # -- buffers and weights ----------------------------------------------------------------

    async def _buffer(self, node, buf, values, start):
        values = [int(v) for v in values]
        chunk = self.cfg.noc.max_packet_flits - 2
        for k in range(0, len(values), chunk):
            await self.request(node, MsgType.BUF_WRITE, [start + k] + values[k:k + chunk],
                               aux=buf)

    async def write_inputs(self, node, values, start=0):
        """Activation bit patterns of rows ``start ..``."""
        await self._buffer(node, Buffer.INPUT, values, start)

    async def write_bias(self, node, values, start=0):
        await self._buffer(node, Buffer.BIAS, values, start)

    async def write_psum(self, node, values, start=0):
        await self._buffer(node, Buffer.PSUM, values, start)

    async def load_weights(self, node, codes):
        """Conductance codes ``codes[row][col]`` by the back door (LOAD_CELL), row by row."""
        for r, row in enumerate(codes):
            await self._buffer(node, Buffer.CELLS, row, r << 8)

    async def wv(self, node, **fields):
        """One write-verify engine command (``sim.write_verify.WvCommand`` fields)."""
        cmd = WvCommand(**fields)
        return await self.request(node, MsgType.START_PROGRAM, pack_wv(self.cfg, cmd))

    async def write_targets(self, node, targets, row0=0, col0=0):
        """Write-verify targets ``targets[row][col]`` (register-set indices) of the cells from
        ``(row0, col0)``: BUF_WRITE to the TARGETS buffer (cell ``row * cols + col``), whole
        rows in one run of packets."""
        a = self.cfg.array
        rows = [[int(v) for v in row] for row in targets]
        if col0 == 0 and rows and len(rows[0]) == a.cols:
            await self._buffer(node, Buffer.TARGETS, [v for row in rows for v in row],
                               row0 * a.cols)
        else:
            for r, row in enumerate(rows):
                await self._buffer(node, Buffer.TARGETS, row, (row0 + r) * a.cols + col0)

    async def program_weights(self, node, targets, row0=0, col0=0):
        """Program ``targets[row][col]`` (register-set / level indices) with the engine's
        register sets; returns the RUN status value."""
        await self.write_targets(node, targets, row0, col0)
        return await self.wv(node, op=WvOp.RUN, kind=WvRunKind.PROGRAM, row0=row0, col0=col0,
                             nrows=len(targets), ncols=len(targets[0]))

    async def read_fail_list(self, node):
        """Cell indices of the cells the last PROGRAM run failed (up to the list depth)."""
        n = await self.wv(node, op=WvOp.READ_STAT, addr=1)
        depth = self.cfg.write_verify.fail_list_depth
        return [await self.wv(node, op=WvOp.READ_FAIL, addr=i) for i in range(min(n, depth))]

    # -- running ----------------------------------------------------------------------------

    async def run(self, node):
        """Run the tile's layer (START_MVM) and wait for it; returns the clipped conversions.
        The outputs have reached their destination when this returns (they travel ahead of
        the answer), e.g. the host's SRAM at the descriptor's OFFSET."""
        return await self.request(node, MsgType.START_MVM)

    async def read_asram(self, offset, n, signed=False):
        out = [await self.read(regs.ASRAM_BASE + 4 * (offset + i)) for i in range(n)]
        return [v - (1 << 32) if signed and v >> 31 else v for v in out]

    async def write_asram(self, offset, values):
        for i, v in enumerate(values):
            await self.write(regs.ASRAM_BASE + 4 * (offset + i), v)


def run_on_model(cfg, program):
    """Run ``program(driver)`` on the golden model; return (its result, the model)."""
    import asyncio

    backend = ModelBackend(cfg)
    result = asyncio.run(program(Driver(backend, cfg)))
    return result, backend.model
