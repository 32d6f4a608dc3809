"""Labels in every state the public page tells apart, for the resolver and browser tests."""

from __future__ import annotations

from flask import Flask

from ledger.tlog.log import Log
from web.services import services


def issue_labels(app: Flask, base: str = "http://localhost") -> dict[str, list[str]]:
    """Labels in every state the public page distinguishes, as signed URLs on ``base``:

    * ``revoked``: two labels signed by a key that was replaced, then revoked as leaked;
    * ``good``: five labels of a lot in good standing;
    * ``recalled``: three labels of a lot recalled after they were issued.
    """
    from labels.label_keys import create_label_key
    from labels.printing import issued_labels
    from ledger.tlog.key_events import end_label_key
    from tests.support.world import AUDITOR, PACKER, PACKHOUSE, World

    urls: dict[str, list[str]] = {}
    with app.app_context():
        log = services().log
        world = World(log).setup()
        lots = {}
        create_label_key(log, PACKHOUSE, ["8930000"], "first packhouse key")
        for name, units in (("revoked", 2), ("good", 5), ("recalled", 3)):
            if name == "good":
                leaked = log.active_label_key(PACKHOUSE)
                assert leaked is not None
                create_label_key(log, PACKHOUSE, ["8930000"], "the first key leaked")
                end_label_key(
                    log,
                    PACKHOUSE,
                    "found on a stolen laptop",
                    leaked.valid_from,
                    key_id=leaked.verifier.key_id,
                )
            lot_id = world.packed_lot(units=units)
            world.record(PACKER, "label.issue", {"lot": lot_id, "count": units})
            lots[name] = lot_id
        for name, lot_id in lots.items():
            if name != "revoked":
                urls[name] = [label.url for label in issued_labels(log, lot_id, base)]
        # Labels of a revoked key cannot be printed any more: sign them as they were printed.
        urls["revoked"] = _signed_with_revoked_key(log, lots["revoked"], base)
        world.record(
            AUDITOR,
            "recall",
            {
                "lots": [lots["recalled"]],
                "reason": "Dư lượng thuốc bảo vệ thực vật vượt mức cho phép",
                "consumer_action": "Không ăn; mang trả lại cửa hàng để được hoàn tiền.",
            },
        )
    return urls


def _signed_with_revoked_key(log: Log, lot_id: str, base: str) -> list[str]:
    from cryptography.hazmat.primitives import serialization

    from labels.digital_link import label_url
    from labels.signature import LabelId, sign_label
    from ledger.supplychain.label_issues import lot_label_issues
    from ledger.tlog.key_registry import label_key_path
    from ledger.tlog.note import Signer

    with log.engine.connect() as connection:
        [issue] = lot_label_issues(connection, lot_id)
    [record] = [k for k in log.keys("label") if k.verifier.vkey == issue.label_key]
    path = label_key_path(
        log.settings.label_keys_directory, record.organisation or "", record.verifier
    )
    pem = path.with_name(path.name + ".revoked").read_bytes()
    private_key = serialization.load_pem_private_key(pem, None)
    signer = Signer.from_private_key(record.verifier.name, private_key)  # type: ignore[arg-type]
    gtin, _, code = lot_id[4:].partition("/")
    urls = []
    for serial in range(issue.first_serial, issue.last_serial + 1):
        label = LabelId(gtin, code, str(serial))
        urls.append(label_url(base, label, sign_label(signer, log.origin, label)))
    return urls
