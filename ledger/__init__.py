"""Hưng Yên Trace ledger core: an append-only Merkle log of traceability events.

This package is the part of the system everything else trusts. It knows nothing of Flask or of
HTTP; the web layer, the CLI and the benchmarks all call the same services defined here.
"""
