"""Balances by stock key: where an EPC is, without scanning every balance.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index(op.f("ix_balances_stock_key"), "balances", ["stock_key"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_balances_stock_key"), table_name="balances")
