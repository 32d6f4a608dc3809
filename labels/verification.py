"""What the public page says about a scanned label: three checks and the journey.

1. **The label**: issued by this ledger for this lot and signed by the key its issuing entry named
   (:func:`labels.verify.check_issued_label`); a failure keeps its typed verdict.
2. **The ledger**: the issuing entry is included in the latest signed checkpoint. The server
   recomputes the leaf from the stored bytes, checks the inclusion proof against the checkpoint's
   root and the checkpoint's signature against the log key: «đầy đủ tính đến checkpoint N».
3. **The lot**: recalled (with the reason and what to do), on hold, past its best-before date,
   sold out.

The page's JavaScript repeats checks 1 and 2 on the shopper's own device from the same public
data; this module is what the server says before that, and what the JSON answer carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from labels.digital_link import LabelUrl, parse_label_url
from labels.errors import LabelError, LabelNotIssuedError, MalformedLabelError
from labels.scans import ScanLog, ScanStats
from labels.verify import check_issued_label
from ledger import lots, merkle
from ledger.checkpoint import parse_checkpoint
from ledger.errors import LedgerError
from ledger.journey import journey, public_name
from ledger.label_issues import IssuedLabel, issued_label
from ledger.log import Log
from ledger.masterdata import MasterData
from ledger.messages import Message
from ledger.note import open_note

GENUINE, WARNING, INVALID = "genuine", "warning", "invalid"


@dataclass
class LabelVerification:
    """Everything the page and the JSON answer show; plain data, no markup."""

    gtin: str
    lot_code: str
    serial: str | None
    lot: dict[str, Any]
    product: dict[str, Any]
    journey: dict[str, Any]
    #: "valid", a :class:`~labels.errors.LabelError` verdict, or None for a lot without serial.
    signature: str | None = None
    signature_problem: Message | None = None
    signed_by: str | None = None
    #: The signing organisation's public name (a household farm's is never shown).
    signed_by_name: str | None = None
    label_number: int | None = None
    labels_in_lot: int | None = None
    issue_entry: int | None = None
    #: "included" in the checkpoint, "pending" until the next one, or None.
    ledger: str | None = None
    checkpoint_size: int | None = None
    leaf_hash: str | None = None
    #: "recalled", "on_hold", "expired", "sold_out", "in_transit".
    lot_status: list[str] = field(default_factory=list)
    #: The serial's scans so far, and plain words when they look like a copied label.
    scan_stats: ScanStats | None = None
    scan_warning: Message | None = None

    @property
    def overall(self) -> str:
        if self.signature is not None and self.signature != "valid":
            return INVALID
        if (
            self.lot_status
            or self.scan_warning is not None
            or (self.signature is not None and self.ledger != "included")
        ):
            return WARNING
        return GENUINE


def _lot_status(lot: dict[str, Any], today: date) -> list[str]:
    status = []
    if lot["recalled_by"] is not None:
        status.append("recalled")
    if lot["on_hold_by"] is not None:
        status.append("on_hold")
    if lot["best_before"] and lot["best_before"] < today.isoformat():
        status.append("expired")
    if lot["status"] == "depleted":
        status.append("sold_out")
    if lot["status"] == "in_transit":
        status.append("in_transit")
    return status


def verify_lot(log: Log, gtin: str, lot_code: str, today: date) -> LabelVerification:
    """The page of a lot (a Digital Link without serial): its journey and status."""
    lot_id = f"lot:{gtin}/{lot_code}"
    lot = lots.lot(log.engine, lot_id)  # NotFoundError for an unknown lot: the page's 404
    product = MasterData(log.engine, log.clock).get("product", gtin)
    return LabelVerification(
        gtin=gtin,
        lot_code=lot_code,
        serial=None,
        lot=lot,
        product={"name_vi": product["name_vi"], "name_en": product["name_en"]},
        journey=journey(log, lot_id),
        lot_status=_lot_status(lot, today),
    )


def verify_label(
    log: Log, url: str, today: date, scans: ScanLog | None = None
) -> LabelVerification:
    """The page of a scanned label. Raises :class:`~labels.errors.MalformedLabelError` for a URL
    that is no label, and :class:`~labels.errors.LabelNotIssuedError` (404) for a serial this
    ledger never issued; any other failure is a verdict on the page. With ``scans``, the
    serial's scans so far are weighed for signs of a copied label."""
    parsed: LabelUrl = parse_label_url(url)
    label = parsed.label
    page = verify_lot(log, label.gtin, label.lot, today)
    page.serial = label.serial
    if scans is not None:
        page.scan_stats = scans.serial_stats(label.gtin, label.serial)
        page.scan_warning = scans.warning(page.scan_stats)
    try:
        checked = check_issued_label(log, url)
    except LabelNotIssuedError:
        raise
    except MalformedLabelError as error:
        page.signature = "unsigned" if parsed.signature is None else error.verdict
        page.signature_problem = error.message
        return page
    except LabelError as error:
        page.signature, page.signature_problem = error.verdict, error.message
        issued = _issued_anyway(log, label.gtin, label.serial)
        if issued is not None:
            _fill_issue(page, issued)
            _fill_ledger(log, page)
        return page
    page.signature = "valid"
    page.signed_by = checked.key.organisation
    if page.signed_by is not None:
        page.signed_by_name = public_name(log, page.signed_by)
    _fill_issue(page, checked.issued)
    _fill_ledger(log, page)
    return page


def _issued_anyway(log: Log, gtin: str, serial: str) -> IssuedLabel | None:
    with log.engine.connect() as connection:
        return issued_label(connection, gtin, serial)


def _fill_issue(page: LabelVerification, issued: IssuedLabel) -> None:
    page.label_number = issued.number
    page.labels_in_lot = issued.of
    page.issue_entry = issued.issue.entry_idx


def _fill_ledger(log: Log, page: LabelVerification) -> None:
    """Check that the issuing entry is in the latest signed checkpoint."""
    assert page.issue_entry is not None
    index = page.issue_entry
    entry = log.entry(index)
    leaf = merkle.leaf_hash(entry.data)
    page.leaf_hash = leaf.hex()
    latest = log.latest_checkpoint()
    keys = [k.verifier for k in log.keys("log")]
    try:
        note = open_note(latest.note, keys)
        checkpoint = parse_checkpoint(note.text)
    except LedgerError:  # pragma: no cover - the log signs only what it can verify
        page.ledger = None
        return
    if index >= checkpoint.size:
        page.ledger = "pending"
        return
    proof = log.inclusion_proof(index, checkpoint.size)
    try:
        merkle.verify_inclusion(index, checkpoint.size, leaf, proof.hashes, checkpoint.root)
    except LedgerError:  # pragma: no cover - a broken tree; the audit says where
        page.ledger = None
        return
    page.ledger = "included"
    page.checkpoint_size = checkpoint.size
