"""The stock ledger: append-only moves, balances derived from them, and queries on both."""
