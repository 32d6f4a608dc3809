"""Signed QR labels and their printable sheets (GS1 Digital Link URLs signed by label keys)."""
