"""The event schemas on their own: one valid request of every event type, and the refusals
that name the field at fault and say why, in the words a caller reads."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from marshmallow import ValidationError

from ledger.supplychain.vocabulary import EVENT_TYPES
from schemas.event_data import CONFIDENTIAL, PERSONAL, PUBLIC, classification, private_fields
from schemas.events import load_command
from tests.support.world import (
    CARCASS,
    CERTIFIER,
    COLD_STORE,
    COOPERATIVE,
    DRIED_LONGAN,
    FARM_A,
    FRESH_LONGAN,
    HOUSE,
    LIVE_CHICKEN,
    PACKED_LONGAN,
    PACKHOUSE_SITE,
    PLOT_A,
    RETAILER,
    lot,
    spray_data,
    with_check_digit,
)

EVENT_TIME = "2026-07-15T06:30:00+07:00"
HARVEST = lot(FRESH_LONGAN, "H1")
OTHER_HARVEST = lot(FRESH_LONGAN, "H2")
PACKED = lot(PACKED_LONGAN, "P1")
FLOCK = lot(LIVE_CHICKEN, "F1")
SSCC = with_check_digit("08930000000001234")
TEMPERATURE = {"min": "2", "max": "6", "mean": "4.5", "count": 96}
MONEY = {
    "lot": HARVEST,
    "counterparty": FARM_A,
    "amount": "15000000",
    "currency": "VND",
    "agreed_on": "2026-07-10",
    "due_on": "2026-08-10",
    "paid_on": "2026-07-15",
}
VACCINATION = {
    "flock": FLOCK,
    "product": "Vắc-xin Newcastle",
    "active_substance": "NDV La Sota",
    "dose": "0.03",
    "dose_unit": "ml",
    "vet": "vet-0007",
}
RECEIPT = {"lot": PACKED, "quantity": "120"}

#: A valid ``data`` for every event type, as a caller of the API sends it.
EXAMPLES: dict[str, dict[str, Any]] = {
    "farm_input.fertiliser": {
        "plot": PLOT_A,
        "product": "NPK 16-16-8",
        "n_pct": "16",
        "p_pct": "16",
        "k_pct": "8",
        "quantity_kg": "25.5",
        "data_source": "measured",
    },
    "farm_input.pesticide": spray_data(PLOT_A),
    "farm_input.irrigation": {"plot": PLOT_A, "volume_m3": "12.5", "data_source": "estimated"},
    "energy_use": {
        "location": PACKHOUSE_SITE,
        "kwh": "120.5",
        "energy_source": "grid",
        "period_start": "2026-07-01",
        "period_end": "2026-07-14",
        "data_source": "measured",
    },
    "flock.placement": {"house": HOUSE, "lot": FLOCK, "breed": "Gà Đông Tảo", "head_count": 200},
    "flock.feed": {
        "flock": FLOCK,
        "feed_type": "Cám ngô",
        "quantity_kg": "50",
        "data_source": "measured",
    },
    "flock.vaccination": VACCINATION,
    "flock.treatment": {**VACCINATION, "withdrawal_days": 7},
    "flock.loss": {"flock": FLOCK, "count": 3, "cause": "mortality"},
    "flock.weighing": {
        "flock": FLOCK,
        "mean_kg": "1.85",
        "sample_size": 20,
        "data_source": "measured",
    },
    "harvest": {"plot": PLOT_A, "lot": HARVEST, "quantity": "300", "data_source": "measured"},
    "slaughter": {
        "flock": FLOCK,
        "head_count": 50,
        "lot": lot(CARCASS, "S1"),
        "carcass_kg": "80.5",
    },
    "pack": {
        "input": HARVEST,
        "outputs": [{"lot": PACKED, "quantity": "290", "units": 58, "best_before": "2026-07-29"}],
        "waste": "10",
    },
    "merge": {
        "inputs": [{"lot": HARVEST, "quantity": "300"}, {"lot": OTHER_HARVEST, "quantity": "200"}],
        "output": PACKED,
    },
    "transform": {
        "kind": "drying",
        "inputs": [{"lot": HARVEST, "quantity": "500"}],
        "output": lot(DRIED_LONGAN, "D1"),
        "output_quantity": "100",
    },
    "ship": {
        "lot": PACKED,
        "quantity": "120",
        "receiver": RETAILER,
        "vehicle_class": "refrigerated_truck",
        "refrigerated": True,
        "distance_km": "64.2",
        "sscc": SSCC,
        "transport_document": "PXK-0001",
        "temperature": TEMPERATURE,
        "data_source": "measured",
    },
    "receive": RECEIPT,
    "retail_receive": RECEIPT,
    "store": {"lot": PACKED, "direction": "in", "site": COLD_STORE},
    "cooling": {"lot": PACKED, "temperature": TEMPERATURE},
    "inspect": {
        "lot": HARVEST,
        "analyte": "Fipronil",
        "value": "0.002",
        "unit": "mg/kg",
        "mrl": "0.005",
        "lab": "Trung tâm Kiểm nghiệm Hưng Yên",
        "result": "pass",
    },
    "slaughter_inspection": {"lot": lot(CARCASS, "S1"), "inspector": "insp-3", "result": "pass"},
    "internal_audit": {
        "site": PACKHOUSE_SITE,
        "summary": "Sổ ghi chép đầy đủ.",
        "severity": "minor",
        "result": "pass",
    },
    "non_conformity": {"lot": PACKED, "summary": "Nhiệt độ kho vượt 8 °C trong 2 giờ."},
    "complaint": {
        "lot": PACKED,
        "summary": "Quả bị dập.",
        "complainant_contact": "0912 345 678",
    },
    "sell": {"lot": PACKED, "quantity": "2.5", "price": {"amount": "85000", "currency": "VND"}},
    "loss": {"lot": PACKED, "quantity": "5", "stage": "retail", "reason": "Dập nát"},
    "label.issue": {"lot": PACKED, "count": 58},
    "purchase": MONEY,
    "payment": MONEY,
    "training": {
        "topic": "VietGAP",
        "hours": "4",
        "participant_count": 2,
        "participants": ["op-0042", "op-0043"],
    },
    "recall": {
        "lots": [PACKED],
        "reason": "Dư lượng vượt mức",
        "consumer_action": "Không ăn; trả lại cửa hàng.",
    },
    "recall.request": {"lot": HARVEST, "reason": "Dư lượng vượt mức"},
    "recall.dismiss": {"request": 42, "reason": "Kết quả kiểm nghiệm lại đạt."},
    "recall_lift": {"recall": 42, "reason": "Kết quả kiểm nghiệm lại đạt."},
    "hold_release": {"lot": PACKED, "reason": "Kết quả kiểm nghiệm đạt."},
    "correction": {
        "corrects": 7,
        "corrected_type": "harvest",
        "reason": "Cân lại",
        "changes": {"quantity": "310"},
    },
    "cert.issue": {
        "scheme": "vietgap",
        "number": "VG-2026-0001",
        "body": CERTIFIER,
        "holder": COOPERATIVE,
        "locations": [PLOT_A],
        "products": ["fresh_longan"],
        "valid_from": "2026-01-01",
        "valid_to": "2028-12-31",
    },
    "cert.revoke": {
        "certificate": "cert:vietgap/VG-2026-0001",
        "reason": "Vi phạm quy trình",
        "effective": "2026-07-15",
    },
}


def request(event_type: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": event_type, "event_time": EVENT_TIME, "data": data, **extra}


def refusal(raw: Any) -> dict[str, Any]:
    """The error tree of a request the schemas refuse, its messages as their English text."""
    with pytest.raises(ValidationError) as caught:
        load_command(raw)
    return _texts(caught.value.normalized_messages())


def _texts(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {key: _texts(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return [_texts(value) for value in tree]
    return str(tree)


def data_refusal(event_type: str, **changes: Any) -> dict[str, Any]:
    """The errors of ``data`` for the type's example with ``changes`` (``None`` removes)."""
    data = {**EXAMPLES[event_type], **changes}
    data = {name: value for name, value in data.items() if value is not None}
    errors = refusal(request(event_type, data))
    assert set(errors) == {"data"}, errors
    data_errors: dict[str, Any] = errors["data"]
    return data_errors


def test_every_event_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_the_example_of_each_type_loads_and_its_private_fields_are_set_apart(
    event_type: str,
) -> None:
    sent = EXAMPLES[event_type]
    command = load_command(request(event_type, sent, idempotency_key=f"ex-{event_type}"))
    assert command.type == event_type
    assert command.event_time == "2026-07-15T06:30:00.000+07:00"
    assert command.idempotency_key == f"ex-{event_type}"
    assert command.late_reason is None
    secret = private_fields(event_type)
    assert set(command.private) == set(sent) & set(secret)
    assert not set(command.data) & set(secret)
    assert set(command.data) | set(command.private) >= set(sent)
    for name in command.data:
        assert classification(event_type, name) == PUBLIC


def test_amounts_are_canonical_strings_and_defaults_are_filled_in() -> None:
    command = load_command(request("flock.vaccination", {**VACCINATION, "dose": 1}))
    assert command.data["dose"] == "1"
    assert command.data["withdrawal_days"] == 0
    shipped = load_command(request("ship", EXAMPLES["ship"])).data
    assert shipped["distance_km"] == "64.2"
    assert shipped["temperature"] == {"min": "2", "max": "6", "mean": "4.5", "count": 96}
    received = load_command(request("receive", RECEIPT)).data
    assert received == {"lot": PACKED, "quantity": "120", "refused": False}


def test_prices_money_and_people_are_classified_private() -> None:
    assert private_fields("sell") == {"price": CONFIDENTIAL}
    assert private_fields("complaint") == {"complainant_contact": PERSONAL}
    assert private_fields("training") == {"participants": PERSONAL}
    assert private_fields("payment") == dict.fromkeys(
        ("amount", "currency", "agreed_on", "due_on", "paid_on"), CONFIDENTIAL
    )
    assert private_fields("harvest") == {}
    assert classification("harvest", "no_such_field") == PUBLIC
    sold = load_command(request("sell", EXAMPLES["sell"]))
    assert sold.private == {"price": {"amount": "85000", "currency": "VND"}}
    assert sold.data == {"lot": PACKED, "quantity": "2.5"}


def test_texts_are_normalised_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Phân bón hữu cơ Sông Gianh")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    fertiliser = {**EXAMPLES["farm_input.fertiliser"], "product": decomposed}
    command = load_command(request("farm_input.fertiliser", fertiliser))
    assert command.data["product"] == "Phân bón hữu cơ Sông Gianh"
    assert unicodedata.is_normalized("NFC", command.data["product"])


@pytest.mark.parametrize(
    ("event_type", "changes", "field", "message"),
    [
        # units and precision
        (
            "harvest",
            {"quantity": "12.3456"},
            "quantity",
            "Quantities in kg are recorded to 0.001 kg at most (3 decimals).",
        ),
        ("harvest", {"quantity": "100000001"}, "quantity", "Quantities in kg are at most"),
        ("harvest", {"quantity": "0"}, "quantity", "Must be greater than 0."),
        ("harvest", {"quantity": "1e3"}, "quantity", "'1e3' is not a decimal such as \"12.5\""),
        ("harvest", {"quantity": 1.5}, "quantity", 'Send decimals as strings such as "12.5"'),
        ("farm_input.pesticide", {"area_ha": "0.12345"}, "area_ha", "(4 decimals)"),
        ("farm_input.fertiliser", {"n_pct": "-1"}, "n_pct", "Must be at least 0."),
        ("farm_input.fertiliser", {"n_pct": "101"}, "n_pct", "at most 100"),
        ("farm_input.pesticide", {"phi_days": 366}, "phi_days", "Must be between 0 and 365."),
        ("farm_input.pesticide", {"phi_days": "7"}, "phi_days", "Not a valid integer."),
        # dates
        ("pack", {"waste": "-1"}, "waste", "Must be at least 0."),
        ("cert.revoke", {"effective": "2026-7-15"}, "effective", "is not a date such as"),
        ("cert.revoke", {"effective": "2026-02-30"}, "effective", "is not a date such as"),
        (
            "cert.revoke",
            {"effective": "1899-12-31"},
            "effective",
            "'1899-12-31' is not between the years 1900 and 2999.",
        ),
        (
            "cert.revoke",
            {"effective": "2027-07-17"},
            "effective",
            "For an event on 2026-07-15, this date is between 2025-07-14 and 2027-07-16.",
        ),
        (
            "payment",
            {"paid_on": "2026-08-16"},
            "paid_on",
            "For an event on 2026-07-15, this date is between 2023-07-13 and 2026-08-15.",
        ),
        (
            "cert.issue",
            {"valid_to": "2031-01-02"},
            "valid_to",
            "A certificate is valid for at most 5 years: until 2031-01-01.",
        ),
        ("energy_use", {"period_end": "2026-06-30"}, "period_end", "ends before it starts"),
        # choices
        ("ship", {"vehicle_class": "rocket"}, "vehicle_class", "Must be one of: motorbike, van"),
        ("harvest", {"data_source": "guessed"}, "data_source", "measured, estimated, default."),
        ("ship", {"refrigerated": "yes"}, "refrigerated", "Not a valid boolean."),
        ("sell", {"price": {"amount": "1", "currency": "XYZ"}}, "price", "Must be one of:"),
        # identifiers and people
        ("harvest", {"plot": PLOT_A[:-1] + "0"}, "plot", "has a wrong check digit."),
        ("harvest", {"lot": "plot:8930000000026"}, "lot", 'is not a lot id "lot:<GTIN-14>/<lot>"'),
        ("ship", {"sscc": SSCC[:-1] + "9"}, "sscc", "has a wrong check digit."),
        ("ship", {"sscc": "12345"}, "sscc", "'12345' is not an 18-digit SSCC."),
        ("farm_input.pesticide", {"operator": "Nguyễn Văn A"}, "operator", "op-0042"),
        ("flock.loss", {"count": None}, "count", "Missing data for required field."),
        # unknown fields and texts
        ("harvest", {"colour": "red"}, "colour", "Unknown field."),
        ("loss", {"reason": ""}, "reason", "Must not be empty."),
        ("loss", {"reason": "a" * 501}, "reason", "Must be at most 500 characters long."),
        ("loss", {"reason": "dòng 1\ndòng 2"}, "reason", "Text contains a control character."),
    ],
)
def test_a_malformed_field_is_refused_by_name_with_its_reason(
    event_type: str, changes: dict[str, Any], field: str, message: str
) -> None:
    errors = data_refusal(event_type, **changes)
    assert list(errors) == [field], errors
    assert message in " ".join(_flat(errors[field])), errors


def _flat(tree: Any) -> list[str]:
    if isinstance(tree, dict):
        return [text for value in tree.values() for text in _flat(value)]
    if isinstance(tree, list):
        return [text for value in tree for text in _flat(value)]
    return [tree]


def test_the_window_of_a_date_is_around_the_event_day_in_hung_yen() -> None:
    """20:00 UTC on the 14th is already the 15th in Hưng Yên (UTC+7)."""
    late_evening = request("payment", {**MONEY, "paid_on": "2026-08-15"})
    assert load_command({**late_evening, "event_time": "2026-07-14T20:00:00Z"})
    errors = refusal({**late_evening, "event_time": "2026-07-14T16:00:00Z"})
    assert errors == {
        "data": {
            "paid_on": [
                "For an event on 2026-07-14, this date is between 2023-07-12 and 2026-08-14."
            ]
        }
    }


def test_rules_across_fields_name_the_field_to_fix() -> None:
    assert data_refusal("receive", refused=True, quantity=None) == {
        "refusal_reason": ["Say why the goods are refused."]
    }
    assert data_refusal("receive", refused=True, refusal_reason="Hỏng") == {
        "quantity": ["A refusal returns everything; send no quantity."]
    }
    assert data_refusal("cooling", temperature={**TEMPERATURE, "mean": "7"}) == {
        "temperature": {"mean": ["Needs min ≤ mean ≤ max."]}
    }
    twice = [{"lot": HARVEST, "quantity": "1"}, {"lot": HARVEST, "quantity": "2"}]
    assert data_refusal("merge", inputs=twice) == {
        "inputs": {1: [f"Lot {HARVEST} is listed twice."]}
    }
    assert data_refusal("recall", request=3) == {"lots": ["Give either lots or request."]}
    assert data_refusal("inspect", site=PACKHOUSE_SITE) == {"lot": ["Give either a lot or a site."]}
    assert data_refusal("energy_use", kwh=None) == {
        "kwh": ["Give kwh, meter_reading_kwh, diesel_l or petrol_l."]
    }
    assert data_refusal("energy_use", energy_source=None) == {
        "energy_source": ["Say whether the electricity is grid or solar."]
    }
    assert data_refusal("merge", inputs=twice[:1]) == {"inputs": ["Between 2 and 100 items."]}


def test_a_correction_is_checked_against_the_corrected_type() -> None:
    assert data_refusal("correction", changes={"quantity": "0.0001"}) == {
        "changes": {"quantity": ["Quantities in kg are recorded to 0.001 kg at most (3 decimals)."]}
    }
    assert data_refusal("correction", corrected_type="sell", changes={"price": {}}) == {
        "changes": {"price": ["Private fields are corrected off the public log."]}
    }
    assert data_refusal("correction", changes={}) == {
        "changes": ["Give at least one corrected field."]
    }
    assert data_refusal("correction", corrects_key="h-1") == {
        "corrects": ["Give either corrects or corrects_key."]
    }
    outputs = [{"lot": PACKED}]  # replaced whole, so each output needs its quantity
    assert data_refusal("correction", corrected_type="pack", changes={"outputs": outputs}) == {
        "changes": {"outputs": {0: {"quantity": ["Missing data for required field."]}}}
    }


def test_the_request_around_the_data_is_checked_too() -> None:
    assert refusal(["harvest"]) == {"$": ["An event is a JSON object."]}
    errors = refusal({"type": "harvested", "event_time": "2026-07-15", "colour": "red"})
    assert set(errors) == {"type", "event_time", "data", "colour"}
    assert errors["type"][0].startswith("Must be one of: farm_input.fertiliser, ")
    assert "RFC 3339" in errors["event_time"][0]
    assert errors["data"] == ["Missing data for required field."]
    assert errors["colour"] == ["Unknown field."]
    key = refusal(request("harvest", EXAMPLES["harvest"], idempotency_key="has space"))
    assert key == {"idempotency_key": ["'has space' does not have the form visible ASCII."]}
