"""Master data is versioned with who, when and why; accounts and tokens authenticate safely."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ledger.common.errors import ConflictError, InvalidInputError, NotFoundError
from ledger.supplychain.accounts import Accounts, token_digest
from ledger.supplychain.errors import AuthenticationError, ForbiddenError
from ledger.supplychain.masterdata import MasterData
from ledger.supplychain.tables import API_TOKEN
from ledger.tlog.log import Log
from ledger.tlog.tables import ADMIN_AUDIT
from tests.support.world import ADMIN, COOPERATIVE, FARM_A, FARMER_A, World, gln, gtin


def masterdata(log: Log) -> MasterData:
    return MasterData(log.engine, log.clock)


def test_every_change_is_a_new_version_with_who_and_why(world: World) -> None:
    data = masterdata(world.log)
    key = gln(500)
    first = data.save(
        ADMIN, "organisation", key, {"name": "Hộ Đỗ Văn Phúc", "roles": ["farm"]}, "mới"
    )
    assert (first.version, first.created) == (1, True)
    second = data.save(
        ADMIN,
        "organisation",
        key,
        {"name": "Hộ Đỗ Văn Phúc", "roles": ["farm"], "member_of": COOPERATIVE},
        "gia nhập HTX",
    )
    assert (second.version, second.created) == (2, False)
    assert data.get("organisation", key, ADMIN)["member_of"] == COOPERATIVE
    versions = data.versions("organisation", key, ADMIN)
    assert [(v["version"], v["reason"], v["changed_by"]) for v in versions] == [
        (1, "mới", "admin"),
        (2, "gia nhập HTX", "admin"),
    ]
    assert versions[0]["data"]["member_of"] is None
    with world.log.engine.connect() as connection:
        actions = (
            connection.execute(
                sa.select(ADMIN_AUDIT.c.action).where(ADMIN_AUDIT.c.target == f"organisation:{key}")
            )
            .scalars()
            .all()
        )
    assert actions == ["organisation.create", "organisation.update"]


def test_only_admins_change_master_data(world: World) -> None:
    with pytest.raises(ForbiddenError):
        masterdata(world.log).save(
            FARMER_A, "organisation", FARM_A, {"name": "x", "roles": ["farm"]}, "x"
        )


def test_references_and_units_are_checked(world: World) -> None:
    data = masterdata(world.log)
    with pytest.raises(InvalidInputError) as caught:
        data.save(
            ADMIN,
            "location",
            gln(501),
            {"organisation": gln(999), "kind": "farm_plot", "name": "Vườn"},
            "x",
        )
    assert "organisation" in caught.value.errors
    with pytest.raises(InvalidInputError) as caught:
        data.save(
            ADMIN,
            "product",
            gtin(500),
            {"kind": "live_chicken", "unit": "kg", "name_vi": "Gà", "name_en": "Chicken"},
            "x",
        )
    assert "unit" in caught.value.errors
    with pytest.raises(InvalidInputError) as caught:
        data.save(
            ADMIN,
            "organisation",
            gln(502),
            {"name": "x", "roles": ["farm"], "member_of": FARM_A},
            "x",
        )
    assert "member_of" in caught.value.errors
    with pytest.raises(NotFoundError):
        data.get("product", gtin(501))


def test_places_are_checked_against_the_edition_of_their_codes(world: World) -> None:
    """A new record is of the 2025 edition; its area is filled in from the commune; an unknown
    or misplaced code is refused naming its field, and nothing is written; a change that leaves
    the edition out keeps the record's."""
    data = masterdata(world.log)
    key = gln(510)
    plot = {"organisation": FARM_A, "kind": "farm_plot", "name": "Vườn nhãn Tiên Hoa"}
    with pytest.raises(InvalidInputError) as caught:
        data.save(ADMIN, "location", key, {**plot, "commune_code": "12352"}, "mới")
    assert list(caught.value.errors) == ["commune_code"]
    with pytest.raises(NotFoundError):
        data.get("location", key)
    with pytest.raises(InvalidInputError) as caught:
        data.save(
            ADMIN, "location", key, {**plot, "commune_code": "12361", "district_code": "330"}, "x"
        )
    assert list(caught.value.errors) == ["district_code"]
    data.save(ADMIN, "location", key, {**plot, "commune_code": "12361"}, "mới")
    record = data.get("location", key)
    assert (record["divisions"], record["commune_code"], record["district_code"]) == (
        "2025",
        "12361",
        "332",
    )
    before = {**plot, "divisions": "pre-2025", "district_code": "332", "commune_code": "12352"}
    data.save(ADMIN, "location", key, before, "đăng ký trước 1/7/2025")
    data.save(
        ADMIN,
        "location",
        key,
        {**plot, "district_code": "332", "commune_code": "12352", "area_ha": "0.4"},
        "đo lại",
    )
    assert data.get("location", key)["divisions"] == "pre-2025"
    with pytest.raises(InvalidInputError) as caught:
        data.save(
            ADMIN,
            "organisation",
            gln(511),
            {"name": "HTX", "roles": ["cooperative"], "province_code": "34"},
            "mới",
        )
    assert list(caught.value.errors) == ["province_code"]
    data.save(
        ADMIN,
        "organisation",
        gln(511),
        {"name": "HTX", "roles": ["cooperative"], "province_code": "34", "divisions": "pre-2025"},
        "mới",
    )


def test_passwords_are_checked_and_failures_say_the_same(world: World) -> None:
    accounts = Accounts(world.log.engine, world.log.clock)
    accounts.create_account(
        username="an.nguyen",
        password="mật-khẩu-đủ-dài",
        role="farmer",
        organisation=FARM_A,
        display_name="Nguyễn Văn An",
        by="admin",
    )
    principal = accounts.authenticate_password("an.nguyen", "mật-khẩu-đủ-dài")
    assert (principal.role, principal.organisation, principal.actor) == (
        "farmer",
        FARM_A,
        f"org:{FARM_A}",
    )
    with pytest.raises(AuthenticationError) as wrong:
        accounts.authenticate_password("an.nguyen", "sai-mật-khẩu")
    with pytest.raises(AuthenticationError) as unknown:
        accounts.authenticate_password("nobody", "sai-mật-khẩu")
    assert str(wrong.value) == str(unknown.value)
    with pytest.raises(ConflictError):
        accounts.create_account(
            username="an.nguyen",
            password="another-long-one",
            role="farmer",
            organisation=FARM_A,
            display_name="x",
            by="admin",
        )
    with pytest.raises(InvalidInputError) as caught:
        accounts.create_account(
            username="b",
            password="short",
            role="farmer",
            organisation=None,
            display_name="x",
            by="admin",
        )
    assert set(caught.value.errors) == {"password", "organisation"}
    accounts.set_active("an.nguyen", False, by="admin")
    with pytest.raises(AuthenticationError):
        accounts.authenticate_password("an.nguyen", "mật-khẩu-đủ-dài")
    accounts.set_active("an.nguyen", True, by="admin")


def test_tokens_are_hashed_scoped_expiring_and_revocable(world: World) -> None:
    accounts = Accounts(world.log.engine, world.log.clock)
    accounts.create_account(
        username="kho.lanh",
        password="một-mật-khẩu-dài",
        role="farmer",
        organisation=FARM_A,
        display_name="Kho",
        by="admin",
    )
    issued = accounts.create_token("kho.lanh", label="máy tính bảng", days=1, by="admin")
    principal = accounts.authenticate_token(issued.secret)
    assert (principal.username, principal.organisation) == ("kho.lanh", FARM_A)
    with world.log.engine.connect() as connection:
        stored = connection.execute(sa.select(API_TOKEN.c.token_hash)).scalars().all()
    assert token_digest(issued.secret) in [bytes(s) for s in stored]
    assert issued.secret.encode() not in b"".join(bytes(s) for s in stored)
    with pytest.raises(AuthenticationError, match="not valid"):
        accounts.authenticate_token(issued.secret[:-1] + ("A" if issued.secret[-1] != "A" else "B"))
    world.advance(days=1, hours=1)
    with pytest.raises(AuthenticationError, match="expired"):
        accounts.authenticate_token(issued.secret)
    second = accounts.create_token("kho.lanh", label="cân điện tử", days=30, by="admin")
    accounts.authenticate_token(second.secret)
    accounts.revoke_token(second.id, by="admin")
    with pytest.raises(AuthenticationError, match="revoked"):
        accounts.authenticate_token(second.secret)
    with pytest.raises(InvalidInputError):
        accounts.create_token("kho.lanh", label="x", days=1000, by="admin")
