"""The home of each role after signing in, "my records" with what the ledger refused and why,
sending a refused form again, and photos attached to a form."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask

from tests.support.apps import PASSWORD
from tests.support.field import (
    FLOCK,
    SPRAYED_PLOT,
    form_values,
    ledger_size,
    post_form,
    sign_in,
    signed_in,
)
from tests.support.inputs import ABAMECTIN, ENROFLOXACIN, spray_of
from tests.support.photos import renamed_pdf, small_jpeg
from tests.support.world import (
    CHICKEN_FARM,
    CHICKEN_FARMER,
    COLLECTOR,
    FARMER_A,
    FRESH_LONGAN,
    HOUSE,
    PLOT_A,
    PLOT_B,
    World,
    lot,
    spray_data,
)
from web.services import services

pytestmark = pytest.mark.timeout(60)


def test_the_header_names_the_signed_in_organisation_not_its_gln(field_app: Flask) -> None:
    client = signed_in(field_app, "trai-ga")
    for path in ("/field/", "/", "/field/records"):
        header = re.search(
            r'<header class="bar">(.*?)</header>', client.get(path).get_data(True), re.S
        )
        assert header is not None, path
        assert 'id="signed-in-organisation">Trại gà đồi Phù Cừ<' in header.group(1), path
        assert CHICKEN_FARM not in header.group(1), path
    assert "signed-in-organisation" not in field_app.test_client().get("/").get_data(True)


def test_a_farmer_lands_on_todays_work_with_the_farms_plots_flocks_and_forms(
    field_app: Flask,
) -> None:
    client = field_app.test_client()
    landed = sign_in(client, "trai-ga")
    assert landed.headers["Location"] == "/field/"
    page = client.get("/field/").get_data(as_text=True)
    assert "Việc hôm nay" in page
    assert "Trại gà đồi Phù Cừ" in page  # the organisation, by name
    assert "trai-ga" in page
    assert "Chuồng gà 1" in page
    assert "FLOCK-1" in page
    assert f'href="/field/lots/{FLOCK.replace(":", "%3A").replace("/", "%2F")}"' in page
    assert 'href="/field/record/feed"' in page
    assert 'href="/field/records"' in page
    assert 'action="/sign-out"' in page
    assert 'href="/field/record/receive"' not in page
    assert 'href="/field/record/harvest"' not in page  # a chicken farm has no plot to harvest
    orchard = signed_in(field_app, "an").get("/field/").get_data(as_text=True)
    assert 'href="/field/record/harvest"' in orchard
    assert 'href="/field/record/placement"' not in orchard  # nor an orchard a chicken house


def test_a_distributor_sees_what_comes_in_and_no_farm_form(field_app: Flask) -> None:
    with field_app.app_context():
        world = World(services().log)
        shipped = lot(FRESH_LONGAN, "TO-COLLECTOR")
        world.record(
            FARMER_A,
            "harvest",
            {"plot": PLOT_A, "lot": shipped, "quantity": "40", "data_source": "measured"},
        )
        world.record(
            FARMER_A,
            "ship",
            {
                "lot": shipped,
                "quantity": "40",
                "receiver": COLLECTOR,
                "vehicle_class": "van",
                "refrigerated": False,
                "distance_km": "10",
                "transport_document": "PX-1",
                "data_source": "measured",
            },
        )
    client = signed_in(field_app, "thu-gom")
    page = client.get("/field/").get_data(as_text=True)
    incoming = page.split('id="incoming-title"')[1].split("</section>")[0]
    assert "TO-COLLECTOR" in incoming
    assert 'href="/field/record/harvest"' not in page
    assert 'href="/field/record/hand-over"' not in page
    assert 'href="/field/record/energy"' in page  # energy use is every holder's
    assert 'href="/field/scan" id="scan-start"' in page  # the handover starts with a scan


def test_an_auditor_is_offered_no_form(field_app: Flask) -> None:
    page = signed_in(field_app, "kiem-tra").get("/field/").get_data(as_text=True)
    assert "/field/record/" not in page


def test_signing_in_on_the_way_somewhere_still_leads_there(field_app: Flask) -> None:
    client = field_app.test_client()
    page = client.get("/sign-in?next=/field/records").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    answer = client.post(
        "/sign-in?next=/field/records",
        data={"csrf_token": token.group(1), "username": "an", "password": PASSWORD},
    )
    assert answer.headers["Location"] == "/field/records"


def test_my_records_say_what_was_refused_and_the_form_comes_back_to_fix(
    field_app: Flask,
) -> None:
    with field_app.app_context():
        World(services().log).record(FARMER_A, "farm_input.pesticide", spray_data(SPRAYED_PLOT, 7))
    client = signed_in(field_app, "an")
    refused = post_form(
        client,
        "/field/record/harvest",
        {"plot": SPRAYED_PLOT, "product": FRESH_LONGAN, "lot_code": "IN-PHI", "quantity": "80,5"},
    )
    assert refused.status_code == 422
    assert "Regent 800WG" in refused.get_data(as_text=True)
    records = client.get("/field/records").get_data(as_text=True)
    assert "Bị từ chối" in records
    assert "Vườn nhãn An 2" in records  # the plot by its name, not its GLN
    assert SPRAYED_PLOT not in records
    english = client.get("/field/records?lang=en").get_data(as_text=True)
    assert "Refused:" in english
    assert "Vườn nhãn An 2" in english
    assert "pre-harvest interval" in english
    records = client.get("/field/records?lang=vi").get_data(as_text=True)
    [mine] = [item for item in records.split("<li ") if "IN-PHI" in item]
    again = re.search(r'href="(/field/record/harvest\?resend=[^"]+)"', mine)
    assert again is not None
    form = client.get(again.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 'value="80,5"' in form
    assert "cách ly" in form.split('data-name="plot"')[1].split("</div>")[0]
    assert 'value="IN-PHI"' in form
    before = ledger_size(field_app)
    fixed = post_form(client, "/field/record/harvest", {"plot": PLOT_B}, page=form)
    assert fixed.status_code == 422  # PLOT_B is another farm's: still refused, nothing recorded
    assert ledger_size(field_app) == before


def test_someone_elses_record_is_not_found(field_app: Flask) -> None:
    client = signed_in(field_app, "an")
    post_form(client, "/field/record/irrigation", {"plot": PLOT_A, "volume_m3": "1"})
    mine = re.search(
        r'href="(/field/records/[0-9a-f-]{36})"',
        client.get("/field/records").get_data(as_text=True),
    )
    assert mine is not None
    assert client.get(mine.group(1)).status_code == 200
    assert signed_in(field_app, "trai-ga").get(mine.group(1)).status_code == 404
    assert client.get("/field/records/not-a-uuid").status_code == 404


def test_a_photo_is_attached_and_a_renamed_pdf_refused(field_app: Flask) -> None:
    client = signed_in(field_app, "an")
    page = client.get("/field/record/harvest").get_data(as_text=True)
    assert 'capture="environment"' in page
    values = {"plot": PLOT_A, "product": FRESH_LONGAN, "lot_code": "PHOTO-1", "quantity": "5"}
    before = ledger_size(field_app)
    data = {**form_values(page), **values, "photo": (io.BytesIO(renamed_pdf()), "anh.jpg")}
    refused = client.post("/field/record/harvest", data=data, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert ledger_size(field_app) == before
    data = {**form_values(page), **values, "photo": (io.BytesIO(small_jpeg()), "anh.jpg")}
    recorded = client.post("/field/record/harvest", data=data, content_type="multipart/form-data")
    assert recorded.status_code == 303
    assert ledger_size(field_app) == before + 1
    with field_app.app_context():
        entry = services().log.entry(before)
    assert len(entry.envelope["payload"]["photos"]) == 1


def test_the_harvest_form_says_which_spray_still_runs_and_until_when(field_app: Flask) -> None:
    with field_app.app_context():
        World(services().log).record(
            FARMER_A, "farm_input.pesticide", spray_of(ABAMECTIN, SPRAYED_PLOT, area_ha="0.4")
        )
    client = signed_in(field_app, "an")
    page = client.get("/field/record/harvest").get_data(as_text=True)
    notices = re.findall(r'<p class="notice">([^<]+)</p>', page)
    assert any(
        "Vườn nhãn An 2" in text and "Reasgant 3.6EC" in text and "cách ly" in text
        for text in notices
    ), notices
    home = client.get("/field/").get_data(as_text=True)
    assert "Reasgant 3.6EC" in home.split('id="intervals-title"')[1].split("</section>")[0]


def test_an_implausible_harvest_asks_for_a_reason_and_then_records(field_app: Flask) -> None:
    client = signed_in(field_app, "an")
    values = {"plot": PLOT_A, "product": FRESH_LONGAN, "lot_code": "BIG-1", "quantity": "999999"}
    before = ledger_size(field_app)
    asked = post_form(client, "/field/record/harvest", values)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 422
    assert ledger_size(field_app) == before
    reason = page.split('data-name="plausibility_reason"')[1].split("</div>")[0]
    assert "hidden" not in reason.split(">")[0]
    assert 'class="error"' in reason
    confirmed = post_form(
        client,
        "/field/record/harvest",
        {"plausibility_reason": "Cân cả vụ của hợp tác xã"},
        page=page,
    )
    assert confirmed.status_code == 303
    assert ledger_size(field_app) == before + 1


def test_a_photo_too_large_to_read_is_said_on_the_photo_field(field_app: Flask) -> None:
    client = signed_in(field_app, "an")
    page = client.get("/field/record/harvest").get_data(as_text=True)
    limit = field_app.config.get("PHOTO_MAX_BYTES", 10 * 1024 * 1024)
    data = {**form_values(page), "photo": (io.BytesIO(b"\xff" * (limit + 300_000)), "to.jpg")}
    before = ledger_size(field_app)
    refused = client.post("/field/record/harvest", data=data, content_type="multipart/form-data")
    assert refused.status_code == 413
    assert ledger_size(field_app) == before
    assert 'data-name="photo"' in refused.get_data(as_text=True)
    assert "MB" in refused.get_data(as_text=True).split('data-name="photo"')[1]


def test_a_list_of_one_is_chosen_already(field_app: Flask) -> None:
    page = signed_in(field_app, "trai-ga").get("/field/record/placement").get_data(as_text=True)
    assert f'<option value="{HOUSE}" selected>' in page  # the farm's one chicken house


def test_the_hand_over_says_which_treatment_still_runs_on_the_flock(field_app: Flask) -> None:
    with field_app.app_context():
        World(services().log).record(
            CHICKEN_FARMER,
            "flock.treatment",
            {
                "flock": FLOCK,
                "input_product": ENROFLOXACIN,
                "product": "Enrofloxacin 10%",
                "active_substance": "Enrofloxacin 10%",
                "dose": "1",
                "dose_unit": "ml/l nước",
                "withdrawal_days": 7,
                "vet": "tv-012",
            },
        )
    page = signed_in(field_app, "trai-ga").get("/field/record/hand-over").get_data(as_text=True)
    notices = re.findall(r'<p class="notice">([^<]+)</p>', page)
    assert any("FLOCK-1" in text and "Enrofloxacin" in text for text in notices), notices
