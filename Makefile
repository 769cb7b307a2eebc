# RRAM compute-in-memory chip: one entry point for set-up, regression, demo and flows.
# `make help` lists the targets. Every target that needs tools depends on `setup`.

SHELL        := /bin/bash
VENV         := .venv
PYTHON       ?= python3
RUN          := scripts/with-env
CONFIG       ?= default
JOBS         ?= auto
PYTEST_ARGS  ?=
STAMP        := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup test test-all test-fpga demo verilog docs lint synth fpga formal report-ispva bench bench-scale firmware fw-infer clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'
	@echo "  Variables: CONFIG=tiny|default|fpga (verilog, synth, fpga), FPGA_MHZ=25 (board clock),"
	@echo "             FPGA_ARGS='--cpu' or '--cpu-only' (make fpga: the OpenRISC SoC too, docs/cpu.md),"
	@echo "             SIM=icarus|verilator,"
	@echo "             WAVES=1, COCOTB_RANDOM_SEED=<n>, JOBS=<n> (pytest-xdist workers),"
	@echo "             DEMO_ARGS='--sim verilator --images 100' (python -m scripts.demo --help),"
	@echo "             DEMO_ARGS='--sim verilator --driver firmware --images 40' (the on-chip firmware on the RTL)"
	@echo "             SCALE_ARGS='--golden-only' (python -m scripts.bench_scale --help)"
	@echo "             BENCH_RTL_ARGS='--sims verilator --images 20' (python -m scripts.bench_rtl --help)"

setup: $(STAMP)  ## Create .venv, install the project and its pinned tools; apt-get Icarus, ccache, or1k-elf-gcc and QEMU if missing

$(STAMP): pyproject.toml
	@# Debian packages: Icarus; ccache (Verilator builds share their runtime objects,
	@# docs/verification.md); the OpenRISC firmware's cross compiler and the QEMU its traces
	@# are compared with (docs/cpu.md: gcc-or1k-elf, qemu-system-misc for qemu-system-or1k).
	@missing=""; \
	  command -v iverilog >/dev/null || missing="$$missing iverilog"; \
	  command -v ccache >/dev/null || missing="$$missing ccache"; \
	  command -v or1k-elf-gcc >/dev/null || missing="$$missing gcc-or1k-elf"; \
	  command -v qemu-system-or1k >/dev/null || missing="$$missing qemu-system-misc"; \
	  if [ -n "$$missing" ]; then \
	    echo "Installing$$missing (apt-get)"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && \
	    $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	  fi
	@[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e .
	@touch $@

test: setup  ## Run the regression, both simulators unless SIM is set (no `slow` tests)
	$(RUN) pytest -n $(JOBS) --dist worksteal -m "not slow" --durations=15 $(PYTEST_ARGS)

test-all: setup  ## Run every test, `slow` ones included (whole-chip synthesis, sweeps)
	$(RUN) pytest -n $(JOBS) --durations=25 $(PYTEST_ARGS)

DEMO_ARGS    ?=

demo: setup  ## The digits network on the chip: golden model and RTL (Verilator); DEMO_ARGS='--sim golden' skips the RTL
	$(RUN) python -m scripts.demo $(DEMO_ARGS)

verilog: setup  ## Write the Verilog of every top-level block to build/CONFIG/
	$(RUN) python -m scripts.generate --config $(CONFIG)

firmware: setup  ## Build the OpenRISC programs (sw/fw/) into build/fw/: ELF for QEMU, raw images for the SoC (docs/cpu.md)
	$(RUN) python -m scripts.firmware

fw-infer: setup  ## The inference firmware for CONFIG's digits network: table and or1k ELF in build/fw/CONFIG/ (docs/firmware.md)
	$(RUN) python -m sw.firmware --check
	$(RUN) python -m sw.firmware --config $(CONFIG)

docs: setup  ## Generate docs/registers.md, sw/include/rram_regs.h and sim/regs.py from hdl/spec/regmap.py
	$(RUN) python -m scripts.gen_regs

lint: setup  ## Verilator --lint-only on the generated Verilog, and ruff on the Python
	$(RUN) python -m scripts.lint --config $(CONFIG)
	$(RUN) ruff check hdl sim tb scripts sw conftest.py

FPGA_MHZ     ?= 25
FPGA_ARGS    ?=

synth: setup  ## Yosys synth_ecp5 of every block, then the whole chip placed and routed on a ULX3S (ECP5-85F): build/CONFIG/synth/report.json
	$(RUN) python -m scripts.synth --config $(CONFIG) --mhz $(FPGA_MHZ)

fpga: setup  ## Only the whole chip on its board top: synthesis, place-and-route, Fmax, bitstream (build/CONFIG/synth/report.json; FPGA_ARGS=--cpu: with the CPU, build/CONFIG/synth-cpu/)
	$(RUN) python -m scripts.fpga --config $(CONFIG) --mhz $(FPGA_MHZ) $(FPGA_ARGS)

test-fpga: setup  ## The FPGA flow's tests: place-and-route of a small chip, the report's checks (not in `make test`)
	$(RUN) pytest -m fpga --durations=10 $(PYTEST_ARGS)

formal: setup  ## SymbiYosys proofs of the write-verify engine (docs/formal.md): build/formal/summary.json
	$(RUN) python -m scripts.formal

report-ispva: setup  ## Program 64 x 64 cells to Milo's 5 levels (M-ISPVA, window, IGVVA): build/reports/ispva.json + plots
	$(RUN) python -m scripts.report_ispva

BENCH_RTL_ARGS ?=

bench: setup  ## Benchmarks into build/reports/bench.json: NoC latency/saturation, tile MVM cycles, golden-model images/s, the RTL's digits images/s on Verilator and Icarus (weights as the chip's power-on image; ~10-20 min with the builds, docs/network.md), FPGA area and Fmax (reuses an up-to-date make synth report)
	$(RUN) python -m scripts.bench_noc
	$(RUN) python -m scripts.bench_tile
	$(RUN) python -m scripts.bench_golden
	$(RUN) python -m scripts.bench_rtl $(BENCH_RTL_ARGS)
	$(RUN) python -m scripts.fpga --config fpga --mhz $(FPGA_MHZ) --bench

SCALE_ARGS   ?=

bench-scale: setup  ## The neurram preset (48 tiles of 256 x 256): golden images/s and cycles, Verilator whole-chip build + MVM + inference; SCALE_ARGS='--golden-only'
	$(RUN) python -m scripts.bench_scale $(SCALE_ARGS)

clean:  ## Remove build outputs (keeps .venv)
	rm -rf build
