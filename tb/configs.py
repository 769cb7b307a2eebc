"""Every configuration the testbenches build, defined once, each under its own name.

A name is also a build directory (``build/sim/<name>-<digest>/``), so two different
configurations never share one; ``sim/test_architecture.py`` checks the names are unique.
"""

from hdl.spec.config import preset

__all__ = ["CONFIGS", "config", "mesh_config"]


def _crossbar_faulty():
    # Every optional device feature on, odd geometry, a different hash unrolling, and an MVM
    # read of 5 rows per cycle, which does not divide the 12 rows (groups of 5, 5 and 2).
    # MVM read noise on 5 pairs (two hashes, the second with one pair) whose 6-cycle hash
    # outlasts the 3 row groups: the MVM waits for it (7 cycles, not 6).
    return preset("tiny").replace(
        name="xbar-faulty",
        array={"rows": 12, "cols": 10, "read_rows": 5},
        adc_count=1,
        hash_rounds_per_cycle=2,
        device={"stuck_rate_q14": 2500, "read_noise": 6, "forming_offset": 20,
                "compliance_noise": 6, "hrs_noise": 3, "mvm_read_noise": 20},
    )


def _wv_tiny8():
    return preset("tiny").replace(name="wv-tiny8", array={"rows": 8, "cols": 8})


def _wv_faulty():
    return _wv_tiny8().replace(
        name="wv-faulty",
        array={"rows": 6, "cols": 10},
        adc_count=1,
        hash_rounds_per_cycle=2,
        device={"stuck_rate_q14": 2500, "read_noise": 4, "compliance_noise": 6,
                "hrs_noise": 3},
        write_verify={"hist_bins": 16, "fail_list_depth": 8},
    )


def _tile_configs():
    # The crossbar's MVM read: all 8 rows at once on tile-b4k1 (as the `default` preset),
    # one row per cycle on the others (as `fpga`), whose regimes need a long read.
    tiny = preset("tiny")
    return {
        # Conversion-bound with a gap > 1: 4 rounds of 5 cycles vs a 4-cycle read (all rows).
        "tile-b4k1": tiny.replace(name="tile-b4k1",
                                  array={"rows": 8, "cols": 8, "read_rows": 8},
                                  input_bits=8, adc_bits=4, adc_count=1),
        # Conversion-bound, gap 1: K = 2 divides 6 pairs, 3 rounds of 7 cycles vs 19. MVM
        # read noise on (every plane's pair currents, keyed by the crossbar's MVM count).
        "tile-b6k2": tiny.replace(name="tile-b6k2",
                                  array={"rows": 16, "cols": 12, "read_rows": 1},
                                  device={"mvm_read_noise": 12},
                                  input_bits=8, adc_bits=6, adc_count=2),
        # Read-bound: one ADC per pair (K = C/2), 4-bit inputs.
        "tile-b8k4": tiny.replace(name="tile-b8k4",
                                  array={"rows": 8, "cols": 8, "read_rows": 1},
                                  input_bits=4, adc_bits=8, adc_count=4),
        # Conversion-bound, gap 7 = 2**3 - 1 and the narrowest ADC (B = 2, so a plane's read
        # has the least slack, B cycles): 6 rounds of 3 cycles vs a 9-cycle read. The
        # plane-issue delay shows here (docs/tile.md, "How exact the gap is").
        "tile-b2k1": tiny.replace(name="tile-b2k1",
                                  array={"rows": 6, "cols": 12, "read_rows": 1},
                                  input_bits=8, adc_bits=2, adc_count=1),
    }


def _chip_small():
    """tiny, with short packets (an MVM's 8 outputs take 2 packets), small queues (the
    response queue overflows into the network), a 64-word SRAM and a short window timeout."""
    return preset("tiny").replace(
        name="chip-small",
        noc={"max_packet_flits": 8},
        host={"cmd_queue_words": 8, "resp_queue_words": 8, "asram_words": 64,
              "window_timeout": 64})


def _chip_pipe():
    """Networks end to end (``tb/test_chip_network.py``): ``tiny`` on a 3 x 2 mesh (five
    tiles, enough for row chains and relays), 16-flit packets and 64-word queues so that
    several images fit in flight."""
    return preset("tiny").replace(
        name="chip-pipe", mesh_width=3, mesh_height=2,
        noc={"max_packet_flits": 16},
        host={"cmd_queue_words": 64, "resp_queue_words": 64})


def mesh_config(w, h):
    """The NoC tests' meshes (a :class:`MeshConfig`: the NoC alone). 3 x 3: the ``tiny``
    preset's NoC. 2 x 2: the smallest buffers the config allows (2-flit router FIFOs, an
    injection buffer of one longest packet plus one flit) and a 3-bit error counter, so full
    FIFOs, a full injection buffer and a saturated counter happen often. 4 x 2 and 1 x 3: odd
    depths and a narrower flit (24 bits: a NoC no chip could use, since the host protocol
    carries 32-bit words)."""
    cfg = preset("tiny").mesh.replace(name=f"noc{w}x{h}", mesh_width=w, mesh_height=h)
    if (w, h) == (2, 2):
        cfg = cfg.replace(noc=dict(fifo_depth=2, max_packet_flits=8, ni_buffer_flits=9,
                                   error_counter_bits=3))
    elif (w, h) == (4, 2):      # depths that are not powers of two
        cfg = cfg.replace(noc=dict(fifo_depth=3, ni_buffer_flits=70))
    elif (w, h) == (1, 3):      # narrow flits: 24-bit payload, 5-bit length, 3-bit aux
        cfg = cfg.replace(noc=dict(fifo_depth=5, flit_payload_bits=24, max_packet_flits=16,
                                   ni_buffer_flits=20))
    return cfg


#: Meshes the NoC testbench runs (square, then wide and one-column).
MESHES = [(2, 2), (3, 3), (4, 2), (1, 3)]


#: Every test configuration, in one list (``sim/test_architecture.py`` checks the names are
#: unique: a name is a build directory).
ALL = [preset("tiny"), preset("default"), _crossbar_faulty(), _wv_tiny8(), _wv_faulty(),
       *_tile_configs().values(), _chip_small(), _chip_pipe(),
       *(mesh_config(w, h) for w, h in MESHES)]

#: name -> ChipConfig (or MeshConfig) of every test configuration.
CONFIGS = {c.name: c for c in ALL}


def config(name):
    """The test configuration ``name``."""
    try:
        return CONFIGS[name]
    except KeyError:
        raise KeyError(f"no test configuration {name!r}; choose one of "
                       f"{', '.join(sorted(CONFIGS))}") from None
