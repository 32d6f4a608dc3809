"""The form's script (static/field.js) in a real Chromium: it reads the shared vectors of typed
numbers exactly as the server does, and writes numbers as Babel does for each language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import format_decimal

from ledger.supplychain.vocabulary import MEASUREMENT_UNITS
from tests.support.paths import ROOT, typed_number_vectors

ORIGIN = "http://field.test"

pytestmark = pytest.mark.timeout(60)

READ_ALL = """async ([vectors, units]) => {
  const field = await import('/static/field.js');
  return vectors.map((v) => {
    const [places, maximum] = units[v.unit];
    const read = field.typedDecimal(v.typed, {code: v.unit, places, maximum, name: v.unit}, v.sign);
    return {...read, shown: 'value' in read ? field.formatDecimal(read.value, v.sign) : null};
  });
}"""


def _serve(route: Any) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path.startswith("/static/"):
        route.fulfill(path=str(ROOT / "web" / path.lstrip("/")), content_type="text/javascript")
    else:
        route.fulfill(body="<!doctype html><title>field.js</title>", content_type="text/html")


def test_the_script_reads_every_vector_as_the_server_does(browser: Any) -> None:
    vectors = typed_number_vectors()
    units = {code: (unit.places, str(unit.maximum)) for code, unit in MEASUREMENT_UNITS.items()}
    page = browser.new_page()
    page.route(f"{ORIGIN}/**", _serve)
    page.goto(f"{ORIGIN}/")
    results = page.evaluate(READ_ALL, [vectors, units])
    page.close()
    for vector, result in zip(vectors, results, strict=True):
        if "value" in vector:
            assert result.get("value") == vector["value"], vector
            locale = "vi" if vector["sign"] == "," else "en"
            expected = format_decimal(
                Decimal(vector["value"]), locale=locale, decimal_quantization=False
            )
            assert result["shown"] == expected, vector
        else:
            assert result.get("error") == vector["error"], (vector, result)
