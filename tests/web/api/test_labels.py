"""The labels API: issuing through the events API, the issued serials of a lot, and print jobs
started by the holder, followed, and downloaded when done."""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from labels.label_keys import create_label_key
from ledger.common.clock import FakeClock
from tests.support.apps import PASSWORD, app_config, create_accounts, create_tokens
from tests.support.databases import DatabaseFactory
from tests.support.world import COLLECTOR, PACKHOUSE, World
from web import create_app
from web.services import services


class ManualRunner:
    """Holds submitted jobs until the test runs them: the test sees every state in turn."""

    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []

    def __call__(self, task: Callable[[], None]) -> None:
        self.pending.append(task)

    def run_all(self) -> None:
        while self.pending:
            self.pending.pop(0)()


@pytest.fixture(scope="module")
def runner() -> ManualRunner:
    return ManualRunner()


@pytest.fixture(scope="module")
def labels_app(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory, runner: ManualRunner
) -> Iterator[Flask]:
    directory = tmp_path_factory.mktemp("labels-api")
    app = create_app(
        app_config(databases.sqlite(), directory, LABEL_PRINT_SUBMIT=runner), clock=FakeClock()
    )
    assert app.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    with app.app_context():
        log = services().log
        World(log).setup()
        create_label_key(log, PACKHOUSE, ["8930000"], "packhouse labels")
    create_accounts(
        app, (("dong-goi", "processor", PACKHOUSE), ("thu-gom", "distributor", COLLECTOR))
    )
    yield app
    services(app).log.engine.dispose()


@pytest.fixture(scope="module")
def tokens(labels_app: Flask) -> dict[str, str]:
    return create_tokens(labels_app, ("dong-goi", "thu-gom"))


@pytest.fixture(scope="module")
def packed(labels_app: Flask) -> str:
    with labels_app.app_context():
        return World(services().log).packed_lot(units=5)


@pytest.fixture
def client(labels_app: Flask) -> FlaskClient:
    return labels_app.test_client()


def bearer(token: str, language: str = "en") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept-Language": language}


def path(lot_id: str) -> str:
    return "/api/v1/lots/" + lot_id.removeprefix("lot:")


def test_the_holder_issues_labels_through_the_events_api(
    client: FlaskClient, tokens: dict[str, str], packed: str, labels_app: Flask
) -> None:
    with labels_app.app_context():
        event_time = World(services().log).time()
    answer = client.post(
        "/api/v1/events",
        json={"type": "label.issue", "event_time": event_time, "data": {"lot": packed, "count": 5}},
        headers=bearer(tokens["dong-goi"]),
    )
    assert answer.status_code == 201, answer.json
    too_many = client.post(
        "/api/v1/events",
        json={"type": "label.issue", "event_time": event_time, "data": {"lot": packed, "count": 9}},
        headers=bearer(tokens["dong-goi"], "vi"),
    )
    assert too_many.status_code == 422
    assert "tối đa" in too_many.json["message"]
    listed = client.get(path(packed) + "/labels", headers=bearer(tokens["thu-gom"]))
    assert listed.status_code == 200
    assert listed.json["issued"] == 5
    [issue] = listed.json["issues"]
    assert (issue["first_serial"], issue["last_serial"], issue["issuer"]) == ("1", "5", PACKHOUSE)
    missing = client.get(path(packed) + "X/labels", headers=bearer(tokens["thu-gom"]))
    assert missing.status_code == 404


def test_a_print_job_runs_in_the_background_and_is_downloaded_when_done(
    client: FlaskClient, tokens: dict[str, str], packed: str, runner: ManualRunner
) -> None:
    started = client.post(
        path(packed) + "/label-prints",
        json={"layout": "thermal-50x30"},
        headers=bearer(tokens["dong-goi"]),
    )
    assert started.status_code == 202, started.json
    job = started.json
    assert (job["status"], job["done"], job["total"], job["download"]) == ("queued", 0, 5, None)
    status = client.get(f"/api/v1/label-prints/{job['id']}", headers=bearer(tokens["dong-goi"]))
    assert status.json["status"] == "queued"
    early = client.get(
        f"/api/v1/label-prints/{job['id']}/labels.zip", headers=bearer(tokens["dong-goi"])
    )
    assert early.status_code == 409
    # Another organisation does not see the job at all.
    other = client.get(f"/api/v1/label-prints/{job['id']}", headers=bearer(tokens["thu-gom"]))
    assert other.status_code == 404
    runner.run_all()
    done = client.get(f"/api/v1/label-prints/{job['id']}", headers=bearer(tokens["dong-goi"]))
    assert (done.json["status"], done.json["done"], done.json["files"]) == ("done", 5, 1)
    download = client.get(done.json["download"], headers=bearer(tokens["dong-goi"]))
    assert download.status_code == 200
    assert download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        [name] = archive.namelist()
        assert archive.read(name).startswith(b"%PDF-")


def test_only_the_holder_prints_and_bad_requests_are_clear(
    client: FlaskClient, tokens: dict[str, str], packed: str
) -> None:
    refused = client.post(
        path(packed) + "/label-prints", json={}, headers=bearer(tokens["thu-gom"], "vi")
    )
    assert refused.status_code == 403
    # The sentence names the holder; the identifiers stay in the structured errors.
    assert refused.json["message"] == (
        "Lô P00001 (Nhãn lồng hộp 1 kg) đang do Nhà sơ chế Khoái Châu giữ; chỉ bên giữ lô mới "
        "được in nhãn của lô này."
    )
    assert PACKHOUSE in refused.json["errors"]["$"][0]
    assert packed in refused.json["errors"]["$"][0]
    bad = client.post(
        path(packed) + "/label-prints", json={"layout": "a0"}, headers=bearer(tokens["dong-goi"])
    )
    assert bad.status_code == 400
    assert "layout" in bad.json["errors"]
    unknown = client.get("/api/v1/label-prints/not-a-job", headers=bearer(tokens["dong-goi"]))
    assert unknown.status_code == 404


def test_the_holder_sees_the_scans_of_its_lot_others_do_not(
    client: FlaskClient, tokens: dict[str, str], packed: str
) -> None:
    serial_url = client.get(path(packed) + "/labels", headers=bearer(tokens["dong-goi"])).json
    assert serial_url["issued"] == 5
    mine = client.get(path(packed) + "/scans", headers=bearer(tokens["dong-goi"]))
    assert mine.status_code == 200
    assert mine.json["lot"] == packed
    assert mine.json["may_be_copied"] == []
    theirs = client.get(path(packed) + "/scans", headers=bearer(tokens["thu-gom"]))
    assert theirs.status_code == 403


def test_the_holder_prints_from_the_web_page_and_downloads_when_done(
    labels_app: Flask, packed: str, runner: ManualRunner
) -> None:
    browser = labels_app.test_client()
    page = "/print/" + packed.removeprefix("lot:")
    assert browser.get(page).status_code == 303
    sign_in_form = browser.get(f"/sign-in?next={page}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', sign_in_form)
    assert token is not None
    no_token = browser.post(
        f"/sign-in?next={page}", data={"username": "dong-goi", "password": PASSWORD}
    )
    assert no_token.status_code == 401
    refused = browser.post(
        f"/sign-in?next={page}",
        data={"username": "dong-goi", "password": "sai", "csrf_token": token.group(1)},
    )
    assert refused.status_code == 401
    signed_in = browser.post(
        f"/sign-in?next={page}",
        data={"username": "dong-goi", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"].endswith(page)
    form = browser.get(page)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "thermal-50x30" in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert csrf is not None
    forged = browser.post(page, data={"layout": "thermal-50x30"})
    assert forged.status_code == 403
    started = browser.post(page, data={"layout": "thermal-50x30", "csrf_token": csrf.group(1)})
    assert started.status_code == 303
    job_page = started.headers["Location"]
    waiting = browser.get(job_page).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in waiting, "no timed refresh (WCAG 2.2.1)"
    assert f'<a href="{job_page}">' in waiting, "without JavaScript, a link shows the progress"
    assert "/static/print_job.js" in waiting
    runner.run_all()
    ready = browser.get(job_page).get_data(as_text=True)
    assert 'data-status="done"' in ready
    link = re.search(r'<a href="([^"]+)" download>', ready)
    assert link is not None
    download = browser.get(link.group(1))
    assert download.status_code == 200
    assert download.mimetype == "application/zip"
    other = labels_app.test_client()
    other_token = re.search(
        r'name="csrf_token" value="([^"]+)"', other.get("/sign-in").get_data(as_text=True)
    )
    assert other_token is not None
    other.post(
        "/sign-in",
        data={"username": "thu-gom", "password": PASSWORD, "csrf_token": other_token.group(1)},
    )
    assert other.get(job_page).status_code == 404
    assert other.get(page).status_code == 403, "only the holder sees the print form"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "/\tevil", "x"]
)
def test_signing_in_never_sends_the_browser_to_another_site(labels_app: Flask, target: str) -> None:
    browser = labels_app.test_client()
    form = browser.get("/sign-in", query_string={"next": target}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    answer = browser.post(
        "/sign-in",
        query_string={"next": target},
        data={"username": "dong-goi", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/"


def test_an_organisation_has_at_most_three_print_jobs_under_way(
    client: FlaskClient, tokens: dict[str, str], packed: str, runner: ManualRunner
) -> None:
    runner.run_all()
    for _ in range(3):
        started = client.post(
            path(packed) + "/label-prints", json={}, headers=bearer(tokens["dong-goi"])
        )
        assert started.status_code == 202
    fourth = client.post(
        path(packed) + "/label-prints", json={}, headers=bearer(tokens["dong-goi"])
    )
    assert fourth.status_code == 409
    runner.run_all()
    again = client.post(path(packed) + "/label-prints", json={}, headers=bearer(tokens["dong-goi"]))
    assert again.status_code == 202
    runner.run_all()


def test_a_form_token_that_is_not_ascii_is_refused_not_a_crash(labels_app: Flask) -> None:
    browser = labels_app.test_client()
    browser.get("/sign-in")
    answer = browser.post(
        "/sign-in", data={"username": "dong-goi", "password": PASSWORD, "csrf_token": "é"}
    )
    assert answer.status_code == 401


def test_the_print_form_says_when_no_labels_were_issued(labels_app: Flask) -> None:
    with labels_app.app_context():
        # Lot codes of its own: another World of this module made lots already.
        unlabelled = World(services().log, _codes=itertools.count(900)).packed_lot(units=2)
    browser = labels_app.test_client()
    form = browser.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    browser.post(
        "/sign-in",
        data={"username": "dong-goi", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    page = browser.get("/print/" + unlabelled.removeprefix("lot:"))
    assert page.status_code == 200
    assert "No labels were issued" in page.get_data(as_text=True) or "Chưa có nhãn" in (
        page.get_data(as_text=True)
    )
