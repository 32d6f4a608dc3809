"""Hưng Yên Trace ledger core: an append-only Merkle log of traceability events, and the supply
chain's rules on top of it.

This package is the part of the system everything else trusts. It knows nothing of Flask or of
HTTP; the web layer, the CLI and the benchmarks all call the same services defined here. Three
layers, each importing only those below it: :mod:`ledger.supplychain` (farm-to-shelf rules),
:mod:`ledger.tlog` (the transparency log) and :mod:`ledger.common` (messages, clock, database,
settings, base errors). See ARCHITECTURE.md.
"""
