"""The wire contract shared by edge and cloud: message models, topic tree, EPC codec."""

from protocol.version import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION"]
