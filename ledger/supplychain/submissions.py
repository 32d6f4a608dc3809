"""Forms people sent from the field pages, kept off the ledger, so each can see what it recorded
and what the ledger refused, and send a refused form again after fixing it.

A submission is the form's own UUID: the page that shows a form makes one, and every post of
that form is the same submission, so a form posted twice (a double tap, a reload) is recorded
once, and a refused form sent again replaces its refusal. The values are kept as typed: they
are private (an account reads only its own) and never reach the public log. A refusal is kept as
its message templates and parameters (:func:`message_json`), not as text in one language, so
the page shows it in the reader's language with today's names for what it refers to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger.common.clock import Clock, SystemClock
from ledger.common.db import write_transaction
from ledger.common.errors import ErrorTree
from ledger.common.messages import Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.tables import FORM_SUBMISSION
from ledger.tlog.canonical import utc_timestamp

RECORDED = "recorded"
REFUSED = "refused"
#: How many submissions "my records" lists.
RECENT = 100


@dataclass(frozen=True)
class Refusal:
    """Why the ledger refused a form: its message and the field errors, as messages."""

    message: Message
    errors: ErrorTree


@dataclass(frozen=True)
class Submission:
    id: str
    account: int
    organisation: str
    form: str
    event_type: str
    values: dict[str, str]
    status: str
    entry_idx: int | None
    refusal: Refusal | None
    created_at: str
    updated_at: str


def message_json(value: Any) -> Any:
    """A message, a parameter or an error tree as JSON that :func:`message_from_json` reads
    back into the same objects: decimals and times keep their type, so each language can show
    them its way."""
    if isinstance(value, Message):
        return {
            "$message": value.template,
            "params": {key: message_json(param) for key, param in value.params.items()},
        }
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$time": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {"$tree": {str(key): message_json(item) for key, item in value.items()}}
    if isinstance(value, list | tuple):
        return [message_json(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def message_from_json(value: Any) -> Any:
    if isinstance(value, list):
        return [message_from_json(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "$message" in value:
        params = {key: message_from_json(item) for key, item in value["params"].items()}
        return Message(value["$message"], **params)
    if "$decimal" in value:
        return Decimal(value["$decimal"])
    if "$time" in value:
        return datetime.fromisoformat(value["$time"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$tree" in value:
        return {key: message_from_json(item) for key, item in value["$tree"].items()}
    return value


def _refusal(text: str | None) -> Refusal | None:
    if not text:
        return None
    stored = json.loads(text)
    return Refusal(message_from_json(stored["message"]), message_from_json(stored["errors"]))


def _submission(row: Any) -> Submission:
    return Submission(
        id=row.id,
        account=row.account,
        organisation=row.organisation,
        form=row.form,
        event_type=row.event_type,
        values=json.loads(row.values),
        status=row.status,
        entry_idx=row.entry_idx,
        refusal=_refusal(row.refusal),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class Submissions:
    """Keeping and reading the forms an account sent."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()

    def get(self, submission_id: str, principal: Principal) -> Submission | None:
        """The account's own submission ``submission_id``, or None (another account's too)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(FORM_SUBMISSION).where(FORM_SUBMISSION.c.id == submission_id)
            ).first()
        if row is None or row.account != principal.account_id:
            return None
        return _submission(row)

    def taken(self, submission_id: str, principal: Principal) -> bool:
        """Whether another account already sent a form under this id."""
        with self.engine.connect() as connection:
            account = connection.execute(
                sa.select(FORM_SUBMISSION.c.account).where(FORM_SUBMISSION.c.id == submission_id)
            ).scalar()
        return account is not None and account != principal.account_id

    def recent(self, principal: Principal, limit: int = RECENT) -> list[Submission]:
        """The account's submissions, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(FORM_SUBMISSION)
                .where(FORM_SUBMISSION.c.account == principal.account_id)
                .order_by(FORM_SUBMISSION.c.created_at.desc(), FORM_SUBMISSION.c.id)
                .limit(limit)
            ).all()
        return [_submission(row) for row in rows]

    def save(
        self,
        submission_id: str,
        principal: Principal,
        *,
        form: str,
        event_type: str,
        values: dict[str, str],
        entry_idx: int | None = None,
        refusal: Refusal | None = None,
    ) -> Submission:
        """Keep what became of a form: recorded at ``entry_idx``, or refused. A refused
        submission sent again is replaced; a recorded one never is."""
        if principal.account_id is None or principal.organisation is None:
            raise ValueError("only an account of an organisation sends forms")
        now = utc_timestamp(self.clock.now())
        stored = {
            "form": form,
            "event_type": event_type,
            "values": json.dumps(values, ensure_ascii=False, sort_keys=True),
            "status": REFUSED if refusal is not None else RECORDED,
            "entry_idx": entry_idx,
            "refusal": None
            if refusal is None
            else json.dumps(
                {"message": message_json(refusal.message), "errors": message_json(refusal.errors)},
                ensure_ascii=False,
            ),
            "updated_at": now,
        }
        try:
            return self._store(submission_id, principal, stored, now)
        except sa.exc.IntegrityError:
            # The same form posted twice at once: the other post inserted the row first, so
            # this one reads it and follows the rule above (a refused one is replaced).
            return self._store(submission_id, principal, stored, now)

    def _store(
        self, submission_id: str, principal: Principal, stored: dict[str, Any], now: str
    ) -> Submission:
        with write_transaction(self.engine) as connection:
            current = connection.execute(
                sa.select(FORM_SUBMISSION).where(FORM_SUBMISSION.c.id == submission_id)
            ).first()
            if current is None:
                connection.execute(
                    FORM_SUBMISSION.insert().values(
                        id=submission_id,
                        account=principal.account_id,
                        organisation=principal.organisation,
                        created_at=now,
                        **stored,
                    )
                )
            elif current.account == principal.account_id and current.status == REFUSED:
                connection.execute(
                    FORM_SUBMISSION.update()
                    .where(FORM_SUBMISSION.c.id == submission_id)
                    .values(**stored)
                )
            row = connection.execute(
                sa.select(FORM_SUBMISSION).where(FORM_SUBMISSION.c.id == submission_id)
            ).one()
        return _submission(row)
