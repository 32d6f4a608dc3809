"""Checks of the layers above the log run inside the log's audit, in its one pass."""

from __future__ import annotations

from collections.abc import Callable, Set
from typing import Any

import pytest

from ledger.common.messages import N_
from ledger.tlog.audit import audit
from ledger.tlog.audit_checks import AuditCheck, at_entry, fail
from ledger.tlog.audit_streams import AuditStreams
from ledger.tlog.errors import AuditError
from ledger.tlog.log import Log
from tests.support.factories import simple_event


class _Watcher:
    """Records what the audit tells it; refuses an entry when asked to."""

    entry_types = frozenset({"observe"})

    def __init__(self, refuse: int | None = None) -> None:
        self.refuse = refuse
        self.calls: list[tuple[Any, ...]] = []

    def start(self, streams: AuditStreams) -> Set[str]:
        assert streams.connection is not None
        self.calls.append(("start",))
        return {"flock:watched"}

    def observe(self, subject: str, link: dict[str, Any], envelope: dict[str, Any]) -> None:
        self.calls.append(("observe", subject, link["role"], envelope["payload"]["note"]))

    def check(self, index: int, envelope: dict[str, Any]) -> None:
        if index == self.refuse:
            raise fail(at_entry(index), N_("the entry is refused"))
        self.calls.append(("check", index))

    def finish(self) -> None:
        self.calls.append(("finish",))


def test_a_check_sees_its_subjects_and_entry_types_in_order(
    fresh_log: Callable[..., Log],
) -> None:
    log = fresh_log()
    log.append(simple_event("flock:watched", note="first"))
    log.append(simple_event("flock:other", note="second"))
    log.append(simple_event("flock:watched", note="third"))
    watcher = _Watcher()
    checks: list[AuditCheck] = [watcher]
    assert audit(log, checks=checks).entries == 3
    assert watcher.calls == [
        ("start",),
        ("check", 0),
        ("observe", "flock:watched", "observed", "first"),
        ("check", 1),
        ("check", 2),
        ("observe", "flock:watched", "observed", "third"),
        ("finish",),
    ]


def test_a_check_that_refuses_an_entry_fails_the_audit(fresh_log: Callable[..., Log]) -> None:
    log = fresh_log()
    log.append(simple_event("flock:watched"))
    log.append(simple_event("flock:watched"))
    with pytest.raises(AuditError, match="entry 1: the entry is refused"):
        audit(log, checks=[_Watcher(refuse=1)])
    assert audit(log).entries == 2
