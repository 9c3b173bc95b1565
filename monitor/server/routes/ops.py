"""Operations: ``GET /healthz`` (liveness, no token) and ``GET /metrics`` (Prometheus text)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from monitor import __version__
from monitor.core.protocol import Health
from monitor.server.routes.errors import ANY_ROUTE, documented
from monitor.server.state import StateDep

__all__ = ["router"]

router = APIRouter(tags=["ops"])


@router.get("/healthz", responses=documented(400, 403, 503, 507))
async def healthz(state: StateDep) -> Health:
    """Liveness: always open (no token)."""
    hub = state.hub
    return Health(status="ok", epoch=hub.log.epoch, connections=len(hub), version=__version__)


@router.get("/metrics", response_class=PlainTextResponse, responses=documented(*ANY_ROUTE))
async def metrics(state: StateDep) -> PlainTextResponse:
    """Prometheus text exposition."""
    text = state.hub.metrics.render(connections=len(state.hub))
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4")
