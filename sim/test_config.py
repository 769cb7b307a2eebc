"""ChipConfig: presets are valid, bad values are refused with a message naming the field."""


import pytest

from hdl.spec.config import PRESETS, ChipConfig, ConfigError, config_from_json, preset


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_are_valid_and_roundtrip(name):
    cfg = preset(name)
    assert cfg.name == name
    assert ChipConfig.from_json(cfg.to_json()) == cfg
    assert len(cfg.hash_round_keys()) == cfg.hash_rounds


def test_preset_table_matches_design():
    # DESIGN section 3 table.
    t, d, f = preset("tiny"), preset("default"), preset("fpga")
    assert (t.array.rows, t.array.cols, t.input_bits, t.adc_count, t.adc_bits) == (16, 16, 4, 2, 4)
    assert (d.array.rows, d.array.cols, d.input_bits, d.adc_count, d.adc_bits) == (64, 64, 8, 8, 8)
    assert (f.array.rows, f.array.cols, f.input_bits, f.adc_count, f.adc_bits) == (64, 64, 8, 4, 8)
    for cfg in (t, d, f):
        assert (cfg.mesh_width, cfg.mesh_height, len(cfg.tiles)) == (2, 2, 3)
        assert cfg.array.g_bits == 8 and cfg.device.stuck_rate_q14 == 0
    # The MVM read: the analog array drives all rows at once; the FPGA build reads one row
    # per cycle; tiny two (see its comment in hdl/spec/config.py).
    assert (t.array.read_rows, d.array.read_rows, f.array.read_rows) == (2, 64, 1)
    # The core's program memory: the digits firmware needs 32 KiB (docs/firmware.md); the
    # test presets keep the SoC's 16 KiB, so their builds stay small.
    assert (t.cpu.ram_bytes, d.cpu.ram_bytes, f.cpu.ram_bytes) == (16384, 32768, 16384)


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ConfigError, match="default, fpga, neurram, tiny"):
        preset("huge")


BAD = [
    ({"mesh_width": 9}, r"ChipConfig\.mesh_width = 9: must be in 1\.\.8"),
    ({"mesh_width": 1, "mesh_height": 1}, r"mesh_width x mesh_height = 1"),
    ({"host_node": 4}, r"ChipConfig\.host_node = 4: must be in 0\.\.3"),
    ({"input_bits": 0}, r"ChipConfig\.input_bits = 0: must be in 1\.\.8"),
    ({"adc_count": 3}, r"ChipConfig\.adc_count = 3: must divide the 8 column pairs"),
    ({"adc_count": 9}, r"ChipConfig\.adc_count = 9: must be in 1\.\.8"),
    ({"adc_bits": 1}, r"ChipConfig\.adc_bits = 1"),
    ({"seed": -1}, r"ChipConfig\.seed = -1"),
    ({"hash_rounds_per_cycle": 5}, r"hash_rounds_per_cycle = 5: must divide hash_rounds = 12"),
    ({"hash_rounds": 4}, r"ChipConfig\.hash_rounds = 4: must be in 8\.\.64"),
    ({"name": ""}, r"ChipConfig\.name"),
    ({"input_bits": 4.0}, r"ChipConfig\.input_bits = 4\.0: must be an integer"),
    ({"input_bits": True}, r"ChipConfig\.input_bits = True: must be an integer"),
    ({"array": {"rows": 300}}, r"ChipConfig\.array\.rows = 300: must be in 2\.\.256"),
    ({"array": {"cols": 15}}, r"ChipConfig\.array\.cols = 15: must be even"),
    ({"array": {"v_max": 300}},
     r"ChipConfig\.array\.v_max = 300: must be in 1\.\.255 \(v_bits = 8\)"),
    ({"array": {"v_read_max": 200}}, r"ChipConfig\.array\.v_read_max = 200"),
    ({"array": {"v_read_mvm": 0}}, r"ChipConfig\.array\.v_read_mvm = 0"),
    ({"array": {"g_bits": 16}}, r"ChipConfig\.array\.g_bits = 16: must be in 2\.\.12"),
    ({"array": {"read_rows": 0}}, r"ChipConfig\.array\.read_rows = 0: must be in 1\.\.16 \(rows\)"),
    ({"array": {"read_rows": 17}}, r"ChipConfig\.array\.read_rows = 17: must be in 1\.\.16"),
    ({"array": {"read_rows": 2.0}}, r"ChipConfig\.array\.read_rows = 2\.0: must be an integer"),
    ({"device": {"vth_set": 0}}, r"ChipConfig\.device\.vth_set = 0"),
    ({"device": {"g_hrs": 256}}, r"ChipConfig\.device\.g_hrs = 256: must be in 0\.\.255"),
    ({"device": {"stuck_rate_q14": 20000}}, r"ChipConfig\.device\.stuck_rate_q14 = 20000"),
    ({"device": {"read_noise": -1}}, r"ChipConfig\.device\.read_noise = -1"),
    ({"device": {"mvm_read_noise": 256}},
     r"ChipConfig\.device\.mvm_read_noise = 256: must be in 0\.\.255"),
    ({"noc": {"fifo_depth": 1}}, r"ChipConfig\.noc\.fifo_depth = 1: must be in 2\.\.64"),
    # The host protocol's rules on the NoC format, checked by ChipConfig itself.
    ({"noc": {"flit_payload_bits": 24}},
     r"ChipConfig\.noc\.flit_payload_bits = 24: the host interface carries 32-bit words"),
    ({"noc": {"max_packet_flits": 3}},
     r"ChipConfig\.noc\.max_packet_flits = 3: the host interface needs at least 4"),
    ({"noc": {"max_packet_flits": 128, "ni_buffer_flits": 128}},
     r"ChipConfig\.noc\.max_packet_flits = 128: the host interface needs 9 aux bits"),
    ({"cpu": {"ram_bytes": 24 * 1024}},
     r"ChipConfig\.cpu\.ram_bytes = 24576: must be a power of two"),
    ({"cpu": {"ram_bytes": 512}}, r"ChipConfig\.cpu\.ram_bytes = 512: must be in 1024\.\.131072"),
    ({"cpu": {"ram_bytes": 1 << 18}}, r"ChipConfig\.cpu\.ram_bytes = 262144: must be in"),
    ({"cpu": {"ram_bytes": 16384.0}}, r"ChipConfig\.cpu\.ram_bytes = 16384\.0: must be an int"),
]


@pytest.mark.parametrize("changes,message", BAD)
def test_bad_values_name_the_field(changes, message):
    with pytest.raises(ConfigError, match=message):
        preset("tiny").replace(**changes)


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        preset("tiny").input_bits = 8


def test_mesh_config_is_the_noc_alone():
    """A MeshConfig carries any NoC the mesh supports, even one the host protocol cannot use;
    a chip's MeshConfig equals its NoC part."""
    chip = preset("tiny")
    narrow = chip.mesh.replace(noc={"flit_payload_bits": 24, "max_packet_flits": 16,
                                    "ni_buffer_flits": 20})
    assert narrow.noc.flit_payload_bits == 24
    assert config_from_json(narrow.to_json()) == narrow
    assert config_from_json(chip.to_json()) == chip
    assert (chip.mesh.mesh_width, chip.mesh.noc) == (chip.mesh_width, chip.noc)
    with pytest.raises(ConfigError, match=r"MeshConfig\.mesh_width = 9"):
        chip.mesh.replace(mesh_width=9)
