"""One worker's app when `salesmetrics serve --workers N` runs several server processes.

uvicorn starts each worker as a fresh process that imports this factory; the workspace comes
through the environment. Each worker opens its own connections, hears the others' changes
through PostgreSQL's LISTEN/NOTIFY (services/live.py), and takes part in applying events: the
database lets one applier at a time through, so each event is applied once whoever received it.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from salesmetrics.web.app import create_app, settle_for_serving

SERVED_DB_ENV = "SALESMETRICS_SERVED_DB"
SERVED_APP = "salesmetrics.web.served:create_served_app"


def create_served_app() -> FastAPI:
    app = create_app(os.environ.get(SERVED_DB_ENV))
    settle_for_serving(app)
    return app
