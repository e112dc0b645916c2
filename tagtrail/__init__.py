"""tagtrail: from dock-door RFID reads to the stock ledger."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tagtrail")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
