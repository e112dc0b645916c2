"""Input the ingest could not use, kept for people to inspect."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select

from cloud.api.deps import PageDep, SessionDep
from cloud.api.schemas import ERROR_RESPONSES, PageOut, page_out
from cloud.masterdata.common import get_or_404
from cloud.store.models import DeadLetter
from cloud.store.paging import scalars_page

router = APIRouter(prefix="/api/dead-letters", tags=["dead letters"], responses=ERROR_RESPONSES)
PREVIEW_CHARS = 200


class DeadLetterOut(BaseModel):
    """A rejected message or batch row, with the start of its payload as text."""

    id: int
    received_at: datetime
    topic: str
    reason: str
    row_index: int | None = Field(description="row of the batch, if one row was rejected")
    payload_size: int = Field(description="bytes received (the stored payload may be cut)")
    preview: str = Field(description="start of the stored payload, decoded as UTF-8")

    @classmethod
    def of(cls, letter: DeadLetter) -> DeadLetterOut:
        """From the stored row."""
        text = letter.payload[: PREVIEW_CHARS * 4].decode("utf-8", errors="replace")
        return cls(
            id=letter.id,
            received_at=letter.received_at,
            topic=letter.topic,
            reason=letter.reason,
            row_index=letter.row_index,
            payload_size=letter.payload_size,
            preview=text[:PREVIEW_CHARS],
        )


class DeadLetterDetail(DeadLetterOut):
    """A dead letter with its whole stored payload."""

    payload_base64: str


@router.get("")
def list_dead_letters(
    session: SessionDep,
    page: PageDep,
    topic: Annotated[str | None, Query(description="topic prefix")] = None,
    since: AwareDatetime | None = None,
) -> PageOut[DeadLetterOut]:
    """Dead letters, newest first."""
    query = select(DeadLetter).order_by(DeadLetter.id.desc())
    if topic:
        query = query.where(DeadLetter.topic.startswith(topic, autoescape=True))
    if since:
        query = query.where(DeadLetter.received_at >= since)
    return page_out(scalars_page(session, query, page), DeadLetterOut.of)


@router.get("/{letter_id}")
def get_dead_letter(session: SessionDep, letter_id: int) -> DeadLetterDetail:
    """One dead letter with its payload."""
    letter = get_or_404(session, DeadLetter, letter_id, "dead letter")
    summary = DeadLetterOut.of(letter).model_dump()
    return DeadLetterDetail(**summary, payload_base64=base64.b64encode(letter.payload).decode())
