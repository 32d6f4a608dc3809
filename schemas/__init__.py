"""Marshmallow schemas: the one place where outside input becomes canonical ledger values."""
