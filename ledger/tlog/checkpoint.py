"""C2SP checkpoints (https://c2sp.org/tlog-checkpoint): the signed statement of a tree head.

The body is ``<origin>\\n<size>\\n<base64 root>\\n`` followed by optional extension lines; it is
signed as a signed note by the log key.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from ledger.common.messages import N_, Message
from ledger.tlog.errors import MalformedCheckpointError
from ledger.tlog.merkle import HASH_SIZE

_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return "\n".join(lines) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body (the text of a verified note)."""
    if not text.endswith("\n"):
        raise MalformedCheckpointError(detail=Message(N_("the body does not end with a newline")))
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpointError(detail=Message(N_("a checkpoint has at least three lines")))
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise MalformedCheckpointError(detail=Message(N_("the origin line is empty")))
    if not _SIZE.fullmatch(size_text):
        raise MalformedCheckpointError(
            detail=Message(N_("the size {size!r} is not a decimal number"), size=size_text)
        )
    try:
        root = base64.b64decode(root_text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise MalformedCheckpointError(detail=Message(N_("the root is not base64"))) from None
    if len(root) != HASH_SIZE:
        raise MalformedCheckpointError(detail=Message(N_("the root is not a SHA-256 hash")))
    if any(not line for line in extensions):
        raise MalformedCheckpointError(detail=Message(N_("an extension line is empty")))
    return Checkpoint(origin, int(size_text), root, tuple(extensions))
