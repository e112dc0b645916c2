"""CSV import of master data and documents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from cloud.api.deps import SessionDep, SettingsDep
from cloud.api.schemas import ERROR_RESPONSES, ErrorDetail
from cloud.errors import NotFoundError, invalid
from cloud.masterdata.csvimport import ImportResult, import_csv
from cloud.masterdata.csvkinds import KINDS

router = APIRouter(prefix="/api/import", tags=["import"], responses=ERROR_RESPONSES)
CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"}


class ImportResultOut(BaseModel):
    """Rows read, records created, and (for a partial import) the rows left out."""

    kind: str
    rows: int
    created: int
    errors: list[ErrorDetail]

    @classmethod
    def of(cls, result: ImportResult) -> ImportResultOut:
        """From the service result."""
        errors = [ErrorDetail(row=p.row, column=p.column, message=p.message) for p in result.errors]
        return cls(kind=result.kind, rows=result.rows, created=result.created, errors=errors)


@router.post(
    "/{kind}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_file(
    kind: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    partial: Annotated[bool, Query(description="keep the good rows if some are bad")] = False,
) -> ImportResultOut:
    """Import a CSV file (header row first) of items, partners, locations, ... or shipments."""
    if kind not in KINDS:
        raise NotFoundError(f"no import kind {kind!r}; use one of {', '.join(KINDS)}")
    text = await _csv_text(request, settings.import_max_bytes)
    result = await run_in_threadpool(import_csv, session, kind, KINDS[kind], text, partial=partial)
    return ImportResultOut.of(result)


async def _csv_text(request: Request, limit: int) -> str:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise HTTPException(415, f"send the file as text/csv, not {media_type or 'nothing'}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"the file is larger than {limit} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise invalid("body", f"the file is not UTF-8 text (byte {exc.start})") from None
