"""HTTP API: one APIRouter per area, JSON errors, pagination, metrics and the live stream."""
