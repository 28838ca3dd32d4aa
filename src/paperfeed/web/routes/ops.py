"""Operations: /healthz (liveness), /readyz (readiness) and /metrics (Prometheus text format).

Liveness says only that this process answers: a load balancer or orchestrator must not restart every node
because the database blinked. Readiness says whether this node can serve now: the database answers and its
schema is the one this code expects (else: run `paperfeed migrate`). Neither ever shows hosts, ports or
error text; the logs have those.
"""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from paperfeed.web.security import get_db

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok", "database": get_db(request).dialect})


@router.get("/readyz")
def readyz(request: Request) -> Response:
    db = get_db(request)
    try:
        current = db.schema_is_current()
    except sa.exc.SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
    if not current:
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "reachable",
                "schema": "not at the newest revision: run `paperfeed migrate`",
            },
            503,
        )
    return JSONResponse({"status": "ready", "database": "reachable", "schema": "current"})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
