"""Cloud service: MQTT ingest → pure domain → append-only ledger → API and web."""
