"""Master data: organisations, locations, products and input products. Admins write; everyone
signed in reads, but a household's name, plots and history only the household, its cooperative,
auditors and admins (others read its kind, commune and certificates). A site's owner sets its
clients. Input products (pesticides, fertilisers, veterinary drugs, vaccines, feeds) are public
product facts."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from ledger.common.errors import InvalidInputError
from ledger.common.messages import N_, Message
from schemas.api import (
    GtinField,
    InputProductSchema,
    LocationSchema,
    MasterPageQuery,
    OrganisationSchema,
    ProductSchema,
    VersionSchema,
)
from schemas.event_fields import Gln
from schemas.masterdata import (
    ClientsInput,
    InputProductInput,
    LocationInput,
    OrganisationInput,
    ProductInput,
    load_code,
)
from web.api import API_PREFIX
from web.api.common import ApiBlueprint, documented_errors
from web.api.openapi import GLN, GTIN, INPUT_PRODUCT_CODE, path_parameter
from web.auth import require_principal
from web.services import services

bp = ApiBlueprint(
    "masterdata",
    __name__,
    url_prefix=API_PREFIX,
    description=(
        "Organisations, locations, products and input products, with their version history."
    ),
)

#: Each kind's key: its name in a body, and its form in an address.
_KEYS = {
    "organisation": ("gln", GLN),
    "location": ("gln", GLN),
    "product": ("gtin", GTIN),
    "input_product": ("code", INPUT_PRODUCT_CODE),
}


def _key(kind: str, value: str) -> str:
    try:
        if kind == "input_product":
            return load_code(value)
        field = GtinField() if kind == "product" else Gln()
        return str(field.deserialize(value))
    except ValidationError as error:
        messages = error.messages
        if isinstance(messages, dict):  # load_code names its field already
            raise InvalidInputError(errors=messages) from None
        raise InvalidInputError(errors={_KEYS[kind][0]: messages}) from None


def _routes(
    kind: str, plural: str, key: str, input_schema: type[Schema], output: type[Schema]
) -> None:
    key_field, key_schema = _KEYS[kind]
    in_path = [path_parameter(key, key_schema)]

    def listing(query: dict[str, Any]) -> list[dict[str, Any]]:
        return services().masterdata.page(
            kind, after=query.get("after", ""), limit=query["limit"], viewer=require_principal()
        )

    def read(value: str) -> dict[str, Any]:
        return services().masterdata.get(kind, _key(kind, value), require_principal())

    def save(values: dict[str, Any], value: str) -> tuple[dict[str, Any], int]:
        principal = require_principal()
        record_key = _key(kind, value)
        reason = values.pop("reason", None)
        expected = values.pop("version", None)
        named = values.pop(key_field, None)
        for read_only in ("certificates", "restricted"):
            values.pop(read_only, None)
        if named is not None and named != record_key:
            raise InvalidInputError(
                errors={
                    key_field: [
                        Message(
                            N_("The body names {named}, the address {key}."),
                            named=named,
                            key=record_key,
                        )
                    ]
                }
            )
        saved = services().masterdata.save(
            principal, kind, record_key, values, reason, expected_version=expected
        )
        return services().masterdata.get(kind, saved.key, principal), 201 if saved.created else 200

    def versions(value: str) -> list[dict[str, Any]]:
        return services().masterdata.versions(kind, _key(kind, value), require_principal())

    listing.__doc__ = f"List {plural}"
    read.__doc__ = f"One {kind}"
    save.__doc__ = f"Create or replace a {kind} (administrators)"
    versions.__doc__ = f"Every version of a {kind}: what, who, when, why"
    bp.route(f"/{plural}", methods=["GET"], endpoint=f"list_{plural.replace('-', '_')}")(
        documented_errors(bp, 400)(
            bp.response(200, output(many=True))(
                bp.arguments(MasterPageQuery, location="query")(listing)
            )
        )
    )
    bp.route(f"/{plural}/<{key}>", methods=["GET"], endpoint=f"get_{kind}", parameters=in_path)(
        documented_errors(bp, 400, 404)(bp.response(200, output)(read))
    )
    bp.route(f"/{plural}/<{key}>", methods=["PUT"], endpoint=f"put_{kind}", parameters=in_path)(
        documented_errors(bp, 400, 403, 409)(
            bp.alt_response(200, schema=output, description="Replaced or unchanged")(
                bp.response(201, output)(bp.arguments(input_schema)(save))
            )
        )
    )
    bp.route(
        f"/{plural}/<{key}>/versions",
        methods=["GET"],
        endpoint=f"versions_{kind}",
        parameters=in_path,
    )(documented_errors(bp, 400, 403, 404)(bp.response(200, VersionSchema(many=True))(versions)))


@bp.route("/locations/<value>/clients", methods=["PUT"], parameters=[path_parameter("value", GLN)])
@bp.arguments(ClientsInput)
@bp.response(200, LocationSchema)
@documented_errors(bp, 400, 403, 404, 409)
def put_clients(values: dict[str, Any], value: str) -> dict[str, Any]:
    """Set who may act at a site (its owner or an administrator)"""
    principal = require_principal()
    gln = _key("location", value)
    services().masterdata.save_clients(principal, gln, values["clients"], values["reason"])
    return services().masterdata.get("location", gln, principal)


_routes("organisation", "organisations", "value", OrganisationInput, OrganisationSchema)
_routes("location", "locations", "value", LocationInput, LocationSchema)
_routes("product", "products", "value", ProductInput, ProductSchema)
_routes("input_product", "input-products", "value", InputProductInput, InputProductSchema)
