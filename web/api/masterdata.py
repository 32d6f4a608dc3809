"""Master data: organisations, locations and products. Everyone signed in reads; admins write."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from ledger.errors import InvalidInputError
from schemas.api import (
    GtinField,
    LocationSchema,
    MasterPageQuery,
    OrganisationSchema,
    ProductSchema,
    VersionSchema,
)
from schemas.events import Gln
from schemas.masterdata import LocationInput, OrganisationInput, ProductInput
from web.api import API_PREFIX
from web.api.common import ApiBlueprint, documented_errors
from web.auth import require_principal
from web.services import services

bp = ApiBlueprint(
    "masterdata",
    __name__,
    url_prefix=API_PREFIX,
    description="Organisations, locations and products, with their version history.",
)


def _key(kind: str, value: str) -> str:
    field = GtinField() if kind == "product" else Gln()
    try:
        return str(field.deserialize(value))
    except ValidationError as error:
        raise InvalidInputError(
            errors={"gtin" if kind == "product" else "gln": error.messages}
        ) from None


def _routes(
    kind: str, plural: str, key: str, input_schema: type[Schema], output: type[Schema]
) -> None:
    def listing(query: dict[str, Any]) -> list[dict[str, Any]]:
        return services().masterdata.page(kind, after=query.get("after", ""), limit=query["limit"])

    def read(value: str) -> dict[str, Any]:
        return services().masterdata.get(kind, _key(kind, value))

    def save(values: dict[str, Any], value: str) -> tuple[dict[str, Any], int]:
        reason = values.pop("reason")
        saved = services().masterdata.save(
            require_principal(), kind, _key(kind, value), values, reason
        )
        return services().masterdata.get(kind, saved.key), 201 if saved.created else 200

    def versions(value: str) -> list[dict[str, Any]]:
        return services().masterdata.versions(kind, _key(kind, value))

    listing.__doc__ = f"List {plural}"
    read.__doc__ = f"One {kind}"
    save.__doc__ = f"Create or replace a {kind} (administrators)"
    versions.__doc__ = f"Every version of a {kind}: what, who, when, why"
    bp.route(f"/{plural}", methods=["GET"], endpoint=f"list_{plural}")(
        documented_errors(bp, 400)(
            bp.response(200, output(many=True))(
                bp.arguments(MasterPageQuery, location="query")(listing)
            )
        )
    )
    bp.route(f"/{plural}/<{key}>", methods=["GET"], endpoint=f"get_{kind}")(
        documented_errors(bp, 400, 404)(bp.response(200, output)(read))
    )
    bp.route(f"/{plural}/<{key}>", methods=["PUT"], endpoint=f"put_{kind}")(
        documented_errors(bp, 400, 403)(
            bp.alt_response(200, schema=output, description="Replaced")(
                bp.response(201, output)(bp.arguments(input_schema)(save))
            )
        )
    )
    bp.route(f"/{plural}/<{key}>/versions", methods=["GET"], endpoint=f"versions_{kind}")(
        documented_errors(bp, 400, 404)(bp.response(200, VersionSchema(many=True))(versions))
    )


_routes("organisation", "organisations", "value", OrganisationInput, OrganisationSchema)
_routes("location", "locations", "value", LocationInput, LocationSchema)
_routes("product", "products", "value", ProductInput, ProductSchema)
