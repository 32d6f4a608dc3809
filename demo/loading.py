"""Recording the demo season through the same schema and services as the API.

Used by ``flask demo seed`` and by ``scripts/bench.py api``. Master data and accounts go through
:class:`~ledger.supplychain.masterdata.MasterData` and
:class:`~ledger.supplychain.accounts.Accounts`, the packhouse's label key through
:func:`labels.label_keys.create_label_key`; every event request is loaded by
:func:`schemas.events.load_command` and recorded by the
:class:`~ledger.supplychain.recording.recorder.Recorder`, in batches of up to 1,000 across
callers. Steps the season marks as refused must be refused, or seeding fails: the demo shows the
rules working.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from demo.masterdata import DEMO_PASSWORD
from demo.season import Season
from labels.label_keys import create_label_key
from ledger.common.errors import LedgerError
from ledger.common.messages import Message
from ledger.supplychain.accounts import Accounts, Principal
from ledger.supplychain.commands import Command
from ledger.supplychain.masterdata import MasterData
from ledger.supplychain.recording.recorder import Recorder
from ledger.tlog.log import Log
from schemas.events import load_command

SEED_ACTOR = Principal(None, "demo-seed", "admin", None)
BATCH = 1000


@dataclass
class SeedReport:
    recorded: int = 0
    repeated: int = 0
    refusals: list[Message] = field(default_factory=list)


def save_master_data(log: Log, season: Season) -> None:
    masterdata = MasterData(log.engine, log.clock)
    reason = "Dữ liệu mẫu"
    for kind, records in (
        ("organisation", season.organisations),
        ("location", season.locations),
        ("product", season.products),
        ("input_product", season.input_products),
    ):
        for key, values in records.items():
            masterdata.save(SEED_ACTOR, kind, key, values, reason)
    for organisation, prefixes in season.label_keys.items():
        if log.active_label_key(organisation) is None:
            create_label_key(log, organisation, prefixes, reason, by=SEED_ACTOR.username)


def principals(log: Log, season: Season, *, create_accounts: bool) -> dict[str, Principal]:
    """The season's people; with ``create_accounts`` they can also sign in (demo password)."""
    accounts = Accounts(log.engine, log.clock)
    found: dict[str, Principal] = {}
    for username, (role, organisation, display_name) in season.accounts.items():
        if create_accounts:
            info = accounts.create_account(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                organisation=organisation,
                display_name=display_name,
                by=SEED_ACTOR.username,
            )
            found[username] = Principal(info.id, username, role, organisation)
        else:
            found[username] = Principal(None, username, role, organisation)
    return found


def record_steps(
    recorder: Recorder,
    season: Season,
    people: dict[str, Principal],
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    report = SeedReport()
    pending: list[tuple[Principal, Command]] = []

    def flush() -> None:
        if pending:
            results = recorder.record_many(pending)
            report.recorded += sum(1 for r in results if not r.repeated)
            report.repeated += sum(1 for r in results if r.repeated)
            if progress is not None:
                progress(len(pending))
            pending.clear()

    for step in season.steps:
        item = (people[step.username], load_command(step.request))
        if item[1].type == "correction":
            flush()  # a correction refers to an entry of an earlier transaction
        if not step.refused:
            pending.append(item)
            if len(pending) >= BATCH:
                flush()
            continue
        flush()
        try:
            recorder.record(*item)
        except LedgerError as error:
            report.refusals.append(error.message)
        else:
            raise RuntimeError(f"the demo expected this step to be refused: {step.request}")
    flush()
    return report


def seed(
    log: Log, recorder: Recorder, season: Season, *, create_accounts: bool = True
) -> SeedReport:
    save_master_data(log, season)
    people = principals(log, season, create_accounts=create_accounts)
    return record_steps(recorder, season, people)
