"""The ASGI app: API routers, pages and static files, over one open workspace."""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from salesmetrics import __version__
from salesmetrics.api import errors as api_errors
from salesmetrics.api.access import router as access_router
from salesmetrics.api.alerts import router as alerts_router
from salesmetrics.api.channels import router as channels_router
from salesmetrics.api.events import router as events_router
from salesmetrics.api.events_fast import EventsFastPath
from salesmetrics.api.feedback import router as feedback_router
from salesmetrics.api.imports import router as imports_router
from salesmetrics.api.insights import router as insights_router
from salesmetrics.api.leads import router as leads_router
from salesmetrics.api.live import router as live_router
from salesmetrics.api.metrics import router as metrics_router
from salesmetrics.api.pipeline import router as pipeline_router
from salesmetrics.api.plan import router as plan_router
from salesmetrics.api.records import router as records_router
from salesmetrics.api.reports import router as reports_router
from salesmetrics.api.routes import router as api_router
from salesmetrics.api.search import router as search_router
from salesmetrics.api.segments import router as segments_router
from salesmetrics.api.targets import router as targets_router
from salesmetrics.api.team import router as team_api_router
from salesmetrics.api.users import router as users_router
from salesmetrics.services.access.sign_in import SignIn
from salesmetrics.services.alerts import scheduler as alerts_scheduler
from salesmetrics.services.live import ChangeFeed, LiveLimits, data_version
from salesmetrics.services.metrics import warm_up
from salesmetrics.services.workspace import open_workspace, prepare_for_serving
from salesmetrics.web.account import router as account_router
from salesmetrics.web.alerts import router as alerts_page_router
from salesmetrics.web.authn import Authenticate
from salesmetrics.web.channels import router as channels_page_router
from salesmetrics.web.customers import router as customers_page_router
from salesmetrics.web.data import router as data_router
from salesmetrics.web.explorer import router as explorer_router
from salesmetrics.web.feedback import router as feedback_page_router
from salesmetrics.web.forecast import router as forecast_page_router
from salesmetrics.web.fragments import router as fragments_router
from salesmetrics.web.headers import SecurityHeaders
from salesmetrics.web.insights import router as insights_page_router
from salesmetrics.web.leads import router as leads_page_router
from salesmetrics.web.login import router as login_router
from salesmetrics.web.pages import router as pages_router
from salesmetrics.web.pipeline import router as pipeline_page_router
from salesmetrics.web.plan import router as plan_page_router
from salesmetrics.web.records import router as records_page_router
from salesmetrics.web.reports import router as reports_page_router
from salesmetrics.web.targets import router as targets_page_router
from salesmetrics.web.team import router as team_router
from salesmetrics.web.users import router as users_page_router

STATIC = Path(__file__).parent / "static"
log = logging.getLogger(__name__)


def create_app(url: str | None = None) -> FastAPI:
    """Open the workspace now (so a bad --db fails before serving) and build the app."""
    ws = open_workspace(url)
    feed = ChangeFeed(
        functools.partial(data_version, ws),
        limits=LiveLimits.from_env(),
        listener=ws.store.change_listener(),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await feed.start()
        try:
            yield
        finally:
            await feed.stop()
            alerts = getattr(app.state, "alerts", None)
            if alerts is not None:
                alerts.stop()
            ws.close()

    app = FastAPI(
        title="salesmetrics",
        version=__version__,
        description="Sales metrics for small businesses.",
        lifespan=lifespan,
    )
    app.state.workspace = ws
    app.state.live = feed
    app.state.sign_in = SignIn(ws)
    api_errors.install(app)
    app.add_middleware(EventsFastPath)
    app.add_middleware(Authenticate)  # in front of everything but the headers
    app.add_middleware(SecurityHeaders)  # added last: outermost, so on every answer
    app.include_router(api_router)
    app.include_router(access_router)
    app.include_router(users_router)
    app.include_router(login_router)
    app.include_router(metrics_router)
    app.include_router(events_router)
    app.include_router(imports_router)
    app.include_router(live_router)
    app.include_router(leads_router)  # before records: /leads/scores is not /leads/{id}
    app.include_router(segments_router)
    app.include_router(feedback_router)
    app.include_router(records_router)
    app.include_router(search_router)
    app.include_router(targets_router)
    app.include_router(alerts_router)
    app.include_router(pipeline_router)
    app.include_router(pages_router)
    app.include_router(fragments_router)
    app.include_router(explorer_router)
    app.include_router(data_router)
    app.include_router(team_api_router)
    app.include_router(team_router)
    app.include_router(pipeline_page_router)
    app.include_router(channels_router)
    app.include_router(channels_page_router)
    app.include_router(plan_router)
    app.include_router(plan_page_router)
    app.include_router(forecast_page_router)
    app.include_router(leads_page_router)
    app.include_router(customers_page_router)
    app.include_router(feedback_page_router)
    app.include_router(insights_router)
    app.include_router(insights_page_router)
    app.include_router(users_page_router)
    app.include_router(account_router)
    app.include_router(records_page_router)
    app.include_router(targets_page_router)
    app.include_router(alerts_page_router)
    app.include_router(reports_router)
    app.include_router(reports_page_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def settle_for_serving(app: FastAPI) -> None:
    """Before a long-running server takes requests: raise DuckDB's checkpoint threshold (the
    server checkpoints when events pause), compile what the applier needs, then move
    everything alive now (modules, schemas, templates, compiled statements: well over a
    million objects) out of the cyclic garbage collector's reach. Otherwise each of its full
    collections walks them all and stops every thread for 100-150 ms, about once a second
    under a stream of events: the p99 of every request. Objects made later are collected as
    usual."""
    ws = app.state.workspace
    prepare_for_serving(ws)
    try:  # only a head start: the applier compiles what it lacks itself
        warm_up(ws.settings.time_zone, ws.store.dialect.value)
    except Exception:
        log.exception("compiling the rollup statements ahead failed; serving anyway")
    if alerts_scheduler.enabled():
        app.state.alerts = alerts_scheduler.Scheduler(ws).start()
    gc.collect()
    gc.freeze()
