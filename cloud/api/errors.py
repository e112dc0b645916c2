"""Every error leaves the API as {"error": {"code", "message", "details"}} with a fitting status."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException

from cloud.errors import ConflictError, NotFoundError, Problem, ServiceError, plain
from cloud.ledger.types import AlreadyPostedError, LedgerError, MoveNotFoundError

log = logging.getLogger(__name__)

STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "media_type"}


def error_response(
    status: int, code: str, message: str, problems: Sequence[Problem] = ()
) -> JSONResponse:
    """A JSON error response."""
    details = [{k: v for k, v in _as_dict(p).items() if v is not None} for p in problems]
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status)


def _as_dict(problem: Problem) -> dict[str, Any]:
    return {
        "loc": problem.loc,
        "row": problem.row,
        "column": problem.column,
        "message": problem.message,
    }


def _status_of(exc: ServiceError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError):
        return 409
    return 422


async def _service_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return error_response(_status_of(exc), exc.code, exc.message, exc.problems)


async def _ledger_error(_request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, AlreadyPostedError):
        return error_response(409, "already_posted", str(exc))
    if isinstance(exc, MoveNotFoundError):
        return error_response(404, "not_found", str(exc))
    return error_response(422, "ledger_refused", str(exc))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        Problem(".".join(str(part) for part in error["loc"]), plain(str(error["msg"])))
        for error in exc.errors()
    ]
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    message = f"invalid request: {first.loc}: {first.message}{more}"
    return error_response(422, "validation_error", message, problems)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = STATUS_CODES.get(exc.status_code, "http_error")
    message = str(exc.detail)
    if exc.status_code in {404, 405} and message in {"Not Found", "Method Not Allowed"}:
        message = f"{message.lower()}: {request.method} {request.url.path}"
    response = error_response(exc.status_code, code, message)
    response.headers.update(exc.headers or {})
    return response


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    # Services turn the constraints they expect into clear errors; this catches the rest.
    log.warning("unexpected constraint violation: %s", exc)
    return error_response(409, "conflict", "the request conflicts with existing data")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error; the service log has details")


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON error handlers on app."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(LedgerError, _ledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unexpected)
