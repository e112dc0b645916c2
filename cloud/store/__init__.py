"""Storage: SQLAlchemy models, engine and session factory, Alembic migrations."""
