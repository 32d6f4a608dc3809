"""A separate process that sells from one lot, for the custody concurrency test.

    python -m tests.ledger.supplychain.seller SETTINGS_JSON LOT COUNT

Tries COUNT sales of 1 kg as the lot's holder and prints ``sold <index>`` or ``refused <code>``
after each attempt.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ledger.common.errors import LedgerError
from ledger.common.settings import LedgerSettings
from ledger.supplychain.recording.recorder import Recorder
from ledger.tlog.bootstrap import open_log
from schemas.events import load_command
from tests.support.world import FARMER_A


def main() -> None:
    raw = json.loads(sys.argv[1])
    raw["key_file"] = Path(raw["key_file"])
    log = open_log(LedgerSettings(**raw), signer_required=True)
    recorder = Recorder(log)
    lot, count = sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    for _ in range(count):
        command = load_command(
            {
                "type": "sell",
                "event_time": sys.argv[4],
                "data": {"lot": lot, "quantity": "1"},
            }
        )
        try:
            print(f"sold {recorder.record(FARMER_A, command).index}", flush=True)
        except LedgerError as error:
            print(f"refused {error.code}", flush=True)


if __name__ == "__main__":
    main()
