"""``flask users|tokens|events|demo``: the domain from a shell, with the API's rules."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from demo.masterdata import gln as demo_gln
from ledger.common.clock import FakeClock
from tests.support.apps import app_config
from tests.support.databases import DatabaseFactory
from tests.support.world import FARM_A, FRESH_LONGAN, PACKER, PACKHOUSE, PLOT_A, World
from web import create_app
from web.services import services


@pytest.fixture(scope="module")
def world_app(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    app = create_app(
        app_config(databases.sqlite(), tmp_path_factory.mktemp("cli")), clock=FakeClock()
    )
    assert app.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    with app.app_context():
        World(services().log).setup()
    yield app
    services(app).log.engine.dispose()


def harvest_line(code: str, quantity: str = "10") -> str:
    return json.dumps(
        {
            "type": "harvest",
            "event_time": "2026-07-15T06:00:00+07:00",
            "data": {
                "plot": PLOT_A,
                "lot": f"lot:{FRESH_LONGAN}/{code}",
                "quantity": quantity,
                "data_source": "measured",
            },
        }
    )


def test_accounts_and_tokens(world_app: Flask) -> None:
    runner = world_app.test_cli_runner()
    created = runner.invoke(
        args=[
            "users", "create", "an", "--role", "farmer", "--organisation", FARM_A,
            "--name", "Nguyễn Văn An", "--password", "mật-khẩu-dài-đủ",
        ]
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    listed = runner.invoke(args=["users", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"an\tfarmer\t{FARM_A}\tactive" in listed.stdout.splitlines()
    assert "Accounts: 1." in listed.stderr
    bad = runner.invoke(
        args=["users", "create", "x", "--role", "farmer", "--organisation", "123",
              "--name", "x", "--password", "mật-khẩu-dài-đủ"]
    )  # fmt: skip
    assert bad.exit_code == 2
    assert "13-digit GLN" in bad.output
    token = runner.invoke(args=["tokens", "create", "an", "--label", "máy tính bảng"])
    assert token.exit_code == 0
    secret = token.output.strip().splitlines()[-1]
    assert secret.startswith("hyt_")
    client = world_app.test_client()
    assert (
        client.get("/api/v1/lots", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    revoked = runner.invoke(args=["tokens", "revoke", "1"])
    assert revoked.exit_code == 0
    assert (
        client.get("/api/v1/lots", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )


def test_events_import_applies_every_rule(world_app: Flask, tmp_path: Path) -> None:
    runner = world_app.test_cli_runner()
    size = services(world_app).log.size()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(harvest_line("I-1") + "\n" + harvest_line("I-2", "mười") + "\n{\n")
    result = runner.invoke(args=["events", "import", str(bad), "--as", "an"])
    assert result.exit_code == 1
    assert "line 2:" in result.output
    assert "line 3:" in result.output
    rule = tmp_path / "rule.jsonl"
    rule.write_text(harvest_line("I-3") + "\n" + harvest_line("I-3") + "\n")
    result = runner.invoke(args=["events", "import", str(rule), "--as", "an"])
    assert result.exit_code == 1
    assert "Line 2 was refused" in result.output
    assert "already exists" in result.output
    assert services(world_app).log.size() == size
    good = tmp_path / "good.jsonl"
    good.write_text(harvest_line("I-4") + "\n" + harvest_line("I-5") + "\n")
    result = runner.invoke(args=["events", "import", str(good), "--as", "an"])
    assert result.exit_code == 0, result.output
    assert "Recorded 2 events" in result.output
    assert services(world_app).log.size() == size + 2
    raw = runner.invoke(args=["ledger", "append", str(good)])
    assert raw.exit_code == 1
    assert "only restores into an empty ledger" in raw.output


def test_the_demo_season_is_recorded_through_the_rules(demo_season: tuple[Flask, str]) -> None:
    app, output = demo_season
    runner = app.test_cli_runner()
    # The planned refusal reads as the demo showing a rule, not as an error of the seeding.
    assert "refused, as it should" not in output
    (shown,) = [line for line in output.splitlines() if "2,413 kg" in line]
    assert shown.startswith("Showing a rule at work:")
    assert "this is not an error" in shown
    assert "has 2,363 kg available; the event needs 2,413 kg" in shown
    size = services(app).log.size()
    assert size > 250
    # The first longan farm sprayed two days ago: its home page has an interval to wait for.
    farm = demo_gln(1000)  # nhan-001's, the first of the longan cooperative's farms
    [waiting] = services(app).intervals.running_intervals_of_organisation(farm)
    assert (waiting.product, waiting.input_product) == ("Reasgant 3.6EC", "reasgant-3-6ec")
    assert waiting.days_left in (5, 6)  # sprayed at 16:xx two days ago, seven days of interval
    sprays = services(app).input_products.for_event("farm_input.pesticide", crop="pink_banana")
    assert [p.name for p in sprays] == ["Tasieu 1.9EC", "Tilt Super 300EC"]
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert again.exit_code == 0
    assert services(app).log.size() == size
    verify = runner.invoke(args=["ledger", "verify"])
    assert verify.exit_code == 0, verify.output
    signed_in = app.test_client().post(
        "/api/v1/session", json={"username": "thanh-tra", "password": "hung-yen-demo-2026"}
    )
    assert signed_in.status_code == 200


def test_label_keys_from_the_shell(world_app: Flask) -> None:
    runner = world_app.test_cli_runner()
    created = runner.invoke(
        args=["labels", "keys", "create", PACKHOUSE, "--prefix", "8938888", "--reason", "new"]
    )
    assert created.exit_code == 0, created.output
    assert "/label/" + PACKHOUSE in created.output
    listed = runner.invoke(args=["labels", "keys", "list"])
    [row] = [line.split("\t") for line in listed.output.splitlines() if PACKHOUSE in line]
    assert row[2] == "active"
    assert row[4] == "8938888"
    key_id = row[1]
    bad = runner.invoke(
        args=["labels", "keys", "create", PACKHOUSE, "--prefix", "89x", "--reason", "typo"]
    )
    assert bad.exit_code == 1
    assert "89x" in bad.output
    not_a_gln = runner.invoke(
        args=["labels", "keys", "create", "123", "--prefix", "8938888", "--reason", "x"]
    )
    assert not_a_gln.exit_code == 2
    ended = runner.invoke(args=["labels", "keys", "end", PACKHOUSE, "--reason", "closing"])
    assert ended.exit_code == 0, ended.output
    assert (
        f"{PACKHOUSE}\t{key_id}\tretired" in runner.invoke(args=["labels", "keys", "list"]).output
    )
    again = runner.invoke(args=["labels", "keys", "end", PACKHOUSE, "--reason", "twice"])
    assert again.exit_code == 1
    assert "has no active label key" in again.output
    not_hex = runner.invoke(
        args=[
            "labels",
            "keys",
            "end",
            PACKHOUSE,
            "--key",
            "xyz",
            "--reason",
            "x",
            "--revoke-from",
            "1",
        ]
    )
    assert not_hex.exit_code == 2
    assert "xyz" in not_hex.output
    start = int(row[3].strip("[").split(",")[0])
    revoked = runner.invoke(
        args=[
            "labels", "keys", "end", PACKHOUSE, "--key", key_id,
            "--revoke-from", str(start), "--reason", "leaked after retirement",
        ]
    )  # fmt: skip
    assert revoked.exit_code == 0, revoked.output
    listed = runner.invoke(args=["labels", "keys", "list"]).output
    assert f"{PACKHOUSE}\t{key_id}\trevoked\t[{start}, {start})" in listed


def test_printing_a_lot_from_the_shell(world_app: Flask, tmp_path: Path) -> None:
    runner = world_app.test_cli_runner()
    created = runner.invoke(
        args=["labels", "keys", "create", PACKHOUSE, "--prefix", "8930000", "--reason", "print"]
    )
    assert created.exit_code == 0, created.output
    with world_app.app_context():
        world = World(services().log)
        lot_id = world.packed_lot(units=2)
        world.record(PACKER, "label.issue", {"lot": lot_id, "count": 2})
    output = tmp_path / "labels.zip"
    printed = runner.invoke(
        args=["labels", "print", lot_id, "--layout", "thermal-50x30", "--output", str(output)]
    )
    assert printed.exit_code == 0, printed.output
    assert "2" in printed.output
    with zipfile.ZipFile(output) as archive:
        [name] = archive.namelist()
    assert name.endswith("-thermal-50x30-000001-000002.pdf")
    unknown = runner.invoke(args=["labels", "print", "lot:08930000000019/NONE", "--output", "x"])
    assert unknown.exit_code == 1
    assert "NONE" in unknown.output
    bad_layout = runner.invoke(args=["labels", "print", lot_id, "--layout", "a3", "--output", "x"])
    assert bad_layout.exit_code == 2
    listed = runner.invoke(args=["labels", "urls", "--limit", "1"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith(lot_id)
    [url] = [line.strip() for line in listed.output.splitlines() if "/21/" in line]
    assert "?s=" in url
    assert runner.invoke(args=["labels", "urls", lot_id, "--limit", "5"]).output.count("/21/") == 2
