"""Translatable messages that do not depend on Flask.

The ledger and the schemas run outside any request (CLI, benchmarks, the audit), so they cannot
call Flask-Babel. They produce :class:`Message` objects instead: plain English strings that also
remember their template and parameters. The web layer looks the template up in its catalogue and
formats the translation with the same parameters, so a Vietnamese reader gets the same facts
(field, value, limit) as an English one.
"""

from __future__ import annotations

from typing import Any


def N_(template: str) -> str:
    """Mark a template for extraction into the message catalogue without translating it."""
    return template


class Message(str):
    """An English message carrying its template and parameters for later translation."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Message:
        text = template.format(**params) if params else template
        instance = super().__new__(cls, text)
        instance.template = template
        instance.params = params
        return instance

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the template and parameters when errors cross a process boundary.
        return (_rebuild_message, (self.template, self.params))


def _rebuild_message(template: str, params: dict[str, Any]) -> Message:
    return Message(template, **params)
