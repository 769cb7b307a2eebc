"""One chip configuration, read by the gateware (``hdl/``) and the golden model (``sim/``).

This module imports nothing from Amaranth or cocotb, so the numpy golden model can use it
without pulling in the HDL toolchain. Every value is checked when the dataclass is built;
an impossible configuration raises :class:`ConfigError` naming the field, the bad value
and the allowed range.

Units (see ``docs/crossbar.md``):

* conductance code ``g``: 1 LSB = 1 uS;
* voltage code ``v``: 1 LSB = 20 mV (so 0.1 V = 5 LSB, 3 V = 150 LSB);
* current: ``I = g * v`` in units of 1 uS * 20 mV = 20 nA.
"""

import dataclasses
import json
from dataclasses import dataclass, field

from hdl.spec.or1k import EXT_CPU_MEM_BYTES, RAM_BYTES

__all__ = [
    "ConfigError",
    "DeviceModel",
    "ArrayGeometry",
    "NocConfig",
    "WriteVerifyConfig",
    "TileConfig",
    "HostConfig",
    "CpuConfig",
    "ChipConfig",
    "MeshConfig",
    "config_from_json",
    "PRESETS",
    "preset",
    "UA_PER_CURRENT_LSB",
    "V_PER_CODE",
]

#: Volts per voltage-code LSB.
V_PER_CODE = 0.020
#: Microamperes per current LSB (1 uS * 20 mV).
UA_PER_CURRENT_LSB = 0.020


class ConfigError(ValueError):
    """A configuration value is out of its allowed range. The message names the field."""


def _check_int(owner, name, value, lo, hi, extra=""):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{owner}.{name} = {value!r}: must be an integer")
    if not lo <= value <= hi:
        raise ConfigError(f"{owner}.{name} = {value}: must be in {lo}..{hi}{extra}")


@dataclass(frozen=True)
class DeviceModel:
    """Behavioral RRAM cell model parameters, all integer codes (see ``docs/crossbar.md``).

    Spreads use a bell-shaped integer variate ``b`` in -30..30 (a sum of four hash nibbles
    minus 30, sigma ~ 9.22); a parameter ``p`` with spread ``s`` is ``p + (b * s >> 4)``,
    so its sigma is about ``0.576 * s`` codes.

    Attributes
    ----------
    g_virgin : int
        Conductance of every cell at power-on (uS).
    g_hrs : int
        HRS floor that RESET pulses move toward (uS).
    vth_set, vth_set_spread : int
        SET threshold voltage mean (V codes) and device-to-device spread.
    vth_reset, vth_reset_spread : int
        RESET threshold voltage mean and spread.
    forming_offset : int
        Extra SET threshold of a virgin (never SET) cell, in V codes; 0 = formed at start.
    set_gain, reset_gain : int
        Conductance step per V code of overdrive per cycle of pulse width, in 1/16 uS.
    gain_spread : int
        Device-to-device spread of the gain, in the same 1/16 uS units.
    compliance_vg0, compliance_slope : int
        SET compliance limit ``g_lim = max(0, v_gate - compliance_vg0) * compliance_slope >> 2``
        uS: the gate voltage sets the transistor's current limit and so the level reached.
    c2c_noise : int
        Cycle-to-cycle spread added to every effective pulse step (uS, bell-scaled).
    compliance_noise : int
        Cycle-to-cycle spread of the SET compliance limit (uS, bell-scaled): the transistor's
        current limit and the filament's response vary from pulse to pulse.
    hrs_noise : int
        Cycle-to-cycle spread of the HRS floor a RESET pulse moves toward (uS, bell-scaled).
    read_noise : int
        Spread of the conductance seen by a verify read (0 = off; bell-scaled uS).
    mvm_read_noise : int
        Read noise of an MVM (0 = off): every bit-plane's differential pair current gets an
        offset of ``(b * mvm_read_noise >> 4)`` uS times ``v_read_mvm``, with ``b`` a fresh
        bell variate per (MVM, pair); its sigma is ``0.576 * mvm_read_noise`` uS of
        conductance, ``0.576 * mvm_read_noise * v_read_mvm * 20`` nA of current. Additive
        and independent of the inputs and weights: the lumped read noise of a column pair
        (see ``docs/crossbar.md``).
    stuck_rate_q14 : int
        Probability that a cell is stuck, in 1/16384 (0 = no stuck cells).
    stuck_hrs_g, stuck_lrs_g : int
        Conductance of a cell stuck at HRS / at LRS (uS).
    relax_drift : int
        Retention drift of the relax/anneal operation: each unit of strength pulls ``g`` down
        by ``g * relax_drift / 4096``.
    """

    g_virgin: int = 1
    g_hrs: int = 11
    vth_set: int = 55
    vth_set_spread: int = 10
    vth_reset: int = 45
    vth_reset_spread: int = 10
    forming_offset: int = 0
    set_gain: int = 16
    reset_gain: int = 16
    gain_spread: int = 4
    compliance_vg0: int = 40
    compliance_slope: int = 12
    c2c_noise: int = 4
    compliance_noise: int = 4
    hrs_noise: int = 3
    read_noise: int = 0
    mvm_read_noise: int = 0
    stuck_rate_q14: int = 0
    stuck_hrs_g: int = 1
    stuck_lrs_g: int = 200
    relax_drift: int = 8

    def check(self, g_max, v_max):
        o = "ChipConfig.device"
        _check_int(o, "g_virgin", self.g_virgin, 0, g_max)
        _check_int(o, "g_hrs", self.g_hrs, 0, g_max)
        _check_int(o, "vth_set", self.vth_set, 1, v_max)
        _check_int(o, "vth_set_spread", self.vth_set_spread, 0, 64)
        _check_int(o, "vth_reset", self.vth_reset, 1, v_max)
        _check_int(o, "vth_reset_spread", self.vth_reset_spread, 0, 64)
        _check_int(o, "forming_offset", self.forming_offset, 0, v_max)
        _check_int(o, "set_gain", self.set_gain, 0, 255)
        _check_int(o, "reset_gain", self.reset_gain, 0, 255)
        _check_int(o, "gain_spread", self.gain_spread, 0, 64)
        _check_int(o, "compliance_vg0", self.compliance_vg0, 0, v_max)
        _check_int(o, "compliance_slope", self.compliance_slope, 0, 255)
        _check_int(o, "c2c_noise", self.c2c_noise, 0, 64)
        _check_int(o, "compliance_noise", self.compliance_noise, 0, 64)
        _check_int(o, "hrs_noise", self.hrs_noise, 0, 64)
        _check_int(o, "read_noise", self.read_noise, 0, 64)
        _check_int(o, "mvm_read_noise", self.mvm_read_noise, 0, 255)
        _check_int(o, "stuck_rate_q14", self.stuck_rate_q14, 0, 1 << 14)
        _check_int(o, "stuck_hrs_g", self.stuck_hrs_g, 0, g_max)
        _check_int(o, "stuck_lrs_g", self.stuck_lrs_g, 0, g_max)
        _check_int(o, "relax_drift", self.relax_drift, 0, 4096)


@dataclass(frozen=True)
class ArrayGeometry:
    """Crossbar geometry and code widths.

    Attributes
    ----------
    rows, cols : int
        Cells per array. ``cols`` is even: columns ``2p`` and ``2p + 1`` form the
        differential pair ``p`` (G+ and G-).
    g_bits : int
        Conductance code width (1 LSB = 1 uS).
    v_bits : int
        Voltage DAC code width (1 LSB = 20 mV).
    event_bits : int
        Width of the per-cell event counter that keys the cycle-to-cycle noise.
    v_max : int
        Highest SET/RESET line or gate voltage code accepted (safe-operating limit).
    v_read_max : int
        Highest verify-read voltage code accepted (a read must not disturb the cell).
    v_read_mvm : int
        Row read voltage applied by an MVM for an input bit of 1.
    pulse_width_max : int
        Longest pulse, in cycles.
    read_rows : int
        Rows an MVM reads and sums per cycle, 1..``rows``. The analog array drives every
        row at once (``read_rows = rows``); an FPGA stand-in may read fewer per cycle to save
        area (1: one row per cycle). The MVM latency is ``ceil(rows / read_rows) + 3``
        cycles (``hdl.spec.crossbar.latency``). 1 by default, which any ``rows`` allows; the
        presets set it.
    """

    rows: int = 16
    cols: int = 16
    g_bits: int = 8
    v_bits: int = 8
    event_bits: int = 16
    v_max: int = 165
    v_read_max: int = 30
    v_read_mvm: int = 10
    pulse_width_max: int = 15
    read_rows: int = 1

    def check(self):
        o = "ChipConfig.array"
        _check_int(o, "rows", self.rows, 2, 256)
        _check_int(o, "cols", self.cols, 2, 256)
        if self.cols % 2:
            raise ConfigError(f"{o}.cols = {self.cols}: must be even (differential pairs)")
        _check_int(o, "g_bits", self.g_bits, 2, 12)
        _check_int(o, "v_bits", self.v_bits, 4, 10)
        _check_int(o, "event_bits", self.event_bits, 1, 32)
        vmax = (1 << self.v_bits) - 1
        _check_int(o, "v_max", self.v_max, 1, vmax, f" (v_bits = {self.v_bits})")
        _check_int(o, "v_read_max", self.v_read_max, 1, self.v_max, " (v_max)")
        _check_int(o, "v_read_mvm", self.v_read_mvm, 1, self.v_read_max, " (v_read_max)")
        _check_int(o, "pulse_width_max", self.pulse_width_max, 1, 255)
        _check_int(o, "read_rows", self.read_rows, 1, self.rows, " (rows)")

    @property
    def pairs(self):
        return self.cols // 2

    @property
    def g_max(self):
        return (1 << self.g_bits) - 1


@dataclass(frozen=True)
class NocConfig:
    """Network-on-chip parameters (DESIGN section 7; see ``docs/noc.md``).

    Attributes
    ----------
    flit_payload_bits : int
        Payload bits per flit (the flit type rides beside them).
    fifo_depth : int
        Depth of each router input FIFO, in flits. 8 by default: an ECP5 distributed-RAM
        primitive is 16 words deep anyway, and 8 lifts uniform-random saturation from
        0.54 to 0.61 of the 4/k bound on 4 x 4 (``docs/noc.md``).
    max_packet_flits : int
        Longest packet, head included. Sets the head's length field width
        (``max_packet_flits.bit_length()`` bits).
    ni_buffer_flits : int
        Depth of each injection network interface's packet buffer, in flits. The NI holds a
        packet until its tail has arrived and checked, so it needs at least
        ``max_packet_flits``; two packets' worth lets one drain while the next arrives.
    error_counter_bits : int
        Width of each injection NI's saturating dropped-packet counter.
    """

    flit_payload_bits: int = 32
    fifo_depth: int = 8
    max_packet_flits: int = 64
    ni_buffer_flits: int = 128
    error_counter_bits: int = 16

    def check(self):
        o = "ChipConfig.noc"
        _check_int(o, "flit_payload_bits", self.flit_payload_bits, 16, 128)
        _check_int(o, "fifo_depth", self.fifo_depth, 2, 64)
        _check_int(o, "max_packet_flits", self.max_packet_flits, 1, 1024)
        # The head carries 2 x 6 coordinate bits, a 4-bit message type and the length
        # (hdl/spec/noc.py); it must fit in one flit's payload.
        head_bits = 16 + self.max_packet_flits.bit_length()
        if self.flit_payload_bits < head_bits:
            raise ConfigError(
                f"{o}.flit_payload_bits = {self.flit_payload_bits}: must be >= {head_bits} "
                f"to hold a head flit (max_packet_flits = {self.max_packet_flits})"
            )
        _check_int(o, "ni_buffer_flits", self.ni_buffer_flits, self.max_packet_flits, 4096,
                   " (max_packet_flits .. 4096)")
        _check_int(o, "error_counter_bits", self.error_counter_bits, 1, 32)


@dataclass(frozen=True)
class WriteVerifyConfig:
    """Write-verify engine sizes (see ``docs/write_verify.md``).

    Attributes
    ----------
    hist_bins : int
        Bins of the pulses-to-converge histogram; the last bin counts every cell with
        ``hist_bins - 1`` or more pulses.
    fail_list_depth : int
        Failing cells remembered per run (all are counted).
    """

    hist_bins: int = 64
    fail_list_depth: int = 64

    def check(self):
        o = "ChipConfig.write_verify"
        _check_int(o, "hist_bins", self.hist_bins, 2, 1024)
        _check_int(o, "fail_list_depth", self.fail_list_depth, 1, 65536)

@dataclass(frozen=True)
class TileConfig:
    """Compute-tile datapath widths (DESIGN section 6; see ``docs/tile.md``).

    Attributes
    ----------
    psum_bits : int
        Width of a signed partial sum: the psum buffer, raw (partial-sum) outputs and the
        accumulator of the output unit saturate to it. Must hold the shift-added ADC codes
        of one MVM: at least ``adc_bits + input_bits + 1``.
    bias_bits : int
        Width of a signed per-output bias (at most ``psum_bits``).
    mult_bits : int
        Width of the unsigned requantization multiplier.
    counter_bits : int
        Width of each performance counter (they wrap).
    """

    psum_bits: int = 24
    bias_bits: int = 16
    mult_bits: int = 16
    counter_bits: int = 32

    def check(self, adc_bits, input_bits):
        o = "ChipConfig.tile"
        need = adc_bits + input_bits + 1
        _check_int(o, "psum_bits", self.psum_bits, need, 32,
                   f" (adc_bits + input_bits + 1 = {need} .. 32)")
        _check_int(o, "bias_bits", self.bias_bits, 2, self.psum_bits, " (2 .. psum_bits)")
        _check_int(o, "mult_bits", self.mult_bits, 1, 18)
        _check_int(o, "counter_bits", self.counter_bits, 8, 48)


@dataclass(frozen=True)
class HostConfig:
    """The host node (``docs/host.md``): Wishbone slave, queues, activation SRAM, window.

    Attributes
    ----------
    cmd_queue_words : int
        Command queue depth in 32-bit words (head word + body words of queued packets); at
        least ``noc.max_packet_flits`` so that any packet fits.
    resp_queue_words : int
        Response queue depth in words.
    asram_words : int
        Global activation SRAM, 32-bit words (at most 32768: a data packet whose offset has
        bit 15 set goes to the response queue instead).
    window_timeout : int
        Cycles a remote-CSR window access waits for the tile's answer before it ends with
        ERR (cause WINDOW_TIMEOUT).
    """

    cmd_queue_words: int = 128
    resp_queue_words: int = 128
    asram_words: int = 1024
    window_timeout: int = 4096

    def check(self, max_packet_flits):
        o = "ChipConfig.host"
        _check_int(o, "cmd_queue_words", self.cmd_queue_words, max_packet_flits, 4096,
                   f" (noc.max_packet_flits = {max_packet_flits} .. 4096)")
        _check_int(o, "resp_queue_words", self.resp_queue_words, 4, 4096)
        # Offsets from 0x8000 up go to the response queue (hdl.spec.host.QUEUE_OFFSET).
        _check_int(o, "asram_words", self.asram_words, 1, 32768,
                   " (offsets from 0x8000 address the response queue)")
        _check_int(o, "window_timeout", self.window_timeout, 16, 1 << 20)


@dataclass(frozen=True)
class CpuConfig:
    """The on-chip OpenRISC core's SoC (``hdl/soc.py``, ``docs/cpu.md``): read by block
    ``soc``'s gateware, the firmware's linker script (``scripts.firmware.linker_script``) and
    the firmware emitter (``sw.firmware.build_or1k``), so the three cannot disagree. A chip
    built without the core (block ``chip``) ignores it.

    Attributes
    ----------
    ram_bytes : int
        Program memory (vectors, code, the network's table, data, stack): a power of two
        from 1 KiB to the external port's window (``hdl.spec.or1k.EXT_CPU_MEM_BYTES``,
        128 KiB). It is block RAM (an ECP5 DP16KD holds 2 KiB, and the memory has two
        copies, one per port: ``docs/cpu.md``), so each preset takes what its firmware
        needs: 16 KiB (``hdl.spec.or1k.RAM_BYTES``) by default, 32 KiB for the digits
        network's firmware (``docs/firmware.md``).
    """

    ram_bytes: int = RAM_BYTES

    def check(self):
        o = "ChipConfig.cpu"
        _check_int(o, "ram_bytes", self.ram_bytes, 1024, EXT_CPU_MEM_BYTES,
                   " (the external port's program-memory window)")
        if self.ram_bytes & (self.ram_bytes - 1):
            raise ConfigError(f"{o}.ram_bytes = {self.ram_bytes}: must be a power of two "
                              "(the program memory's address decoding)")


def _check_mesh(o, cfg):
    if not isinstance(cfg.name, str) or not cfg.name:
        raise ConfigError(f"{o}.name = {cfg.name!r}: must be a non-empty string")
    _check_int(o, "mesh_width", cfg.mesh_width, 1, 8)
    _check_int(o, "mesh_height", cfg.mesh_height, 1, 8)
    nodes = cfg.mesh_width * cfg.mesh_height
    if nodes < 2:
        raise ConfigError(f"{o}.mesh_width x mesh_height = {nodes}: need a host and a tile")
    _check_int(o, "host_node", cfg.host_node, 0, nodes - 1, " (mesh nodes)")
    if not isinstance(cfg.noc, NocConfig):
        raise ConfigError(f"{o}.noc = {cfg.noc!r}: must be a NocConfig")
    cfg.noc.check()


@dataclass(frozen=True)
class MeshConfig:
    """The network on chip alone: what the mesh (``hdl/noc.py``), its golden model
    (``sim/noc.py``) and its testbench read. A chip's is :attr:`ChipConfig.mesh`; a NoC
    study may use one that no chip could carry, e.g. flits narrower than the host
    protocol's 32 bits.

    Attributes
    ----------
    name : str
    mesh_width, mesh_height, host_node : int
        As in :class:`ChipConfig`.
    noc : NocConfig
    """

    name: str = "mesh"
    mesh_width: int = 2
    mesh_height: int = 2
    host_node: int = 0
    noc: NocConfig = field(default_factory=NocConfig)

    def __post_init__(self):
        _check_mesh("MeshConfig", self)

    def replace(self, **changes):
        """A copy with fields replaced; ``noc=`` may be a dict of the fields to change."""
        if isinstance(changes.get("noc"), dict):
            changes["noc"] = dataclasses.replace(self.noc, **changes["noc"])
        return dataclasses.replace(self, **changes)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text):
        d = json.loads(text)
        d["noc"] = NocConfig(**d["noc"])
        return cls(**d)


def config_from_json(text):
    """A :class:`ChipConfig` or a :class:`MeshConfig` from its ``to_json`` text."""
    return (ChipConfig if "array" in json.loads(text) else MeshConfig).from_json(text)


@dataclass(frozen=True)
class ChipConfig:
    """A whole chip. Frozen; derive variants with :meth:`replace`.

    Attributes
    ----------
    name : str
        Preset name (used for build directories).
    mesh_width, mesh_height : int
        NoC mesh size; node ``host_node`` is the host, the others are tiles.
    array : ArrayGeometry
    device : DeviceModel
    noc : NocConfig
    write_verify : WriteVerifyConfig
    tile : TileConfig
    host : HostConfig
    cpu : CpuConfig
        The on-chip core's SoC (block ``soc``); part of the configuration digest like every
        other field.
    input_bits : int
        Activation width P (bit-serial planes per MVM).
    adc_bits, adc_count : int
        SAR ADC resolution B and ADCs per tile K.
    seed : int
        Device-variation seed (32-bit); keys the counter-based hash.
    hash_rounds : int
        ARX rounds of the cell hash (even, >= 8 for good mixing).
    hash_rounds_per_cycle : int
        Rounds evaluated per clock cycle (area vs. latency); must divide ``hash_rounds``.
    """

    name: str = "tiny"
    mesh_width: int = 2
    mesh_height: int = 2
    host_node: int = 0
    array: ArrayGeometry = field(default_factory=ArrayGeometry)
    device: DeviceModel = field(default_factory=DeviceModel)
    noc: NocConfig = field(default_factory=NocConfig)
    write_verify: WriteVerifyConfig = field(default_factory=WriteVerifyConfig)
    tile: TileConfig = field(default_factory=TileConfig)
    host: HostConfig = field(default_factory=HostConfig)
    cpu: CpuConfig = field(default_factory=CpuConfig)
    input_bits: int = 4
    adc_bits: int = 4
    adc_count: int = 2
    seed: int = 0x5EED_0001
    hash_rounds: int = 12
    hash_rounds_per_cycle: int = 4

    def __post_init__(self):
        from hdl.spec.host import check_host_config

        o = "ChipConfig"
        _check_mesh(o, self)
        if not isinstance(self.array, ArrayGeometry):
            raise ConfigError(f"{o}.array = {self.array!r}: must be an ArrayGeometry")
        if not isinstance(self.device, DeviceModel):
            raise ConfigError(f"{o}.device = {self.device!r}: must be a DeviceModel")
        if not isinstance(self.write_verify, WriteVerifyConfig):
            raise ConfigError(f"{o}.write_verify = {self.write_verify!r}: "
                              "must be a WriteVerifyConfig")
        if not isinstance(self.tile, TileConfig):
            raise ConfigError(f"{o}.tile = {self.tile!r}: must be a TileConfig")
        if not isinstance(self.host, HostConfig):
            raise ConfigError(f"{o}.host = {self.host!r}: must be a HostConfig")
        if not isinstance(self.cpu, CpuConfig):
            raise ConfigError(f"{o}.cpu = {self.cpu!r}: must be a CpuConfig")
        self.array.check()
        self.write_verify.check()
        self.device.check(self.array.g_max, self.array.v_max)
        _check_int(o, "input_bits", self.input_bits, 1, 8)
        _check_int(o, "adc_bits", self.adc_bits, 2, 12)
        _check_int(o, "adc_count", self.adc_count, 1, self.array.pairs, " (array.cols / 2)")
        if self.array.pairs % self.adc_count:
            raise ConfigError(
                f"{o}.adc_count = {self.adc_count}: must divide the {self.array.pairs} "
                "column pairs"
            )
        _check_int(o, "seed", self.seed, 0, (1 << 32) - 1)
        _check_int(o, "hash_rounds", self.hash_rounds, 8, 64)
        _check_int(o, "hash_rounds_per_cycle", self.hash_rounds_per_cycle, 1, self.hash_rounds)
        if self.hash_rounds % self.hash_rounds_per_cycle:
            raise ConfigError(
                f"{o}.hash_rounds_per_cycle = {self.hash_rounds_per_cycle}: must divide "
                f"hash_rounds = {self.hash_rounds}"
            )
        self.tile.check(self.adc_bits, self.input_bits)
        self.host.check(self.noc.max_packet_flits)
        self.cpu.check()
        # The host and tile network interfaces' rules on the NoC format (hdl/spec/host.py).
        check_host_config(self)

    # -- derived values ----------------------------------------------------------------------

    @property
    def mesh(self):
        """The :class:`MeshConfig` of this chip's network on chip."""
        return MeshConfig(name=self.name, mesh_width=self.mesh_width,
                          mesh_height=self.mesh_height, host_node=self.host_node, noc=self.noc)

    @property
    def tiles(self):
        """Node indices of the tiles (every node but the host)."""
        return [n for n in range(self.mesh_width * self.mesh_height) if n != self.host_node]

    @property
    def hash_cycles(self):
        """Cycles one cell-hash evaluation takes."""
        return self.hash_rounds // self.hash_rounds_per_cycle

    def hash_round_keys(self):
        """The cell hash's round keys: constants derived from ``seed`` (see ``sim/cellhash.py``).

        The keys are fixed when Verilog is generated, so the hardware holds no key schedule.
        """
        keys = []
        for i in range(self.hash_rounds):
            x = (self.seed + (i + 1) * 0x9E3779B9) & 0xFFFF_FFFF
            # lowbias32 finaliser (C. Wellons): a well-mixed 32-bit integer permutation.
            x ^= x >> 16
            x = (x * 0x7FEB352D) & 0xFFFF_FFFF
            x ^= x >> 15
            x = (x * 0x846CA68B) & 0xFFFF_FFFF
            x ^= x >> 16
            keys.append(x)
        return keys

    # -- serialisation -----------------------------------------------------------------------

    def replace(self, **changes):
        """A copy with top-level fields replaced; the sections (``array=``, ``device=``,
        ``noc=``, ``write_verify=``, ``tile=``, ``host=``, ``cpu=``) may be dicts of the
        nested fields to change."""
        for key in ("array", "device", "noc", "write_verify", "tile", "host", "cpu"):
            if isinstance(changes.get(key), dict):
                changes[key] = dataclasses.replace(getattr(self, key), **changes[key])
        return dataclasses.replace(self, **changes)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text):
        d = json.loads(text)
        d["array"] = ArrayGeometry(**d["array"])
        d["device"] = DeviceModel(**d["device"])
        d["noc"] = NocConfig(**d["noc"])
        d["write_verify"] = WriteVerifyConfig(**d["write_verify"])
        d["tile"] = TileConfig(**d["tile"])
        d["host"] = HostConfig(**d.get("host", {}))
        d["cpu"] = CpuConfig(**d.get("cpu", {}))
        return cls(**d)


PRESETS = {
    # Fast tests: a 16 x 16 array read 2 rows per cycle, 4-bit inputs, two 4-bit ADCs. Two
    # rows, not all 16: a parallel read that every smaller test array derived from `tiny`
    # can keep (the smallest has 2 rows); tb/configs.py covers 1, all rows and a
    # non-divisor.
    "tiny": ChipConfig(name="tiny", array=ArrayGeometry(read_rows=2)),
    # Milo et al.'s 64 x 64 array, 8-bit inputs and ADCs, 8 ADCs per tile; the MVM drives
    # all 64 rows at once, as the analog array does.
    "default": ChipConfig(
        name="default",
        array=ArrayGeometry(rows=64, cols=64, read_rows=64),
        input_bits=8,
        adc_bits=8,
        adc_count=8,
        # The digits network's firmware: 18 KB of code and table, 2.2 KB of .bss, a stack.
        cpu=CpuConfig(ram_bytes=32 * 1024),
    ),
    # Fits an ECP5-85F: as default, with half the ADCs, a serial MVM read (one row per
    # cycle from a row-wide block RAM) and two cell-hash rounds per cycle instead of four
    # (four 32-bit ARX rounds in series are a long carry path; two save ~540 LUT sites per
    # tile, docs/fpga.md; a hash takes 6 cycles instead of 3).
    "fpga": ChipConfig(
        name="fpga",
        array=ArrayGeometry(rows=64, cols=64),
        input_bits=8,
        adc_bits=8,
        adc_count=4,
        hash_rounds_per_cycle=2,
    ),
    # NeuRRAM's scale (Wan et al., Nature 2022): 48 tiles of 256 x 256 cells (3.1 M) on a
    # 7 x 7 mesh with the host at node 0; all 256 rows read at once, 8-bit inputs, eight
    # 8-bit ADCs per tile shared by its 128 column pairs (default's datapath). `make
    # bench-scale` builds the RTL with 16 rows per cycle (scripts/bench_scale.py: the
    # Verilator model's size).
    "neurram": ChipConfig(
        name="neurram",
        mesh_width=7,
        mesh_height=7,
        array=ArrayGeometry(rows=256, cols=256, read_rows=256),
        input_bits=8,
        adc_bits=8,
        adc_count=8,
    ),
}


def preset(name):
    """The named preset; raises :class:`ConfigError` listing the known names."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(
            f"preset {name!r} is unknown; choose one of {', '.join(sorted(PRESETS))}"
        ) from None
