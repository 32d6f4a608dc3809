"""What the public page says about a scanned label: three checks and the journey.

1. **The label**: issued by this ledger for this lot and signed by the key its issuing entry named
   (:func:`labels.authenticity.check_issued_label`); a failure keeps its typed verdict.
2. **The ledger**: the issuing entry is included in the latest signed checkpoint. The server
   recomputes the leaf from the stored bytes, checks the inclusion proof against the checkpoint's
   root and the checkpoint's signature against the log key: «đầy đủ tính đến checkpoint N».
3. **The lot**: recalled (with the reason and what to do), on hold, past its best-before date,
   sold out.

The page's JavaScript repeats checks 1 and 2 on the shopper's own device from the same public
data; this module is what the server says before that, and what the JSON answer carries.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from labels.authenticity import check_issued_label
from labels.digital_link import LabelUrl, parse_label_url
from labels.errors import LabelError, LabelNotIssuedError, MalformedLabelError
from labels.scans import ScanLog, ScanStats
from ledger.common.errors import LedgerError
from ledger.common.messages import Message
from ledger.supplychain import lots
from ledger.supplychain.journey import journey, public_name
from ledger.supplychain.label_issues import IssuedLabel, holder_at, issued_label
from ledger.supplychain.masterdata import MasterData
from ledger.supplychain.photos import StoredPhoto, public_photos
from ledger.tlog import merkle
from ledger.tlog.checkpoint import parse_checkpoint
from ledger.tlog.key_registry import ROLE_LABEL
from ledger.tlog.log import Log
from ledger.tlog.memo import LedgerMemo
from ledger.tlog.note import open_note

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
    #: The log key whose fingerprint the page prints, to compare with the province's.
    log_key: str = ""
    log_key_fingerprint: str = ""
    #: The public photos of each journey step, by the step's entry index.
    photos: dict[int, list[StoredPhoto]] = field(default_factory=dict)

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
    if lot["custody"] == "depleted":
        status.append("sold_out")
    if lot["custody"] == "in_transit":
        status.append("in_transit")
    return status


#: The page's reads of the ledger, remembered while the ledger has not grown (see LedgerMemo):
#: a shop's shelf of labels of one lot costs one journey, not one per scan.
MEMO = LedgerMemo()


def _memo_key(log: Log, *parts: Hashable) -> tuple[Hashable, ...]:
    return (log.settings.database_url, log.origin, *parts)


def verify_lot(
    log: Log, gtin: str, lot_code: str, today: date, size: int | None = None
) -> LabelVerification:
    """The page of a lot (a Digital Link without serial): its journey and status."""
    lot_id = f"lot:{gtin}/{lot_code}"
    size = log.size() if size is None else size

    def read() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        lot = lots.lot(log.engine, lot_id)  # NotFoundError for an unknown lot: the page's 404
        product = MasterData(log.engine, log.clock).get("product", gtin)
        names = {"name_vi": product["name_vi"], "name_en": product["name_en"]}
        return lot, names, journey(log, lot_id)

    lot, product, lot_journey = MEMO.get(size, _memo_key(log, "lot", lot_id), read)
    key = MEMO.get(size, _memo_key(log, "log key"), log.active_log_key).verifier
    return LabelVerification(
        log_key=key.vkey,
        log_key_fingerprint=key.fingerprint,
        gtin=gtin,
        lot_code=lot_code,
        serial=None,
        lot=lot,
        product=product,
        journey=lot_journey,
        lot_status=_lot_status(lot, today),
        photos=_public_photos(log, lot_journey),
    )


def _public_photos(log: Log, lot_journey: dict[str, Any]) -> dict[int, list[StoredPhoto]]:
    """The photos of the journey's steps that are public now. Read on every view, not
    remembered with the journey: a photo is made public or private again without the ledger
    growing."""
    steps = [step for step in lot_journey["steps"] if step.get("photos")]
    if not steps:
        return {}
    public = public_photos(log.engine, [sha for step in steps for sha in step["photos"]])
    shown = {
        step["entry"]: [public[sha] for sha in step["photos"] if sha in public] for step in steps
    }
    return {entry: photos for entry, photos in shown.items() if photos}


def verify_label(
    log: Log, url: str, today: date, scans: ScanLog | None = None
) -> LabelVerification:
    """The page of a scanned label. Raises :class:`~labels.errors.MalformedLabelError` for a URL
    that is no label, and :class:`~labels.errors.LabelNotIssuedError` (404) for a serial this
    ledger never issued; any other failure is a verdict on the page. With ``scans``, the
    serial's scans so far are weighed for signs of a copied label."""
    parsed: LabelUrl = parse_label_url(url)
    label = parsed.label
    size = log.size()
    page = verify_lot(log, label.gtin, label.lot, today, size)
    page.serial = label.serial
    if scans is not None:
        page.scan_stats = scans.serial_stats(label.gtin, label.serial)
        page.scan_warning = scans.warning(page.scan_stats)
    issued = MEMO.get(
        size,
        _memo_key(log, "issued", label.gtin, label.serial),
        lambda: _read_issued_label(log, label.gtin, label.serial),
    )
    records = MEMO.get(size, _memo_key(log, "label keys"), lambda: log.keys(ROLE_LABEL))
    holder = None
    if issued is not None:
        issue = issued.issue
        holder = MEMO.get(
            size,
            _memo_key(log, "holder", issue.lot, issue.entry_idx),
            lambda: holder_at(log, issue.lot, issue.entry_idx),
        )
    try:
        checked = check_issued_label(log, url, issued=issued, records=records, holder=holder)
    except LabelNotIssuedError:
        raise
    except MalformedLabelError as error:
        page.signature = "unsigned" if parsed.signature is None else error.verdict
        page.signature_problem = error.message
        return page
    except LabelError as error:
        page.signature, page.signature_problem = error.verdict, error.message
        if issued is not None:
            _fill_issue(page, issued)
            _fill_ledger(log, page, size)
        return page
    page.signature = "valid"
    page.signed_by = checked.key.organisation
    if page.signed_by is not None:
        signer = page.signed_by
        page.signed_by_name = MEMO.get(
            size, _memo_key(log, "name", signer), lambda: public_name(log, signer)
        )
        if page.signed_by_name is None:
            page.signed_by = None  # a household farm: neither its name nor its GLN on the page
    _fill_issue(page, checked.issued)
    _fill_ledger(log, page, size)
    return page


def _read_issued_label(log: Log, gtin: str, serial: str) -> IssuedLabel | None:
    with log.engine.connect() as connection:
        return issued_label(connection, gtin, serial)


def _fill_issue(page: LabelVerification, issued: IssuedLabel) -> None:
    page.label_number = issued.number
    page.labels_in_lot = issued.of
    page.issue_entry = issued.issue.entry_idx


def _fill_ledger(log: Log, page: LabelVerification, size: int) -> None:
    """Check that the issuing entry is in the latest signed checkpoint."""
    assert page.issue_entry is not None
    index = page.issue_entry
    page.leaf_hash, page.ledger, page.checkpoint_size = MEMO.get(
        size,
        _memo_key(log, "inclusion", index),
        lambda: _inclusion(log, index),
        # "pending" changes without the tree growing, when the next checkpoint is signed.
        keep=lambda found: found[1] == "included",
    )


def _inclusion(log: Log, index: int) -> tuple[str, str | None, int | None]:
    """(leaf hash, "included" / "pending" / None, checkpoint size): the entry's leaf recomputed
    from its stored bytes, proved into the latest checkpoint, whose signature is checked."""
    leaf = merkle.leaf_hash(log.entry(index).data)
    latest = log.latest_checkpoint()
    keys = [k.verifier for k in log.keys("log")]
    try:
        checkpoint = parse_checkpoint(open_note(latest.note, keys).text)
    except LedgerError:  # pragma: no cover - the log signs only what it can verify
        return leaf.hex(), None, None
    if index >= checkpoint.size:
        return leaf.hex(), "pending", None
    proof = log.inclusion_proof(index, checkpoint.size)
    try:
        merkle.verify_inclusion(index, checkpoint.size, leaf, proof.hashes, checkpoint.root)
    except LedgerError:  # pragma: no cover - a broken tree; the audit says where
        return leaf.hex(), None, None
    return leaf.hex(), "included", checkpoint.size
