"""The shared vectors of numbers typed on a form (tests/support/typed_number_vectors.json), read
by :func:`schemas.typed_numbers.typed_decimal`; the form's script reads the same vectors in
Chromium (tests/web/field/test_script.py), so the two readers cannot drift apart."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from ledger.supplychain.vocabulary import AMOUNT_MESSAGES, MEASUREMENT_UNITS
from schemas.typed_numbers import TYPED_MESSAGES, typed_decimal
from tests.support.paths import typed_number_vectors

KINDS = {template: kind for kind, template in {**TYPED_MESSAGES, **AMOUNT_MESSAGES}.items()}
VECTORS = typed_number_vectors()


def test_the_vectors_cover_every_kind_of_refusal_and_both_signs() -> None:
    assert {v["error"] for v in VECTORS if "error" in v} == set(KINDS.values())
    assert {v["sign"] for v in VECTORS} == {",", "."}


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: repr(v["typed"][:20]) + v["sign"])
def test_the_server_reads_each_vector_as_it_says(vector: dict[str, str]) -> None:
    unit = MEASUREMENT_UNITS[vector["unit"]]
    if "value" in vector:
        assert typed_decimal(vector["typed"], unit, decimal_sign=vector["sign"]) == vector["value"]
        return
    with pytest.raises(ValidationError) as refused:
        typed_decimal(vector["typed"], unit, decimal_sign=vector["sign"])
    [message] = refused.value.messages
    assert KINDS[message.template] == vector["error"]
