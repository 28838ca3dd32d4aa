"""Operations: /healthz (is the database reachable) and /metrics (Prometheus text format)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from paperfeed.web.security import get_db

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz(request: Request) -> Response:
    db = get_db(request)
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        return JSONResponse({"status": "error", "database": db.dialect, "error": str(error)[:300]}, 503)
    return JSONResponse({"status": "ok", "database": db.dialect})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
