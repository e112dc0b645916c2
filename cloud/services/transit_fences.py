"""Geofences as the transit domain sees them: one STRtree index per database and fence revision.

Building the index for thousands of fences takes a while, so it is kept per database and
rebuilt only when the fences change (their count, newest id or last update moves).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.domain.transit.fences import Fence, FenceIndex, circle_shape, polygon_shape
from cloud.domain.transit.vocab import FenceShape
from cloud.store.models import Geofence

Revision = tuple[object, ...]

_lock = threading.Lock()
_cache: dict[str, tuple[Revision, FenceIndex]] = {}
_PER_TRANSACTION = "transit.fence_index"


def fence_of(row: Geofence) -> Fence:
    """The domain fence of a stored geofence."""
    if row.shape == FenceShape.CIRCLE.value:
        assert row.lat is not None
        assert row.lon is not None
        assert row.radius_m is not None
        shape = circle_shape(row.lat, row.lon, row.radius_m)
    else:
        assert row.rings is not None
        shape = polygon_shape(row.rings)
    return Fence(row.id, shape, row.dwell_s, row.site_id, row.code)


def revision(session: Session) -> Revision:
    """What changes whenever a geofence is added, changed or removed."""
    query = select(func.count(Geofence.id), func.max(Geofence.id), func.max(Geofence.updated_at))
    return tuple(session.execute(query).one())


def fence_index(session: Session) -> FenceIndex:
    """The index of every geofence in the session's database, as of now."""
    bind = session.get_bind()
    key, current = str(bind.engine.url), revision(session)
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] == current:
        return cached[1]
    index = FenceIndex(fences(session))
    with _lock:
        _cache[key] = (current, index)
    return index


def transaction_fence_index(session: Session) -> FenceIndex:
    """`fence_index`, looked up once per transaction of the session (its revision query scans
    every geofence). For the ingest, whose transactions change no geofence and last one batch
    of messages: a geofence changed meanwhile is seen from the next batch on."""
    transaction = session.get_transaction()
    cached = session.info.get(_PER_TRANSACTION)
    if cached is not None and cached[0] is transaction:
        index: FenceIndex = cached[1]
        return index
    index = fence_index(session)
    session.info[_PER_TRANSACTION] = (transaction, index)
    return index


def fences(session: Session) -> Sequence[Fence]:
    """Every stored geofence as a domain fence."""
    return [fence_of(row) for row in session.scalars(select(Geofence).order_by(Geofence.id))]
