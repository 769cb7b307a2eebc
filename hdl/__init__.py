"""Amaranth gateware of the RRAM compute-in-memory chip.

``hdl.config`` and ``hdl.opcodes`` are pure Python (the golden model imports them);
everything else needs Amaranth.
"""
