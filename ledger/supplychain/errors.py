"""Errors of the supply chain: who may do what, and the rules of custody, quantities, food safety
and recalls.
"""

from __future__ import annotations

from ledger.common.errors import LedgerError
from ledger.common.messages import N_


class AuthenticationError(LedgerError):
    """No valid credentials: a missing, wrong, expired or revoked password or token."""

    code = "unauthenticated"
    status = 401
    template = N_("Sign in or send a valid API token.")


class ForbiddenError(LedgerError):
    """The caller is known but may not do this; the message says why."""

    code = "forbidden"
    status = 403
    template = N_("You are not allowed to do this.")


class RuleViolationError(LedgerError):
    """The request is well-formed but breaks a rule of the supply chain (custody, quantities,
    food-safety intervals, recalls); nothing was recorded."""

    code = "rule_violation"
    status = 422
    template = N_("The event breaks a rule of the ledger and was not recorded.")


class InsufficientQuantityError(RuleViolationError):
    code = "insufficient_quantity"
    template = N_("Lot {lot} has {available} {unit} available; the event needs {requested} {unit}.")


class FoodSafetyIntervalError(RuleViolationError):
    """A harvest or slaughter while a spray's or treatment's interval runs; ``interval`` is the
    sentence :func:`ledger.supplychain.intervals.interval_message` makes of it."""

    code = "food_safety_interval"
    template = N_("{subject}: {interval} See entry {index}.")


class ImplausibleQuantityError(RuleViolationError):
    """A quantity beyond its product's plausibility bound, sent without a reason."""

    code = "implausible_quantity"
    template = N_("The quantity is beyond what is plausible; give the reason it is right.")


class LotBlockedError(RuleViolationError):
    code = "lot_blocked"
    template = N_("Lot {lot} is {status}: {reason}")
