"""The web app: server-rendered pages, the JSON API, feeds, health and metrics (FastAPI + Jinja2)."""
