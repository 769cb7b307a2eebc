"""Board top for the FPGA prototype: the chip behind its UART bridge on a ULX3S (ECP5-85F).

The ULX3S (Radiona, https://github.com/emard/ulx3s) has a 25 MHz oscillator, an FTDI
FT231X USB serial port wired to the FPGA, seven buttons and eight LEDs. Pin constraints:
``hdl/ulx3s.lpf`` (from the board's v2.0 constraint file). The flow is
``scripts/synth.py --board`` (``make synth CONFIG=fpga``, ``docs/fpga.md``).

* **Clock.** The 25 MHz oscillator, multiplied by an ``EHXPLLL`` to ``f_mhz`` when that is
  not 25 (:func:`pll_params` picks the dividers). ``pll=False`` feeds the oscillator
  straight in (for simulation, which has no PLL model).
* **Reset.** FIRE1 (``reset_btn``, active high) or a PLL that has not locked; synchronized to
  the clock (asserted at once, released on an edge).
* **Serial.** ``ftdi_txd`` is the FTDI's transmit pin, so the FPGA's receive line, and
  ``ftdi_rxd`` the FPGA's transmit line (the board names them from the FTDI's side).
  The baud rate is ``f_mhz`` MHz / ``divisor`` (:func:`baud_divisor`); the framing is
  ``docs/uart.md``.
* **LEDs.** 0 heartbeat (about 1.5 Hz, the clock runs), 1 chip interrupt, 2 serial receive
  and 3 serial transmit activity (stretched to about 40 ms), 4 PLL locked; with the CPU,
  5 the core running (EXT_CPU_CTRL.RUN) and 6 a byte written to its console; the others off.
* **CPU** (``cpu=True``, ``docs/cpu.md``). The bridge drives the CPU's SoC
  (:class:`hdl.soc.Or1kSoc`) with the chip behind it, instead of the bare chip: the SoC's
  external port is the chip's host map plus EXT_CPU_CTRL and EXT_CPU_MEM, so the same
  driver reaches the chip, loads a program and releases the core. The core is held in
  reset at power-on unless ``firmware`` (an image from address 0) is baked in; then it runs
  from reset. ``chip=False`` leaves the chip out (block ``cpu_soc``: the core's own area and
  Fmax on the device, ``scripts/fpga.py --cpu-only``). The console's bytes only light LED 6.
"""

from amaranth.hdl import Cat, ClockDomain, ClockSignal, Const, Instance, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.cdc import ResetSynchronizer
from amaranth.lib.wiring import In, Out

from hdl.chip import Chip
from hdl.soc import Or1kSoc
from hdl.spec.or1k import RAM_BYTES
from hdl.spec.uart import MIN_DIVISOR
from hdl.uart_bridge import UartChip

__all__ = ["Ulx3sTop", "pll_params", "baud_divisor", "BOARD_CLOCK_MHZ", "DEFAULT_BAUD"]

#: The ULX3S oscillator.
BOARD_CLOCK_MHZ = 25
#: Serial speed of the board top; the FT231X runs up to 3 Mbaud.
DEFAULT_BAUD = 115_200
#: Inter-byte timeout of the board's bridge, in bit times (docs/uart.md): longer than the 1 ms
#: gap between the FT231X's 62-byte USB packets (115 bit times at 115 200 baud).
BOARD_TIMEOUT_BITS = 256

# ECP5 PLL limits as Project Trellis's `ecppll` tool uses them (libtrellis/tools/ecppll.cpp):
# VCO 400..800 MHz, phase detector input 3.125..400 MHz, output 3.125..400 MHz.
_VCO_MHZ = (400, 800)
_PFD_MHZ = (3.125, 400)


def pll_params(f_in_mhz, f_out_mhz):
    """Dividers of an ECP5 ``EHXPLLL`` with CLKOP feedback for ``f_out`` from ``f_in`` (MHz,
    integers): ``f_out = f_in / CLKI_DIV * CLKFB_DIV`` and ``VCO = f_out * CLKOP_DIV``.

    Returns a dict of the three dividers and CLKOP_CPHASE; raises ``ValueError`` if no exact
    setting exists.
    """
    for clki in range(1, 129):
        pfd = f_in_mhz / clki
        if not _PFD_MHZ[0] <= pfd <= _PFD_MHZ[1]:
            continue
        fb, rem = divmod(f_out_mhz * clki, f_in_mhz)
        if rem or not 1 <= fb <= 80:
            continue
        ops = [op for op in range(1, 129) if _VCO_MHZ[0] <= f_out_mhz * op <= _VCO_MHZ[1]]
        if ops:
            # the VCO nearest the middle of its range
            op = min(ops, key=lambda o: abs(f_out_mhz * o - sum(_VCO_MHZ) / 2))
            return {"CLKI_DIV": clki, "CLKFB_DIV": fb, "CLKOP_DIV": op,
                    "CLKOP_CPHASE": op // 2 - 1}
    raise ValueError(f"f_mhz: no ECP5 PLL setting makes {f_out_mhz} MHz from {f_in_mhz} MHz")


def baud_divisor(f_mhz, baud):
    """Clock cycles per bit for ``baud`` at ``f_mhz``; the rate error must stay under 2 %."""
    div = round(f_mhz * 1e6 / baud)
    if div < MIN_DIVISOR:
        raise ValueError(f"baud: {baud} needs {div} cycles per bit at {f_mhz} MHz, "
                         f"the bridge needs at least {MIN_DIVISOR}")
    err = abs(f_mhz * 1e6 / div - baud) / baud
    if err > 0.02:
        raise ValueError(f"baud: {baud} at {f_mhz} MHz is {err:.1%} off (divisor {div})")
    return div


class Ulx3sTop(wiring.Component):
    """The chip (or the CPU's SoC), its UART bridge, a PLL, reset and LEDs, on ULX3S pins.

    Parameters
    ----------
    cfg : ChipConfig
    images : dict of int to TileImage
        As for :class:`hdl.chip.Chip` (not used with ``chip=False``).
    f_mhz : int
        Chip clock (MHz): the PLL's output, or 25 without a PLL.
    baud : int
        Serial speed.
    pll : bool
        Instantiate the ECP5 PLL (False: the oscillator clocks the chip; ``f_mhz`` must be
        25).
    cpu : bool
        The bridge drives the CPU's SoC (``Or1kSoc``) instead of the bare chip.
    chip : bool
        The chip is there (False only with ``cpu``: the SoC alone, block ``cpu_soc``).
    firmware : bytes or None
        With ``cpu``: the program memory's power-on image; the core then runs from reset
        (None: held in reset until EXT_CPU_CTRL.RUN is set over the serial port).
    ram_bytes : int or None
        With ``cpu``: the program memory's size; None (the default) takes the
        configuration's, ``cfg.cpu.ram_bytes``, as blocks ``soc`` and ``cpu_soc`` do.

    Attributes (ports, named as in ``hdl/ulx3s.lpf``)
    ----------
    clk_25mhz : In(1)
    reset_btn : In(1)
        FIRE1, active high.
    ftdi_txd : In(1)
        Serial data from the host.
    ftdi_rxd : Out(1)
        Serial data to the host.
    led : Out(8)

    Raises
    ------
    ValueError
        ``f_mhz`` or ``baud`` not possible; ``chip=False`` or ``firmware`` without ``cpu``;
        ``ram_bytes`` or ``firmware`` as :class:`hdl.soc.Or1kSoc` refuses them.
    """

    def __init__(self, cfg, images, *, f_mhz=BOARD_CLOCK_MHZ, baud=DEFAULT_BAUD, pll=True,
                 cpu=False, chip=True, firmware=None, ram_bytes=None):
        if not pll and f_mhz != BOARD_CLOCK_MHZ:
            raise ValueError(f"f_mhz: {f_mhz} MHz needs the PLL (pll=True)")
        if not cpu and not chip:
            raise ValueError("chip=False needs cpu=True (the board top holds the chip, the "
                             "CPU's SoC, or both)")
        if not cpu and firmware is not None:
            raise ValueError("firmware: only with cpu=True")
        self.f_mhz, self.baud, self.pll = f_mhz, baud, pll
        self.cpu, self.chip = bool(cpu), bool(chip)
        self.pll_params = pll_params(BOARD_CLOCK_MHZ, f_mhz) if f_mhz != BOARD_CLOCK_MHZ \
            else None
        self.divisor = baud_divisor(f_mhz, baud)
        self.soc = None
        if cpu:
            if ram_bytes is None:      # the SoC alone may come without a configuration
                ram_bytes = RAM_BYTES if cfg is None else cfg.cpu.ram_bytes
            self.soc = Or1kSoc(Chip(cfg, images) if chip else None, ram_bytes=ram_bytes,
                               image=firmware, run=firmware is not None)
        self._uart_chip = UartChip(cfg, images, divisor=self.divisor,
                                   timeout_bits=BOARD_TIMEOUT_BITS, slave=self.soc)
        super().__init__({
            "clk_25mhz": In(1),
            "reset_btn": In(1),
            "ftdi_txd": In(1),
            "ftdi_rxd": Out(1, init=1),
            "led": Out(8),
        })

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = ClockDomain("sync")
        locked = Signal()
        if self.pll_params:
            p = self.pll_params
            clk = Signal()
            m.submodules.pll = Instance(
                "EHXPLLL",
                a_FREQUENCY_PIN_CLKI=str(BOARD_CLOCK_MHZ),
                a_FREQUENCY_PIN_CLKOP=str(self.f_mhz),
                a_ICP_CURRENT="12", a_LPF_RESISTOR="8",
                a_MFG_ENABLE_FILTEROPAMP="1", a_MFG_GMCREF_SEL="2",
                p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED",
                p_STDBY_ENABLE="DISABLED", p_DPHASE_SOURCE="DISABLED",
                p_OUTDIVIDER_MUXA="DIVA", p_OUTDIVIDER_MUXB="DIVB",
                p_OUTDIVIDER_MUXC="DIVC", p_OUTDIVIDER_MUXD="DIVD",
                p_CLKI_DIV=p["CLKI_DIV"], p_CLKOP_ENABLE="ENABLED",
                p_CLKOP_DIV=p["CLKOP_DIV"], p_CLKOP_CPHASE=p["CLKOP_CPHASE"],
                p_CLKOP_FPHASE=0, p_FEEDBK_PATH="CLKOP", p_CLKFB_DIV=p["CLKFB_DIV"],
                i_RST=0, i_STDBY=0, i_CLKI=self.clk_25mhz, o_CLKOP=clk, i_CLKFB=clk,
                i_PHASESEL0=0, i_PHASESEL1=0, i_PHASEDIR=0, i_PHASESTEP=0,
                i_PHASELOADREG=0, i_PLLWAKESYNC=0, i_ENCLKOP=0, o_LOCK=locked)
            m.d.comb += ClockSignal("sync").eq(clk)
        else:
            m.d.comb += [ClockSignal("sync").eq(self.clk_25mhz), locked.eq(1)]
        m.submodules.reset_sync = ResetSynchronizer(self.reset_btn | ~locked, domain="sync")

        m.submodules.uart_chip = uc = self._uart_chip
        m.d.comb += [uc.rx.eq(self.ftdi_txd), self.ftdi_rxd.eq(uc.tx)]

        # LEDs: a heartbeat from a free-running counter, activity stretched to 2**20 cycles.
        f = self.f_mhz * 1_000_000
        beat_bit = max(f // 2, 2).bit_length() - 1          # toggles about every 0.5 s
        beat = Signal(beat_bit + 1)
        m.d.sync += beat.eq(beat + 1)
        stretch = max(f // 25, 2).bit_length()                # about 40 ms

        def stretched(event):
            cnt = Signal(stretch)
            with m.If(event):
                m.d.sync += cnt.eq(~Const(0, stretch))
            with m.Elif(cnt != 0):
                m.d.sync += cnt.eq(cnt - 1)
            return cnt != 0

        leds = [beat[-1], uc.irq, stretched(~uc.rx), stretched(~uc.tx), locked]
        if self.soc is not None:
            leds += [self.soc.cpu_run, stretched(self.soc.uart_tx_valid)]
        m.d.comb += self.led.eq(Cat(*leds))
        return m
