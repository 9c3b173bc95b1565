"""Every error answer is an :class:`~monitor.core.protocol.ErrorBody`: the handlers that make it so."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import JsonValue, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from monitor.core.protocol import ErrorBody
from monitor.server.log import LogWriteError

__all__ = [
    "ANY_ROUTE",
    "STORAGE_RETRY_AFTER_S",
    "WRITES",
    "HTTPError",
    "body_json",
    "documented",
    "install_error_handlers",
    "storage_failure",
]

_log = logging.getLogger(__name__)


_MEANINGS = {
    400: "Malformed request: client id, JSON body, Content-Length or Idempotency-Key",
    401: "Missing or invalid bearer token",
    403: "The client id (or executor name) belongs to another principal",
    404: "Unknown (or another principal's) resource, or target client not connected",
    408: "Request body not received in time",
    409: "Conflict with the resource's state",
    413: "Request body too large",
    422: "Invalid request, body nested too deeply, or Idempotency-Key reused with another body",
    503: "Storage failed, or the server is full or shutting down; retry after Retry-After",
    507: "The server's disk is full; nothing was stored, retry after Retry-After",
}

#: What every route may answer before a route runs (the middleware's checks; 503/507 when a new
#: client id cannot be registered).
ANY_ROUTE = (400, 401, 403, 503, 507)
#: What every write may answer besides (body limits, validation, storage).
WRITES = (408, 413, 422, 503, 507)


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error ``codes``, each an :class:`ErrorBody`."""
    return {code: {"model": ErrorBody, "description": _MEANINGS[code]} for code in codes}


class HTTPError(Exception):
    """Raised by routes for a clean :class:`ErrorBody` answer."""

    def __init__(self, status: int, error: str, detail: JsonValue = None) -> None:
        """Answer ``status`` with ``{"error": error, "detail": detail}``."""
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail


async def body_json(request: Request) -> Any:
    """The request body parsed as JSON; 400 when it is empty or malformed."""
    raw = await request.body()
    if not raw.strip():
        raise HTTPError(400, "request body is empty; expected JSON")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPError(400, f"malformed JSON body: {exc}") from None
    except RecursionError:  # BodyLimitMiddleware refuses deep bodies first; this is the backstop
        raise HTTPError(422, "JSON body nested too deeply") from None


def _json_safe_errors(errors: Any) -> Any:
    cleaned = []
    for err in errors:
        item = {k: v for k, v in dict(err).items() if k not in ("url", "input", "ctx")}
        cleaned.append(item)
    return json.loads(json.dumps(jsonable_encoder(cleaned), default=str))


def _validation_response(errors: Any) -> JSONResponse:
    errs = list(errors)
    malformed = any(e.get("type") in ("json_invalid", "json_type") for e in errs)
    status = 400 if malformed else 422
    first = errs[0] if errs else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    message = (
        "malformed JSON body" if malformed else f"invalid request: {where or 'body'}: {first.get('msg', '')}"
    )
    return JSONResponse(
        ErrorBody(error=message[:4000], detail=_json_safe_errors(errs)).model_dump(mode="json"),
        status_code=status,
    )


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError | ValidationError)
    return _validation_response(exc.errors())


async def _on_http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPError)
    return JSONResponse(
        ErrorBody(error=exc.error, detail=exc.detail).model_dump(mode="json"), status_code=exc.status
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path, for ``Allow``.

    Starlette names only the first route whose path matched, so ``PUT /api/tasks`` said
    ``Allow: GET`` although ``POST`` is served there too: ask every route about every method.
    """
    routes = request.app.router.routes
    served = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]
    return ", ".join(served)


async def _on_starlette(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    text = {404: "not found", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    return JSONResponse(
        ErrorBody(error=text, detail=str(exc.detail)).model_dump(mode="json"),
        status_code=exc.status_code,
        headers=headers,
    )


#: Seconds a client is told to wait before retrying a write the storage refused.
STORAGE_RETRY_AFTER_S = 5


def storage_failure(exc: LogWriteError) -> tuple[int, ErrorBody]:
    """The status and body that answer a write the storage refused."""
    # 507 for a full disk, 503 for other storage failures: both say "not stored, try later".
    status = 507 if exc.disk_full else 503
    what = "the server's disk is full" if exc.disk_full else "the server could not store the change"
    return status, ErrorBody(error=f"{what}; nothing was stored, retry later", detail=exc.reason)


async def _on_log_write(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LogWriteError)
    status, body = storage_failure(exc)
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, headers={"Retry-After": str(STORAGE_RETRY_AFTER_S)}
    )


async def _on_crash(_: Request, exc: Exception) -> JSONResponse:
    _log.exception("unhandled error", exc_info=exc)
    return JSONResponse(ErrorBody(error="internal server error").model_dump(mode="json"), status_code=500)


def install_error_handlers(api: FastAPI) -> None:
    """Make every error ``api`` answers an :class:`ErrorBody` (400/422 for invalid requests)."""
    api.add_exception_handler(RequestValidationError, _on_validation)
    api.add_exception_handler(ValidationError, _on_validation)
    api.add_exception_handler(HTTPError, _on_http_error)
    api.add_exception_handler(LogWriteError, _on_log_write)
    api.add_exception_handler(StarletteHTTPException, _on_starlette)
    api.add_exception_handler(Exception, _on_crash)
