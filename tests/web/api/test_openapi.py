"""The OpenAPI description states what the server checks, so clients and fuzzers can learn it."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from ledger.supplychain.vocabulary import EVENT_TYPES
from schemas.event_data import DATA_SCHEMAS
from tests.support.apps import create_accounts
from tests.support.world import FARM_A, FRESH_LONGAN, World
from web.services import services


def spec(app: Flask) -> dict[str, Any]:
    answer = app.test_client().get("/api/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.get_json()
    return document


def test_an_event_is_one_of_the_types_each_with_its_own_data(app: Flask) -> None:
    schemas = spec(app)["components"]["schemas"]
    command = schemas["Command"]
    assert command["discriminator"]["propertyName"] == "type"
    mapping = command["discriminator"]["mapping"]
    assert set(mapping) == set(EVENT_TYPES)
    assert [item["$ref"] for item in command["oneOf"]] == list(mapping.values())
    for event_type, reference in mapping.items():
        variant = schemas[reference.rpartition("/")[2]]
        assert variant["properties"]["type"] == {"type": "string", "enum": [event_type]}
        data = variant["properties"]["data"]["$ref"].rpartition("/")[2]
        assert data == DATA_SCHEMAS[event_type].__name__.removesuffix("Schema")
        assert variant["additionalProperties"] is False
    harvest = schemas["HarvestData"]
    assert {"plot", "lot", "quantity", "data_source"} <= set(harvest["required"])
    assert harvest["properties"]["data_source"]["enum"] == ["measured", "estimated", "default"]
    assert harvest["properties"]["plot"]["pattern"] == "^[0-9]{13}$"
    # A decimal string in the lot's finest step (or a JSON integer), above zero.
    text, whole = harvest["properties"]["quantity"]["anyOf"]
    assert text["type"] == "string"
    for taken in ("12.5", "12.50", "0.001", "100000000"):
        assert re.fullmatch(text["pattern"], taken), taken
    for refused in ("0", "0.0001", "+5", " 5", "1e3", "100000001"):
        assert not re.fullmatch(text["pattern"], refused), refused
    assert whole == {
        "type": "integer",
        "minimum": 0,
        "exclusiveMinimum": True,
        "maximum": 100000000,
    }
    assert schemas["Batch"]["properties"]["events"]["minItems"] == 1
    assert schemas["Batch"]["properties"]["events"]["maxItems"] == 1000
    assert schemas["Login"]["properties"]["username"]["minLength"] == 1
    assert schemas["PrintRequest"]["properties"]["layout"]["enum"] == [
        "a4-3x7",
        "thermal-50x30",
        "thermal-50x30-300dpi",
    ]


def test_identifiers_in_paths_and_queries_have_their_shapes(app: Flask) -> None:
    document = spec(app)
    paths = document["paths"]

    def parameter(path: str, name: str, method: str | None = None) -> dict[str, Any]:
        item = paths[path]
        found = [
            *item.get("parameters", []),
            *(item[method].get("parameters", []) if method else []),
        ]
        (schema,) = [p["schema"] for p in found if p["name"] == name]
        return schema

    for path in [p for p in paths if p.startswith("/api/v1/lots/{gtin}/{code}")]:
        assert parameter(path, "gtin")["pattern"] == "^[0-9]{14}$", path
        assert "/" not in parameter(path, "code")["pattern"], path
    assert parameter("/api/v1/organisations/{value}", "value")["pattern"] == "^[0-9]{13}$"
    assert parameter("/api/v1/locations/{value}/clients", "value")["pattern"] == "^[0-9]{13}$"
    assert parameter("/api/v1/products/{value}", "value")["pattern"] == "^[0-9]{14}$"
    assert parameter("/api/v1/lots", "after", "get")["minLength"] == 1
    assert parameter("/api/v1/organisations", "after", "get")["minLength"] == 1


def test_options_of_label_prints_allows_what_the_path_allows(app: Flask) -> None:
    with app.app_context():
        World(services().log).setup()
    create_accounts(app, (("openapi-an", "farmer", FARM_A),))
    with app.app_context():
        token = services().accounts.create_token("openapi-an", label="test", by="test").secret
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/lots/{FRESH_LONGAN}/L1/label-prints"
    allowed = client.options(path, headers=headers)
    assert set(allowed.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    refused = client.get(path, headers=headers)
    assert refused.status_code == 405
    # A lot code with '/' still gets its reason, not a 404.
    slashed = client.get(f"/api/v1/lots/{FRESH_LONGAN}/A/B", headers=headers)
    assert slashed.status_code == 400
    assert "lot" in slashed.get_json()["errors"]
