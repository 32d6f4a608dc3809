"""Printing a lot's labels: every issued serial, signed and drawn, in PDFs of at most 1,000 labels
each, zipped.

A whole lot (10,000 labels and more) is a long job, so :func:`print_lot_labels` reports progress
as it goes and keeps little in memory: one PDF at a time, written straight into the zip. It signs
each serial with the key its issuing entry named, so labels printed again after a key rotation
are the same labels. The command line (``flask labels print``) and the web's print jobs both
call it.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from labels.digital_link import label_url
from labels.label_keys import label_signer
from labels.layouts import LAYOUTS, Layout
from labels.sheet import LABELS_PER_PDF, LabelText, PrintedLabel, label_text, write_sheets
from labels.signature import LabelId, sign_label
from ledger.common.errors import InvalidInputError, NotFoundError
from ledger.common.messages import N_, Message
from ledger.supplychain import lots
from ledger.supplychain.custody import VIETNAM
from ledger.supplychain.errors import ForbiddenError, RuleViolationError
from ledger.supplychain.label_issues import LabelIssue, lot_label_issues
from ledger.supplychain.masterdata import MasterData
from ledger.supplychain.recording.subjects import lot_parts
from ledger.supplychain.trace import trace_back
from ledger.tlog.canonical import parse_time
from ledger.tlog.key_registry import ROLE_LABEL
from ledger.tlog.log import Log

#: Called with (labels done, labels in all).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PrintedLot:
    labels: int
    files: tuple[str, ...]


def layout_named(name: str) -> Layout:
    layout = LAYOUTS.get(name)
    if layout is None:
        raise InvalidInputError(
            errors={
                "layout": [
                    Message(
                        N_("Unknown layout {value!r}; choose one of {choices}."),
                        value=name,
                        choices=", ".join(LAYOUTS),
                    )
                ]
            }
        )
    return layout


def _day(event_time: str) -> date:
    return parse_time(event_time).astimezone(VIETNAM).date()


def lot_label_text(log: Log, lot_id: str) -> LabelText:
    """What the lot's labels say: the product, who grew or raised it (the cooperative where it
    has one, else the farm), the harvest or slaughter date(s), and the lot code."""
    trace = trace_back(log.engine, lot_id)
    masterdata = MasterData(log.engine, log.clock)
    gtin, code = lot_parts(lot_id)
    product = masterdata.get("product", gtin)["name_vi"]
    producers: dict[str, None] = {}
    for origin in trace["origins"]:
        for facts in origin["facts"]:
            organisation = facts.get("cooperative") or facts.get("producer")
            if organisation:
                producers[masterdata.get("organisation", organisation, full=True)["name"]] = None
    roots = {origin["lot"] for origin in trace["origins"]}
    days = sorted(_day(lot["created_event_time"]) for lot in trace["lots"] if lot["id"] in roots)
    harvest = days[0].strftime("%d/%m/%Y") if days else "-"
    if days and days[-1] != days[0]:
        harvest += "–" + days[-1].strftime("%d/%m/%Y")
    return label_text(product, ", ".join(producers) or "-", harvest, code)


def _issues_to_print(log: Log, lot_id: str, holder: str | None) -> list[LabelIssue]:
    lot = lots.lot(log.engine, lot_id)
    if holder is not None and lot["holder"] != holder:
        raise ForbiddenError(
            N_("Lot {lot} is held by {holder}; only its holder can {action} it."),
            lot=lot_id,
            holder=lot["holder"],
            action=Message(N_("print the labels of")),
        )
    with log.engine.connect() as connection:
        issues = lot_label_issues(connection, lot_id)
    if not issues:
        raise RuleViolationError(
            N_("No labels were issued for lot {lot}; issue them first (a label.issue event)."),
            errors={"lot": [Message(N_("No labels were issued for this lot."))]},
            lot=lot_id,
        )
    return issues


def count_labels(log: Log, lot_id: str, holder: str | None = None) -> int:
    """How many labels a print of the lot holds (checking, like the print, who may print)."""
    return sum(issue.count for issue in _issues_to_print(log, lot_id, holder))


def issued_labels(
    log: Log, lot_id: str, base: str, issues: list[LabelIssue] | None = None
) -> Iterator[PrintedLabel]:
    """Every issued label of the lot (or of the given issues), signed, in serial order."""
    if issues is None:
        issues = _issues_to_print(log, lot_id, None)
    text = lot_label_text(log, lot_id)
    gtin, code = lot_parts(lot_id)
    keys = {k.verifier.vkey: k for k in log.keys(ROLE_LABEL)}
    for issue in issues:
        record = keys.get(issue.label_key)
        if record is None:  # pragma: no cover - the audit checks every issue's key
            raise NotFoundError(N_("There is no label key {vkey}."), vkey=issue.label_key)
        signer = label_signer(log, record)
        for serial in range(issue.first_serial, issue.last_serial + 1):
            label = LabelId(gtin, code, str(serial))
            url = label_url(base, label, sign_label(signer, log.origin, label))
            yield PrintedLabel(url, label.serial, text)


def print_lot_labels(
    log: Log,
    lot_id: str,
    layout_name: str,
    base: str,
    target: Path,
    *,
    holder: str | None = None,
    progress: Progress | None = None,
) -> PrintedLot:
    """Write every issued label of the lot into the zip ``target``, 1,000 labels per PDF.

    ``holder``, when given, must be the lot's holder (the web passes the caller's organisation;
    the command line, run by an operator, does not). The zip is written beside ``target`` and
    renamed into place when complete, so a reader never sees half of it.
    """
    layout = layout_named(layout_name)
    issues = _issues_to_print(log, lot_id, holder)
    total = sum(issue.count for issue in issues)
    gtin, code = lot_parts(lot_id)
    stem = f"{gtin}-{_file_safe(code)}-{layout.name}"
    labels = issued_labels(log, lot_id, base, issues)
    done = 0
    files: list[str] = []
    partial = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
            while done < total:
                count = min(LABELS_PER_PDF, total - done)
                name = f"{stem}-{done + 1:06d}-{done + count:06d}.pdf"
                chunk = (next(labels) for _ in range(count))

                def advanced() -> None:
                    nonlocal done
                    done += 1
                    if progress is not None and (done % 50 == 0 or done == total):
                        progress(done, total)

                with archive.open(name, "w") as handle:
                    write_sheets(chunk, layout, handle, f"{gtin} {code} {name}", on_label=advanced)
                files.append(name)
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    return PrintedLot(done, tuple(files))


def _file_safe(code: str) -> str:
    """A lot code in a file name: GS1 character set 82 allows '/' and other awkward characters."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in code)
