"""Numpy golden model: values and cycle counts of every block, bit- and cycle-exact with the RTL.

Imports no Amaranth and no cocotb.
"""
