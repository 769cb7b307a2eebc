"""The on-chip OpenRISC 1000 core (docs/cpu.md)."""
