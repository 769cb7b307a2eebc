"""The CPU's system on chip: the OpenRISC core, its program memory, a 16550-subset console,
and the chip's host port shared between the core and the external Wishbone port.

CPU address map (``hdl/spec/or1k.py``, ``docs/cpu.md``)::

    RAM_BASE  (0x0000_0000) program memory, ram_bytes (vectors at 0x100.., code, data, stack)
    CHIP_BASE (0x8000_0000) the chip's host map (hdl/spec/regmap.py), 1 MiB
    UART_BASE (0x9000_0000) THR / IER / LSR of a 16550 (PIC line PIC_UART)
    anything else           ERR: bus error exception

External port (the chip's 20-bit host map, extended in the space regmap.py leaves free)::

    0x00000 .. 0xBFFFF      the chip's host node, as without the CPU
    EXT_CPU_CTRL (0xC0000)  CPU control: bit 0 RUN (0 holds the core in reset)
    EXT_CPU_MEM  (0xE0000)  program memory window: EXT_CPU_MEM + a is CPU address a

The chip's host port has two masters, the external port and the core's data bus; a
register grants it to one master for one transfer, alternating when both ask.
"""

from amaranth.hdl import Module, Mux, ResetInserter, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import Out

from hdl.cpu.or1k import Or1kCore, retire_signature
from hdl.host import wishbone_signature
from hdl.spec.or1k import (
    CHIP_BASE,
    EXT_CPU_CTRL,
    EXT_CPU_MEM,
    EXT_CPU_MEM_BYTES,
    PIC_CHIP,
    PIC_UART,
    RAM_BYTES,
    UART_BASE,
    CpuCtrl,
)

__all__ = ["Or1kSoc", "NoChip", "image_words"]


def image_words(image, ram_bytes):
    """A program image (bytes, loaded at address 0) as big-endian 32-bit words, zero-padded
    to ``ram_bytes``."""
    if len(image) > ram_bytes:
        raise ValueError(f"image: {len(image)} bytes do not fit in ram_bytes = {ram_bytes}")
    data = bytes(image) + bytes(ram_bytes - len(image))
    return [int.from_bytes(data[i:i + 4], "big") for i in range(0, ram_bytes, 4)]


class NoChip(wiring.Component):
    """Stands in for the chip in a SoC without one: every access ends with ERR one cycle
    after it is taken (as an unmapped host address does), and there is no interrupt."""

    def __init__(self):
        super().__init__(wishbone_signature())

    def elaborate(self, platform):
        m = Module()
        busy = Signal()
        m.d.comb += [self.wb_stall.eq(busy), self.wb_err.eq(busy)]
        m.d.sync += busy.eq(self.wb_cyc & self.wb_stb & ~busy)
        return m


class Or1kSoc(wiring.Component):
    """OpenRISC core + program memory + console + the chip, behind one external port.

    Parameters
    ----------
    chip : Component or None
        The chip (:class:`hdl.chip.Chip`, or anything with its Wishbone slave ports); None
        for a SoC without it (its address range then ends with ERR).
    ram_bytes : int
        Size of the program memory: a power of two, 1 KiB .. EXT_CPU_MEM_BYTES.
    image : bytes or None
        Power-on contents of the program memory (from address 0), e.g. firmware baked in.
    run : bool
        Power-on value of EXT_CPU_CTRL.RUN: True starts the core at reset (a standalone chip
        with its firmware in ``image``), False waits for the external port to load a program
        and set RUN.

    Attributes
    ----------
    wb_* : the external Wishbone B4 slave port (classic or pipelined, as the host node)
    irq : Out(1)
        The chip's interrupt, also on the core's PIC line PIC_CHIP.
    uart_tx_valid, uart_tx_data : Out(1), Out(8)
        A byte written to the console's THR (for testbenches and a board's serial port).
    cpu_run : Out(1)
        EXT_CPU_CTRL.RUN: the core is out of reset (a board's LED).
    retire : retire_signature
        The core's retired-instruction trace.

    Raises
    ------
    ValueError
        ``ram_bytes`` not a power of two in range, ``image`` too big.
    """

    def __init__(self, chip=None, ram_bytes=RAM_BYTES, image=None, run=False):
        if (not isinstance(ram_bytes, int) or ram_bytes < 1024 or ram_bytes > EXT_CPU_MEM_BYTES
                or ram_bytes & (ram_bytes - 1)):
            raise ValueError(f"ram_bytes = {ram_bytes!r}: must be a power of two from 1024 to "
                             f"{EXT_CPU_MEM_BYTES}")
        self._chip = chip
        self._ram_bytes = ram_bytes
        self._init = image_words(image or b"", ram_bytes)
        self._run = bool(run)
        super().__init__({
            **wishbone_signature(),
            "uart_tx_valid": Out(1), "uart_tx_data": Out(8), "cpu_run": Out(1),
            "retire": Out(retire_signature()),
        })

    @property
    def ram_bytes(self):
        return self._ram_bytes

    def elaborate(self, platform):
        m = Module()
        words = self._ram_bytes // 4

        # -- submodules
        run = Signal(init=int(self._run))
        core = Or1kCore()
        # The core is held in reset while RUN is 0, so the external port can load a program
        # and release the core at its reset vector.
        m.submodules.core = ResetInserter(~run)(core)
        m.submodules.ram = ram = Memory(shape=32, depth=words, init=self._init)
        chip = self._chip if self._chip is not None else NoChip()
        m.submodules.chip = chip
        fetch = ram.read_port()                 # port A: instruction fetches
        data_rd = ram.read_port()               # port B: loads and the external window
        data_wr = ram.write_port(granularity=8)

        ibus, dbus = core.ibus, core.dbus
        wiring.connect(m, wiring.flipped(self.retire), core.retire)

        # -- instruction bus: the program memory only. Port A reads the bus address every
        # cycle, asked for or not, and the core puts its next pc there a cycle before it
        # fetches (Or1kCore's pc_next): a fetch of the word read in the previous cycle is
        # acknowledged at once, with no wait state; another (after reset, or a word written
        # in that cycle) waits one cycle for the read. ERR one cycle after an address
        # outside the memory.
        i_last = Signal(len(ibus.adr))      # the address port A read at the last edge
        i_fresh = Signal()                  # ... and no write could have changed that word
        i_err = Signal()
        i_hit = ibus.adr < words
        i_req = ibus.cyc & ibus.stb
        m.d.comb += [fetch.addr.eq(ibus.adr), ibus.dat_r.eq(fetch.data),
                     ibus.ack.eq(i_req & i_hit & i_fresh & (ibus.adr == i_last)),
                     ibus.err.eq(i_err)]
        m.d.sync += [i_last.eq(ibus.adr), i_fresh.eq(data_wr.en == 0),
                     i_err.eq(i_req & ~i_hit & ~i_err)]

        # -- data bus decode (word address)
        d_req = dbus.cyc & dbus.stb
        d_ram = dbus.adr < words
        d_chip = dbus.adr[18:30] == (CHIP_BASE >> 20)
        d_uart = dbus.adr[1:30] == (UART_BASE >> 3)

        # -- external port decode
        ext_req = self.wb_cyc & self.wb_stb
        ext_cpu_side = self.wb_adr >= EXT_CPU_CTRL
        ext_ctrl = self.wb_adr[2:] == (EXT_CPU_CTRL >> 2)
        ext_mem_off = (self.wb_adr - EXT_CPU_MEM)[0:20]
        ext_mem = (self.wb_adr >= EXT_CPU_MEM) & (ext_mem_off < self._ram_bytes)

        # -- chip host port: arbiter between the external port and the core's data bus
        # A grant lasts one transfer (until its ACK/ERR, or until the master drops CYC), and
        # when both ask, the master that did not have the last grant wins: a master that
        # keeps CYC high between its accesses cannot starve the other.
        owner_ext = Signal()
        owner_cpu = Signal()
        last_ext = Signal()     # the external port had the last grant
        ext_wants = ext_req & ~ext_cpu_side
        cpu_wants = d_req & d_chip
        with m.If(~owner_ext & ~owner_cpu):
            with m.If(ext_wants & (~cpu_wants | ~last_ext)):
                m.d.sync += [owner_ext.eq(1), last_ext.eq(1)]
            with m.Elif(cpu_wants):
                m.d.sync += [owner_cpu.eq(1), last_ext.eq(0)]
        with m.If(owner_ext & (~self.wb_cyc | chip.wb_ack | chip.wb_err)):
            m.d.sync += owner_ext.eq(0)
        with m.If(owner_cpu & (~(dbus.cyc & d_chip) | chip.wb_ack | chip.wb_err)):
            m.d.sync += owner_cpu.eq(0)
        with m.If(owner_ext):
            m.d.comb += [chip.wb_cyc.eq(self.wb_cyc), chip.wb_stb.eq(self.wb_stb & ~ext_cpu_side),
                         chip.wb_we.eq(self.wb_we), chip.wb_adr.eq(self.wb_adr),
                         chip.wb_sel.eq(self.wb_sel), chip.wb_dat_w.eq(self.wb_dat_w)]
        with m.Elif(owner_cpu):
            # The host port decodes whole words with lanes; adr[1:0] = 0 is always legal.
            m.d.comb += [chip.wb_cyc.eq(1), chip.wb_stb.eq(d_req & d_chip),
                         chip.wb_we.eq(dbus.we), chip.wb_adr.eq(dbus.adr[0:18] << 2),
                         chip.wb_sel.eq(dbus.sel), chip.wb_dat_w.eq(dbus.dat_w)]
        m.d.comb += self.irq.eq(chip.irq)

        # -- external accesses to the CPU side: control register and memory window, ACK or
        # ERR one cycle after they are taken (STALL in between, as the host node).
        x_pend = Signal()
        x_ack = Signal()
        x_err = Signal()
        x_ctrl_rd = Signal()
        x_take = Signal()
        m.d.comb += x_take.eq(ext_req & ext_cpu_side & ~x_pend & ~(owner_ext & chip.wb_stall))
        m.d.sync += [x_pend.eq(x_take), x_ack.eq(x_take & (ext_ctrl | ext_mem)),
                     x_err.eq(x_take & ~ext_ctrl & ~ext_mem), x_ctrl_rd.eq(x_take & ext_ctrl)]
        with m.If(x_take & ext_ctrl & self.wb_we & self.wb_sel[0]):
            m.d.sync += run.eq(self.wb_dat_w[CpuCtrl.RUN])
        m.d.comb += self.cpu_run.eq(run)
        m.d.comb += [
            self.wb_ack.eq(x_ack | (owner_ext & chip.wb_ack)),
            self.wb_err.eq(x_err | (owner_ext & chip.wb_err)),
            self.wb_dat_r.eq(Mux(x_ctrl_rd, run, Mux(x_ack, data_rd.data, chip.wb_dat_r))),
            self.wb_stall.eq(Mux(ext_cpu_side, x_pend | (owner_ext & chip.wb_stall),
                                 ~owner_ext | chip.wb_stall)),
        ]

        # -- program memory port B: the external window first, then the core's loads/stores
        d_err = Signal()
        d_ram_ack = Signal()
        u_ack = Signal()
        ext_mem_take = x_take & ext_mem
        # A classic master still holds STB in its ACK cycle: not a new access.
        d_free = d_req & ~d_ram_ack & ~u_ack & ~d_err
        d_ram_take = d_free & d_ram & ~ext_mem_take
        with m.If(ext_mem_take):
            m.d.comb += [data_rd.addr.eq(ext_mem_off[2:]), data_wr.addr.eq(ext_mem_off[2:]),
                         data_wr.data.eq(self.wb_dat_w)]
            with m.If(self.wb_we):
                m.d.comb += data_wr.en.eq(self.wb_sel)
        with m.Else():
            m.d.comb += [data_rd.addr.eq(dbus.adr), data_wr.addr.eq(dbus.adr),
                         data_wr.data.eq(dbus.dat_w)]
            with m.If(d_ram_take & dbus.we):
                m.d.comb += data_wr.en.eq(dbus.sel)
        m.d.sync += d_ram_ack.eq(d_ram_take)

        # -- console (16550 subset): THR, IER, LCR, LSR, SCR; byte registers at big-endian
        # lanes (offset k of a word is sel[3 - k]). THR is always empty, so the THR-empty
        # interrupt is IER[1] itself, as QEMU raises it the moment IER enables it.
        ier = Signal(4)
        lcr = Signal(8)
        scr = Signal(8)
        u_rdata = Signal(32)
        u_take = d_free & d_uart
        dlab = lcr[7]
        word1 = dbus.adr[0]
        m.d.sync += [u_ack.eq(u_take), self.uart_tx_valid.eq(0)]
        with m.If(u_take & dbus.we):
            with m.If(~word1):
                with m.If(dbus.sel[3] & ~dlab):
                    m.d.sync += [self.uart_tx_valid.eq(1), self.uart_tx_data.eq(dbus.dat_w[24:32])]
                with m.If(dbus.sel[2] & ~dlab):
                    m.d.sync += ier.eq(dbus.dat_w[16:20])
                with m.If(dbus.sel[0]):
                    m.d.sync += lcr.eq(dbus.dat_w[0:8])
            with m.Else():
                with m.If(dbus.sel[0]):
                    m.d.sync += scr.eq(dbus.dat_w[0:8])
        iir = Mux(ier[1], 0x02, 0x01)
        with m.If(u_take):
            m.d.sync += u_rdata.eq(Mux(word1, (0x60 << 16) | scr,
                                       (ier << 16) | (iir << 8) | lcr))
        uart_irq = ier[1]

        # -- data bus responses
        d_chip_ack = owner_cpu & chip.wb_ack
        d_chip_err = owner_cpu & chip.wb_err
        d_other = d_free & ~d_ram & ~d_chip & ~d_uart
        m.d.sync += d_err.eq(d_other)
        m.d.comb += [
            dbus.ack.eq(d_ram_ack | u_ack | d_chip_ack),
            dbus.err.eq(d_err | d_chip_err),
            dbus.dat_r.eq(Mux(d_ram_ack, data_rd.data, Mux(u_ack, u_rdata, chip.wb_dat_r))),
        ]

        # -- interrupts
        irq = Signal(32)
        m.d.comb += [irq[PIC_UART].eq(uart_irq), irq[PIC_CHIP].eq(chip.irq),
                     core.irq.eq(irq)]
        return m
