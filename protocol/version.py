"""Wire schema version; bump on any incompatible change to a payload or topic."""

SCHEMA_VERSION = 1
SUPPORTED_SCHEMAS = frozenset({1})
