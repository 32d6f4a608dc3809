"""Forms sent from the field pages, kept off the ledger on both databases: a recorded form is
never replaced, a refused one is replaced when sent again, each account reads only its own,
and a refusal reads back as the same messages, in either language later."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ledger.common.messages import Message
from ledger.supplychain.accounts import Accounts, Principal
from ledger.supplychain.submissions import (
    RECORDED,
    REFUSED,
    Refusal,
    Submissions,
    message_from_json,
    message_json,
)
from tests.support.world import FARM_A, FARM_B, World

pytestmark = pytest.mark.timeout(60)


def _account(world: World, username: str, organisation: str) -> Principal:
    accounts = Accounts(world.log.engine, world.log.clock)
    made = accounts.create_account(
        username=username,
        password="mật-khẩu-đủ-dài",
        role="farmer",
        organisation=organisation,
        display_name=username,
        by="test",
    )
    return Principal(made.id, username, "farmer", organisation)


REFUSAL = Refusal(
    Message(
        "{subject} cannot be harvested before {safe_from}: {what} has a {kind} of {days} days.",
        subject="plot:8930000001016",
        safe_from=datetime(2026, 7, 22, 1, 30, tzinfo=UTC),
        what="Reasgant 3.6EC",
        kind=Message("pre-harvest interval"),
        days=7,
    ),
    {"data": {"quantity": [Message("Must be at most {limit}.", limit=Decimal("12.5"))]}},
)


def test_a_refusal_is_kept_and_replaced_by_the_record_when_sent_again(world: World) -> None:
    farmer = _account(world, "sub-an", FARM_A)
    store = Submissions(world.log.engine, world.log.clock)
    values = {"plot": "8930000001016", "quantity": "120,5"}
    refused = store.save("5f0c7f43-5f3e-4f43-9d63-1f1b0d3c0a01", farmer, form="harvest",
                         event_type="harvest", values=values, refusal=REFUSAL)  # fmt: skip
    assert refused.status == REFUSED
    assert refused.values == values
    assert refused.refusal == REFUSAL
    assert refused.refusal is not None
    assert refused.refusal.message.params["safe_from"] == REFUSAL.message.params["safe_from"]
    recorded = store.save(refused.id, farmer, form="harvest", event_type="harvest",
                          values={**values, "plot": "8930000001023"}, entry_idx=42)  # fmt: skip
    assert (recorded.status, recorded.entry_idx, recorded.refusal) == (RECORDED, 42, None)
    again = store.save(refused.id, farmer, form="harvest", event_type="harvest",
                       values=values, refusal=REFUSAL)  # fmt: skip
    assert again.status == RECORDED  # a recorded form is never replaced by a refusal
    assert again.entry_idx == 42
    assert [s.id for s in store.recent(farmer)] == [refused.id]


def test_an_account_reads_only_its_own(world: World) -> None:
    an = _account(world, "sub-an-2", FARM_A)
    binh = _account(world, "sub-binh", FARM_B)
    store = Submissions(world.log.engine, world.log.clock)
    key = "0b4cfb8a-2a51-4d9f-8d57-7a3f1f8e2b02"
    store.save(key, an, form="irrigation", event_type="farm_input.irrigation",
               values={"volume_m3": "3"}, entry_idx=7)  # fmt: skip
    assert store.get(key, an) is not None
    assert store.get(key, binh) is None
    assert store.taken(key, binh)
    assert not store.taken(key, an)
    assert store.recent(binh) == []
    kept = store.save(key, binh, form="irrigation", event_type="farm_input.irrigation",
                      values={"volume_m3": "9"}, refusal=REFUSAL)  # fmt: skip
    assert kept.account == an.account_id  # another account cannot overwrite it
    assert kept.values == {"volume_m3": "3"}


def test_only_an_account_of_an_organisation_sends_forms(world: World) -> None:
    store = Submissions(world.log.engine, world.log.clock)
    with pytest.raises(ValueError, match="organisation"):
        store.save("0b4cfb8a-2a51-4d9f-8d57-7a3f1f8e2b03", Principal(None, "x", "admin", None),
                   form="irrigation", event_type="farm_input.irrigation", values={})  # fmt: skip


def test_messages_keep_their_parameters_types_through_json() -> None:
    tree = {"lots": {0: [REFUSAL.message]}, "$": ["plain text", 3, None, True]}
    back = message_from_json(message_json(tree))
    assert back == {"lots": {"0": [REFUSAL.message]}, "$": ["plain text", 3, None, True]}
    message = back["lots"]["0"][0]
    assert isinstance(message, Message)
    assert isinstance(message.params["kind"], Message)
    assert message.params["safe_from"].tzinfo is not None
    assert message_from_json(message_json(date(2026, 7, 12))) == date(2026, 7, 12)
    assert message_from_json(message_json(Decimal("1.50"))) == Decimal("1.50")
    assert str(message_from_json(message_json(Decimal("1.50")))) == "1.50"


def test_a_form_posted_twice_at_once_is_kept_once(world: World) -> None:
    """A double tap sends the form twice at the same moment: both posts save the same id, and
    neither may fail because the other inserted the row between its read and its insert."""
    import threading
    import uuid

    farmer = _account(world, "sub-doi", FARM_A)
    store = Submissions(world.log.engine, world.log.clock)
    failures: list[BaseException] = []
    for _ in range(12):
        submission_id = str(uuid.uuid4())
        start = threading.Barrier(2)

        def post(submission_id: str = submission_id, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                store.save(submission_id, farmer, form="harvest", event_type="harvest",
                           values={"quantity": "1"}, entry_idx=1)  # fmt: skip
            except BaseException as failure:
                failures.append(failure)

        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert len(store.recent(farmer)) == 12
