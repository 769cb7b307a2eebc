"""Command-line entry points (run as ``python -m scripts.<name>``; the Makefile does)."""
