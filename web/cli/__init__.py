"""The ``flask`` commands: ``ledger`` (:mod:`.ledger_commands`), ``users``, ``tokens``, ``events``
and ``demo`` (:mod:`.domain_commands`), ``labels`` (:mod:`.label_commands`).

Each command calls one service and prints its outcome in the configured language
(``HYT_LANGUAGE``, :mod:`.output`); the JSON Lines imports share :mod:`.jsonl`.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from web.cli import domain_commands, label_commands, ledger_commands

    for module in (ledger_commands, domain_commands, label_commands):
        module.init_app(app)
