"""ESG reports computed from ledger events and anchored to a signed checkpoint."""
