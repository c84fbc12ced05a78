"""Errors of the landing loader: a file that breaks its contract, or rows that would be lost."""


class LandingContractError(Exception):
    """A landing file violates its contract (missing/duplicate columns, unreadable file)."""


class ReconciliationError(RuntimeError):
    """Rows received do not equal rows loaded plus rows rejected: something would be lost."""
