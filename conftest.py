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
