"""A separate appending process for the concurrency and crash tests.

    python -m tests.ledger.tlog.appender SETTINGS_JSON WORKER COUNT [BATCH]

Appends COUNT events, alternating between a subject shared by every worker and one of its own,
and prints ``ack <index>`` (flushed) after each transaction commits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ledger.common.settings import LedgerSettings
from ledger.tlog.bootstrap import open_log
from tests.support.factories import simple_event


def main() -> None:
    raw = json.loads(sys.argv[1])
    raw["key_file"] = Path(raw["key_file"])
    settings = LedgerSettings(**raw)
    worker, count = int(sys.argv[2]), int(sys.argv[3])
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    log = open_log(settings, signer_required=True)
    print("ready", flush=True)
    for start in range(0, count, batch):
        events = [
            simple_event(
                "flock:shared" if (start + i) % 2 == 0 else f"flock:worker-{worker}",
                worker=worker,
                number=start + i,
            )
            for i in range(min(batch, count - start))
        ]
        for result in log.append_batch(events):
            print(f"ack {result.index}", flush=True)


if __name__ == "__main__":
    main()
