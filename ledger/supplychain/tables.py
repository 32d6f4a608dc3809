"""Tables of the supply chain: master data (mutable, every change versioned), accounts, and the
domain's state beside the log, derived from entries and written in the same transaction."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.common.tables import Base, Position, table_of


class Organisation(Base):
    """A party of the supply chain, known by its GLN. ``roles`` is a space-separated set."""

    __tablename__ = "organisation"

    gln: Mapped[str] = mapped_column(String(13), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    roles: Mapped[str] = mapped_column(String(256))
    #: The cooperative a farm or household belongs to.
    member_of: Mapped[str | None] = mapped_column(String(13))
    #: The edition of the administrative divisions the codes belong to: "2025" or "pre-2025"
    #: (see :mod:`ledger.supplychain.places`).
    divisions: Mapped[str] = mapped_column(String(8), server_default="2025")
    province_code: Mapped[str | None] = mapped_column(String(8))
    #: Before 2025 the district; in the 2025 edition the area (former district) of the commune.
    district_code: Mapped[str | None] = mapped_column(String(8))
    commune_code: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)


class Location(Base):
    """A place with a GLN: a farm plot, a chicken house, a packhouse, a store, …"""

    __tablename__ = "location"
    __table_args__ = (Index("ix_location_organisation", "organisation"),)

    gln: Mapped[str] = mapped_column(String(13), primary_key=True)
    organisation: Mapped[str] = mapped_column(ForeignKey("organisation.gln"))
    kind: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(Text)
    #: As for organisations: the edition of the codes, and the district or area.
    divisions: Mapped[str] = mapped_column(String(8), server_default="2025")
    district_code: Mapped[str | None] = mapped_column(String(8))
    commune_code: Mapped[str | None] = mapped_column(String(8))
    in_gi_area: Mapped[bool] = mapped_column(Boolean)
    #: Canonical decimals, kept as text so no database rounds them.
    area_ha: Mapped[str | None] = mapped_column(String(40))
    usable_area_m2: Mapped[str | None] = mapped_column(String(40))
    latitude: Mapped[str | None] = mapped_column(String(40))
    longitude: Mapped[str | None] = mapped_column(String(40))
    #: GLNs of the organisations the owner lets act here (a cold store's or a packhouse's
    #: clients), space-separated; versioned with the rest of the location.
    clients: Mapped[str] = mapped_column(Text, server_default="")
    #: What a farm plot grows: a kind of product harvested there (``CROP_KINDS``); a pesticide
    #: sprayed on it must be registered for that crop.
    crop: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)


class Product(Base):
    """A trade item by GTIN-14, in one base unit (kg or head)."""

    __tablename__ = "product"

    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(8))
    name_vi: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    #: Plausibility bounds, canonical decimals as text: a harvest of more per hectare of its
    #: plot, a weighing of heavier birds, a slaughter of heavier carcasses needs a reason.
    max_harvest_kg_per_ha: Mapped[str | None] = mapped_column(String(40))
    max_live_kg_per_head: Mapped[str | None] = mapped_column(String(40))
    max_carcass_kg_per_head: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)


class InputProduct(Base):
    """A farm input as registered for use: a pesticide, fertiliser, veterinary drug, vaccine or
    feed, known by a code of our own. Public product facts, versioned like other master data."""

    __tablename__ = "input_product"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    #: Vietnam's registration of a plant-protection product or veterinary drug.
    registration_no: Mapped[str | None] = mapped_column(String(64))
    #: JSON: a list of ``{"name", "concentration"}``.
    active_ingredients: Mapped[str] = mapped_column(Text, server_default="[]")
    #: The crops (product kinds) it is registered for, space-separated.
    crops: Mapped[str] = mapped_column(Text, server_default="")
    phi_days: Mapped[int | None] = mapped_column(Integer)
    withdrawal_days: Mapped[int | None] = mapped_column(Integer)
    dose_unit: Mapped[str | None] = mapped_column(String(32))
    #: A fertiliser's nutrients, canonical decimals as text.
    n_pct: Mapped[str | None] = mapped_column(String(40))
    p_pct: Mapped[str | None] = mapped_column(String(40))
    k_pct: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)


class Certificate(Base):
    """A certificate as issued and revoked by ledger events (``cert:`` subjects)."""

    __tablename__ = "certificate"
    __table_args__ = (Index("ix_certificate_holder", "holder"),)

    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    scheme: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(String(13))
    holder: Mapped[str] = mapped_column(String(13))
    #: JSON: the GLNs of the locations and the product kinds the certificate covers.
    scope: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[str] = mapped_column(String(10))
    valid_to: Mapped[str] = mapped_column(String(10))
    issued_entry: Mapped[int] = mapped_column(BigInteger)
    revoked_entry: Mapped[int | None] = mapped_column(BigInteger)
    revoked_on: Mapped[str | None] = mapped_column(String(10))


class MasterVersion(Base):
    """Every version of every master-data record: what it became, who changed it, when, why."""

    __tablename__ = "master_version"
    __table_args__ = (UniqueConstraint("kind", "key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(256))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)


class Account(Base):
    """A person who signs in. Personal data (the display name) lives here, never in the log."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    organisation: Mapped[str | None] = mapped_column(ForeignKey("organisation.gln"))
    display_name: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    #: Sessions carry the generation they were signed in under; signing out, a new password
    #: and deactivation move it on, which ends every session of the account at once.
    session_generation: Mapped[int] = mapped_column(Integer, server_default="0")


class ApiToken(Base):
    """A bearer token, stored as its SHA-256 only, scoped to one organisation and role."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    account: Mapped[int] = mapped_column(ForeignKey("account.id"))
    organisation: Mapped[str | None] = mapped_column(String(13))
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str] = mapped_column(String(32))
    revoked_at: Mapped[str | None] = mapped_column(String(32))


class RecordedEvent(Base):
    """What the domain recorded at each entry: by whom (off the public log), its type and time.

    ``command_digest`` recognises idempotent repeats of a client's command before any rule is
    re-evaluated against a state that has since moved on; the repeat itself is found by the
    entry's own unique (idempotency key, actor), which this table does not copy.
    """

    __tablename__ = "recorded_event"
    __table_args__ = (
        # Only corrections have it: reads of a corrected entry look for them.
        Index(
            "ix_recorded_event_corrects",
            "corrects",
            sqlite_where=text("corrects IS NOT NULL"),
            postgresql_where=text("corrects IS NOT NULL"),
        ),
    )

    entry_idx: Mapped[int] = mapped_column(Position, primary_key=True, autoincrement=False)
    event_type: Mapped[str] = mapped_column(String(64))
    event_time_utc: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(13))
    account: Mapped[int | None] = mapped_column(Integer)
    command_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: The entry this one corrects, if it is a correction.
    corrects: Mapped[int | None] = mapped_column(BigInteger)


class Lot(Base):
    """A lot's current custody and quantity, as the entries so far make it."""

    __tablename__ = "lot"
    __table_args__ = (
        Index("ix_lot_holder", "holder"),
        Index("ix_lot_gtin_lot_code", "gtin", "lot_code"),
        Index("ix_lot_source", "source"),
        Index("ix_lot_created_utc", "created_utc"),
    )

    id: Mapped[str] = mapped_column(String(256), primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14))
    lot_code: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(8))
    holder: Mapped[str] = mapped_column(String(13))
    #: Canonical decimals: what the lot was created with and what is available now.
    created_quantity: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    #: While in transit: the receiver and the shipping entry.
    receiver: Mapped[str | None] = mapped_column(String(13))
    shipment_entry: Mapped[int | None] = mapped_column(BigInteger)
    created_entry: Mapped[int] = mapped_column(BigInteger)
    created_event_time: Mapped[str] = mapped_column(String(32))
    #: The same instant in UTC, so that date ranges can be searched in order.
    created_utc: Mapped[str] = mapped_column(String(32))
    #: The root farm lots' origin facts as ledgered (JSON), for the public page and searches.
    origin: Mapped[str] = mapped_column(Text)
    best_before: Mapped[str | None] = mapped_column(String(10))
    units: Mapped[int | None] = mapped_column(Integer)
    recall_entry: Mapped[int | None] = mapped_column(BigInteger)
    hold_entry: Mapped[int | None] = mapped_column(BigInteger)
    #: The plot, house or flock a root lot was harvested or slaughtered from (its subject id).
    source: Mapped[str | None] = mapped_column(String(256))
    updated_entry: Mapped[int] = mapped_column(BigInteger)
    #: The organisation that made the lot (by harvest, placement, slaughter, pack, merge or
    #: transform); a part split off for a shipment keeps the creator of the lot it came from.
    #: The creator recalls the lot and all that was made from it.
    creator: Mapped[str] = mapped_column(String(13), server_default="")


class LotEdge(Base):
    """``child`` was made from ``quantity`` of ``parent`` at entry ``entry_idx``."""

    __tablename__ = "lot_edge"
    __table_args__ = (Index("ix_lot_edge_child", "child"),)

    parent: Mapped[str] = mapped_column(String(256), primary_key=True)
    child: Mapped[str] = mapped_column(String(256), primary_key=True)
    entry_idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    quantity: Mapped[str] = mapped_column(String(40))


class SafetyInterval(Base):
    """A pre-harvest interval or withdrawal period running on a plot or a flock."""

    __tablename__ = "safety_interval"
    __table_args__ = (Index("ix_safety_interval_subject", "subject"),)

    entry_idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    subject: Mapped[str] = mapped_column(String(256), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    what: Mapped[str] = mapped_column(Text)
    days: Mapped[int] = mapped_column(Integer)
    applied_at_utc: Mapped[str] = mapped_column(String(32))
    safe_from_utc: Mapped[str] = mapped_column(String(32))
    #: What started it, for pages that show it: the event type, the input product's code and
    #: its active ingredients (JSON list); empty on intervals recorded before they were kept.
    event_type: Mapped[str | None] = mapped_column(String(64))
    input_product: Mapped[str | None] = mapped_column(String(64))
    active_ingredients: Mapped[str | None] = mapped_column(Text)


class LotBlock(Base):
    """A recall or a hold on a lot, active until lifted. A lot may carry several at once; it
    moves again only when none is active (``lot.recall_entry``/``hold_entry`` name the newest
    active one, for quick checks)."""

    __tablename__ = "lot_block"
    __table_args__ = (Index("ix_lot_block_entry_idx", "entry_idx"),)

    lot: Mapped[str] = mapped_column(String(256), primary_key=True)
    entry_idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(8))
    lifted_entry: Mapped[int | None] = mapped_column(BigInteger)


class Recall(Base):
    """A recall and, once lifted, the entry that lifted it."""

    __tablename__ = "recall"

    entry_idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    lots: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    lifted_entry: Mapped[int | None] = mapped_column(BigInteger)


class RecallRequest(Base):
    """A holder's request that a lot it did not make be recalled, until its creator or an
    authority confirms it (a recall entry) or dismisses it (with a reason)."""

    __tablename__ = "recall_request"
    __table_args__ = (Index("ix_recall_request_lot", "lot"),)

    entry_idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    lot: Mapped[str] = mapped_column(String(256))
    requested_by: Mapped[str] = mapped_column(String(13))
    reason: Mapped[str] = mapped_column(Text)
    consumer_action: Mapped[str | None] = mapped_column(Text)
    #: "confirmed" or "dismissed" once decided, by the entry ``resolved_entry``.
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolved_entry: Mapped[int | None] = mapped_column(BigInteger)


class LabelIssue(Base):
    """The serials ``[first_serial, last_serial]`` of a GTIN that entry ``entry_idx`` issued for a
    lot, signed by ``label_key``. Serials are unique per GTIN: ranges never overlap."""

    __tablename__ = "label_issue"
    __table_args__ = (
        Index("ix_label_issue_gtin_last_serial", "gtin", "last_serial", unique=True),
        Index("ix_label_issue_lot", "lot"),
    )

    entry_idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    gtin: Mapped[str] = mapped_column(String(14))
    lot: Mapped[str] = mapped_column(String(256))
    issuer: Mapped[str] = mapped_column(String(13))
    first_serial: Mapped[int] = mapped_column(BigInteger)
    last_serial: Mapped[int] = mapped_column(BigInteger)
    label_key: Mapped[int] = mapped_column(ForeignKey("log_key.id"))


class LabelScan(Base):
    """One scan of a label's page, kept off the ledger for at most 90 days, then summed up.

    ``client`` is a keyed hash of the client's address under a salt that lives one day, in
    memory only: scans of one day can be told apart by client, scans of two days cannot.
    ``area`` is set on the rows a shopper adds by sharing a location, rounded to about a district.
    """

    __tablename__ = "label_scan"
    __table_args__ = (
        Index("ix_label_scan_gtin_serial", "gtin", "serial"),
        Index("ix_label_scan_day", "day"),
        Index("ix_label_scan_lot", "lot"),
    )

    id: Mapped[int] = mapped_column(Position, primary_key=True, autoincrement=True)
    gtin: Mapped[str] = mapped_column(String(14))
    serial: Mapped[str] = mapped_column(String(20))
    lot: Mapped[str] = mapped_column(String(256))
    #: The day in Vietnam, and the instant in UTC.
    day: Mapped[str] = mapped_column(String(10))
    scanned_at: Mapped[str] = mapped_column(String(32))
    client: Mapped[str] = mapped_column(String(16))
    agent: Mapped[str] = mapped_column(String(16))
    area: Mapped[str | None] = mapped_column(String(16))


class LabelScanDay(Base):
    """A serial's scans of one day, once its raw scans are past their 90 days."""

    __tablename__ = "label_scan_day"
    __table_args__ = (Index("ix_label_scan_day_lot", "lot"),)

    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    serial: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    lot: Mapped[str] = mapped_column(String(256))
    scans: Mapped[int] = mapped_column(Integer)
    clients: Mapped[int] = mapped_column(Integer)
    #: The distinct areas shared that day, space-separated.
    areas: Mapped[str] = mapped_column(Text)


class FormSubmission(Base):
    """A form a person sent, kept off the ledger: the values as typed (private, never public),
    whether the ledger recorded it (at which entry) or refused it, and the refusal as a
    structured message that reads in either language. Its id is the form's own UUID, so a form
    sent twice is one row and one entry."""

    __tablename__ = "form_submission"
    __table_args__ = (Index("ix_form_submission_account_created_at", "account", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account: Mapped[int] = mapped_column(ForeignKey("account.id"))
    organisation: Mapped[str] = mapped_column(String(13))
    #: The form it came from, and the event type it records.
    form: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    #: JSON: the fields as typed.
    values: Mapped[str] = mapped_column(Text)
    #: "recorded" or "refused".
    status: Mapped[str] = mapped_column(String(16))
    entry_idx: Mapped[int | None] = mapped_column(BigInteger)
    #: JSON: the refusal's message and field errors, templates with their parameters.
    refusal: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))


class Photo(Base):
    """A photo a farmer attached, re-encoded without its metadata, kept off the ledger under the
    SHA-256 of its stored bytes (which the entries that attach it commit to).

    The bytes live here unless the service is given a directory (``PHOTO_DIR``); then these
    columns are empty and the files are named by the hash. Private until a lot's holder or
    producer marks it public for the label page."""

    __tablename__ = "photo"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    thumbnail_width: Mapped[int] = mapped_column(Integer)
    thumbnail_height: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[str] = mapped_column(String(32))
    public: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: Who last marked it public or private again, and when.
    public_by: Mapped[str | None] = mapped_column(String(13))
    public_at: Mapped[str | None] = mapped_column(String(32))


class PhotoUpload(Base):
    """Who uploaded a photo: the same bytes uploaded by two organisations are one photo that
    both may read and attach."""

    __tablename__ = "photo_upload"

    sha256: Mapped[str] = mapped_column(ForeignKey("photo.sha256"), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(13), primary_key=True)
    account: Mapped[int | None] = mapped_column(Integer)
    uploaded_at: Mapped[str] = mapped_column(String(32))


class PhotoUse(Base):
    """A photo attached to the entry ``entry_idx``, and the lot (or flock) that entry concerns:
    who may make it public is read from that lot."""

    __tablename__ = "photo_use"
    __table_args__ = (Index("ix_photo_use_entry_idx", "entry_idx"),)

    sha256: Mapped[str] = mapped_column(ForeignKey("photo.sha256"), primary_key=True)
    entry_idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_type: Mapped[str] = mapped_column(String(64))
    lot: Mapped[str | None] = mapped_column(String(256))


ORGANISATION = table_of(Organisation)
LOCATION = table_of(Location)
PRODUCT = table_of(Product)
INPUT_PRODUCT = table_of(InputProduct)
CERTIFICATE = table_of(Certificate)
MASTER_VERSION = table_of(MasterVersion)
ACCOUNT = table_of(Account)
API_TOKEN = table_of(ApiToken)
RECORDED_EVENT = table_of(RecordedEvent)
LOT = table_of(Lot)
LOT_EDGE = table_of(LotEdge)
SAFETY_INTERVAL = table_of(SafetyInterval)
RECALL = table_of(Recall)
RECALL_REQUEST = table_of(RecallRequest)
LOT_BLOCK = table_of(LotBlock)
LABEL_ISSUE = table_of(LabelIssue)
LABEL_SCAN = table_of(LabelScan)
LABEL_SCAN_DAY = table_of(LabelScanDay)
FORM_SUBMISSION = table_of(FormSubmission)
PHOTO = table_of(Photo)
PHOTO_UPLOAD = table_of(PhotoUpload)
PHOTO_USE = table_of(PhotoUse)

#: Tables of the supply chain whose rows may never change or disappear.
APPEND_ONLY_TABLES = (
    "master_version",
    "recorded_event",
    "lot_edge",
    "safety_interval",
    "label_issue",
)
