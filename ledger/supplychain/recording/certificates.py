"""Certificates a certification body issues to a farm or business, and revokes."""

from __future__ import annotations

import json

from ledger.common.errors import ConflictError, NotFoundError
from ledger.common.messages import N_
from ledger.supplychain.errors import ForbiddenError
from ledger.supplychain.recording.context import RecordingContext, rule_violation


def certificate_issue(ctx: RecordingContext) -> None:
    body = ctx.organisation("body", "certification_body")
    if ctx.principal.role != "admin" and ctx.org != body.gln:
        raise ForbiddenError(
            N_("Only the certification body {body} or an administrator can issue this."),
            body=body.gln,
        )
    holder = ctx.organisation("holder")
    cert_id = f"cert:{ctx.data['scheme']}/{ctx.data['number']}"
    if ctx.state.certificate(cert_id) is not None:
        raise ConflictError(N_("Certificate {id} was already issued."), id=cert_id)
    if ctx.data["valid_to"] < ctx.data["valid_from"]:
        raise rule_violation("valid_to", N_("The certificate ends before it starts."))
    ctx.state.issue_certificate(
        {
            "id": cert_id,
            "scheme": ctx.data["scheme"],
            "number": ctx.data["number"],
            "body": body.gln,
            "holder": holder.gln,
            "scope": json.dumps(
                {
                    "locations": ctx.data.get("locations") or [],
                    "products": ctx.data.get("products") or [],
                }
            ),
            "valid_from": ctx.data["valid_from"],
            "valid_to": ctx.data["valid_to"],
            "issued_entry": ctx.index,
            "revoked_entry": None,
            "revoked_on": None,
        }
    )
    ctx.subject(cert_id, "output")
    ctx.subject(f"org:{holder.gln}", "observed")


def certificate_revoke(ctx: RecordingContext) -> None:
    cert_id = ctx.data["certificate"]
    row = ctx.state.certificate(cert_id)
    if row is None:
        raise NotFoundError(N_("There is no certificate {id}."), id=cert_id)
    if ctx.principal.role != "admin" and ctx.org != row["body"]:
        raise ForbiddenError(
            N_("Only the certification body {body} or an administrator can revoke this."),
            body=row["body"],
        )
    if row["revoked_entry"] is not None:
        raise rule_violation("certificate", N_("Certificate {id} is already revoked."), id=cert_id)
    ctx.state.revoke_certificate(cert_id, ctx.index, ctx.data["effective"])
    ctx.subject(cert_id, "input")
