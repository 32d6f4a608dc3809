"""Codes scanned at a handover: a label's signed Digital Link, a carton's GS1 element strings, a
pallet's SSCC, and everything that is none of these or names nothing the ledger knows."""

from __future__ import annotations

import pytest

from labels.handover import (
    CARTON,
    LABEL,
    MAX_CODE_LENGTH,
    PALLET,
    ForgedLabelError,
    UnknownCodeError,
    UnreadableCodeError,
    read_code,
    shipment_with_sscc,
)
from labels.label_keys import create_label_key
from labels.printing import issued_labels
from tests.support.world import COLLECTOR, PACKER, PACKHOUSE, World, with_check_digit

BASE = "https://trace.hungyen.example"
SSCC = with_check_digit("38930000000000123")


@pytest.fixture(scope="module")
def labelled(world: World) -> tuple[str, list[str]]:
    """A packed lot of four units with four issued labels, and their URLs."""
    create_label_key(world.log, PACKHOUSE, ["8930000"], "packhouse labels")
    lot_id = world.packed_lot(units=4)
    world.record(PACKER, "label.issue", {"lot": lot_id, "count": 4})
    return lot_id, [label.url for label in issued_labels(world.log, lot_id, BASE)]


def _parts(lot_id: str) -> tuple[str, str]:
    gtin, _, code = lot_id.removeprefix("lot:").partition("/")
    return gtin, code


def test_a_genuine_label_names_its_lot_and_signed_serial(
    world: World, labelled: tuple[str, list[str]]
) -> None:
    lot_id, urls = labelled
    scanned = read_code(world.log, urls[1])
    assert (scanned.kind, scanned.lot, scanned.serial, scanned.signed) == (LABEL, lot_id, "2", True)
    # A scanner's symbology identifier and surrounding blanks are not part of the code.
    assert read_code(world.log, f"  ]Q1{urls[0]}\n").serial == "1"


def test_a_label_with_a_forged_or_missing_signature_is_refused(
    world: World, labelled: tuple[str, list[str]]
) -> None:
    _, urls = labelled
    url, _, signature = urls[0].partition("?s=")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(ForgedLabelError):
        read_code(world.log, f"{url}?s={flipped}")
    with pytest.raises(ForgedLabelError, match="no signature"):
        read_code(world.log, url)
    # Another serial under the first label's signature.
    with pytest.raises(ForgedLabelError):
        read_code(world.log, urls[1].split("?s=")[0] + "?s=" + signature)
    with pytest.raises(ForgedLabelError, match="never issued"):
        read_code(world.log, url.rsplit("/", 1)[0] + "/99?s=" + signature)


def test_carton_element_strings_name_the_lot_raw_or_as_printed(
    world: World, labelled: tuple[str, list[str]]
) -> None:
    lot_id, _ = labelled
    gtin, code = _parts(lot_id)
    for text in (
        f"01{gtin}10{code}",
        f"]d201{gtin}10{code}\x1d213",
        f"]C101{gtin}10{code}",
        f"(01){gtin}(10){code}",
        f"{BASE}/01/{gtin}/10/{code}",
    ):
        scanned = read_code(world.log, text)
        assert (scanned.kind, scanned.lot, scanned.signed) == (CARTON, lot_id, False), text
    assert read_code(world.log, f"01{gtin}10{code}\x1d213").serial == "3"


def test_carton_codes_of_unknown_lots_or_serials_are_refused(
    world: World, labelled: tuple[str, list[str]]
) -> None:
    lot_id, _ = labelled
    gtin, code = _parts(lot_id)
    with pytest.raises(UnknownCodeError, match="no lot NOPE"):
        read_code(world.log, f"01{gtin}10NOPE")
    with pytest.raises(UnknownCodeError, match="serial 77 was never issued"):
        read_code(world.log, f"01{gtin}10{code}\x1d2177")
    with pytest.raises(UnreadableCodeError, match="no lot"):
        read_code(world.log, f"01{gtin}")
    with pytest.raises(UnreadableCodeError, match="check digit"):
        read_code(world.log, f"01{gtin[:-1]}{(int(gtin[-1]) + 1) % 10}10{code}")


def test_a_pallet_sscc_names_the_shipment_while_it_travels(
    world: World, labelled: tuple[str, list[str]]
) -> None:
    lot_id, _ = labelled
    assert shipment_with_sscc(world.log, SSCC) is None
    with pytest.raises(UnknownCodeError, match="no shipment"):
        read_code(world.log, f"00{SSCC}")
    world.ship(PACKER, lot_id, "4", COLLECTOR, sscc=SSCC)
    for text in (f"00{SSCC}", f"(00){SSCC}", SSCC, f"]C100{SSCC}"):
        scanned = read_code(world.log, text)
        assert (scanned.kind, scanned.lot, scanned.sscc) == (PALLET, lot_id, SSCC), text
    with pytest.raises(UnreadableCodeError, match="SSCC"):
        read_code(world.log, f"00{SSCC[:-1]}{(int(SSCC[-1]) + 1) % 10}")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "nothing was entered"),
        ("   ", "nothing was entered"),
        ("x" * (MAX_CODE_LENGTH + 1), "characters long"),
        ("1" * 10_000, "10000 characters long"),
        ("01089300\x00", "U+0000"),
        ("abc\u202edef", "U+202E"),
        ("garbage that is no code", "neither a label"),
        ("e\u0301" * 40, "neither a label"),
        ("https://trace.hungyen.example/somewhere/else", "not a GS1 Digital Link"),
        ("ftp://trace.hungyen.example/01/08930000000027/10/A/21/1", "neither a label"),
        ("(99)abc", "no product"),
    ],
)
def test_what_is_no_code_gets_a_reason(world: World, text: str, says: str) -> None:
    with pytest.raises(UnreadableCodeError) as refused:
        read_code(world.log, text)
    assert says in str(refused.value)
