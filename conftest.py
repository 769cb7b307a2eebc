"""pytest options of the regression (``docs/verification.md``): the lengths of the long
randomized cocotb tests. The pytest runner passes them to the cocotb process
(``tb.harness.run_cocotb(params=...)``, read there with ``tb.harness.test_param``)."""


def pytest_addoption(parser):
    group = parser.getgroup("rram-cim", "RRAM CIM regression")
    group.addoption("--crossbar-pulses", type=int, default=1500, dest="crossbar_pulses",
                    help="random commands of tb/test_crossbar.py::cocotb_random_pulses "
                         "(default 1500)")
    group.addoption("--noc-saturation-cycles", type=int, default=10000,
                    dest="noc_saturation_cycles",
                    help="cycles of tb/test_noc.py::cocotb_saturation (default 10000)")


#: Long cocotb tests whose **Icarus** run is left to ``make test-all`` (marked ``slow``): each
#: runs on Verilator in ``make test`` and on both simulators in ``make test-all``. Seconds:
#: the Icarus simulation alone in the fresh-clone regression of 2026-12-01 (45 CPU-minutes
#: in all; these 15 took about 10 of them with their process start-up).
#: ``docs/verification.md``, "What make test leaves out".
ICARUS_IN_TEST_ALL = {
    "tb/test_chip_network.py::test_chip_network[cocotb_chains_and_relay-icarus]": 109,
    "tb/test_chip_network.py::test_chip_network[cocotb_pipeline-icarus]": 29,
    "tb/test_firmware_soc.py::test_firmware_soc[PRELOADED-icarus]": 92,
    "tb/test_firmware_soc.py::test_firmware_soc_bus_error[icarus]": 27,
    "tb/test_uart_bridge.py::test_uart_bridge[cocotb_link_errors-icarus]": 40,
    "tb/test_uart_bridge.py::test_uart_bridge[cocotb_bus_errors-icarus]": 26,
    "tb/test_crossbar.py::test_crossbar[tiny-cocotb_random_pulses-icarus]": 37,
    "tb/test_crossbar.py::test_crossbar[tiny-cocotb_relax-icarus]": 26,
    "tb/test_write_verify.py::test_write_verify[wv-tiny8-cocotb_reset_ramp_stop-icarus]": 35,
    "tb/test_write_verify.py::test_write_verify[wv-faulty-cocotb_stuck_cells_fail-icarus]": 17,
    "tb/test_write_verify.py::test_write_verify[wv-tiny8-cocotb_program_random_sets-icarus]": 14,
    "tb/test_host.py::test_host[cocotb_mvm-icarus]": 32,
    "tb/test_host.py::test_host[cocotb_queues_and_window-icarus]": 25,
    "tb/test_noc.py::test_noc[cocotb_saturation-3x3-icarus]": 23,
    "tb/test_tile.py::test_tile[tile-b4k1-cocotb_mvm_programmed-icarus]": 22,
}


def pytest_collection_modifyitems(config, items):
    """Mark :data:`ICARUS_IN_TEST_ALL` ``slow``; a listed test that no longer exists in a
    collected file is an error (the list would silently stop working)."""
    import pytest

    seen, files = set(), set()
    for item in items:
        files.add(item.nodeid.split("::")[0])
        if item.nodeid in ICARUS_IN_TEST_ALL:
            item.add_marker(pytest.mark.slow)
            seen.add(item.nodeid)
    # Only when whole files were collected (no node ids, -k or --deselect on the command line).
    whole = not (any("::" in a for a in config.args) or config.getoption("keyword")
                 or config.getoption("deselect"))
    stale = [n for n in ICARUS_IN_TEST_ALL
             if whole and n.split("::")[0] in files and n not in seen]
    if stale:
        raise pytest.UsageError(f"conftest.ICARUS_IN_TEST_ALL names tests that do not exist: "
                                f"{stale}")
