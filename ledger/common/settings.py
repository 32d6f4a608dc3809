"""Settings of the ledger core, independent of how the application reads its environment."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ledger.common.errors import ConfigurationError
from ledger.common.messages import N_, Message

#: The tlog-tiles default: tiles of 256 hashes.
DEFAULT_TILE_HEIGHT = 8

_ORIGIN = re.compile(r"[^\s+]{1,200}")


@dataclass(frozen=True)
class LedgerSettings:
    database_url: str
    #: The checkpoint origin line and the log key's name, e.g. ``trace.example.vn/ledger``.
    origin: str
    key_file: Path
    key_passphrase: str | None = None
    #: Outside development an unencrypted private key is refused unless this is set.
    allow_unencrypted_key: bool = False
    #: Sign a new checkpoint when the tree has grown and the last one is older than this.
    checkpoint_interval: float = 1.0
    #: Only read when the ledger is initialised; afterwards the stored value rules.
    tile_height: int = DEFAULT_TILE_HEIGHT
    busy_timeout_ms: int = 10_000
    lock_timeout_ms: int = 10_000
    #: Where the organisations' label keys live; by default ``label-keys/`` beside the log key.
    label_key_dir: Path | None = None

    def __post_init__(self) -> None:
        if not _ORIGIN.fullmatch(self.origin):
            raise ConfigurationError(
                detail=Message(
                    N_("LEDGER_ORIGIN {origin!r} must be a schema-less URL without spaces or '+'"),
                    origin=self.origin,
                )
            )
        if not 1 <= self.tile_height <= 8:
            raise ConfigurationError(
                detail=Message(N_("the tile height must be between 1 and 8")),
            )
        if self.checkpoint_interval < 0:
            raise ConfigurationError(
                detail=Message(N_("CHECKPOINT_INTERVAL must not be negative")),
            )

    @property
    def label_keys_directory(self) -> Path:
        return self.label_key_dir or self.key_file.parent / "label-keys"

    @property
    def state_file(self) -> Path:
        """Beside the key: the last (size, root) this signer signed, for rewind detection."""
        return self.key_file.with_name(self.key_file.name + ".state")
