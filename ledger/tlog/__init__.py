"""The transparency log: canonical bytes, entries, the Merkle tree and its tiles, signed notes
and checkpoints, keys, private-field commitments, the append service, audit and export.

It knows nothing of farms or lots: it appends and proves whatever events it is given.
"""
