"""Amaranth gateware of the RRAM compute-in-memory chip.

``hdl.spec`` is the pure-Python spec layer (standard library only) that the gateware and
the golden model (``sim/``) both import; every other module here needs Amaranth and never
imports ``sim`` (``docs/architecture.md``).
"""
