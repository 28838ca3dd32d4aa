"""Routers, one module per area; each exposes ``router`` and is listed in ``web.app.ROUTER_MODULES``."""
