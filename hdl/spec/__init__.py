"""The spec layer: every contract the gateware and the golden model share, in plain Python.

Standard library only (no Amaranth, no numpy, no cocotb), so that ``hdl/`` (gateware) and
``sim/`` (golden model) both import it and never each other (``docs/architecture.md``):

* ``config``: :class:`ChipConfig`, its parts and presets, and every rule a configuration
  must keep (including the host protocol's);
* ``crossbar``: crossbar opcodes, command fields, device-hash bit fields, latency, refusals;
* ``write_verify``: register-set fields and limits, engine commands, result words, cycle
  costs, refusals;
* ``tile``: tile commands, layer-descriptor fields, counters, errors, the MVM schedule and
  latency, refusals;
* ``noc``: flit and head formats, message types, router ports;
* ``host``: the host and tile-NI protocol (buffers, response words, bus error causes);
* ``regmap``: the host's memory map, from which the RTL decodes the bus and
  ``make docs`` generates the Markdown, the C header and ``sim/regs.py``.
"""
