"""The Customers page's readings, kept per data version and view.

Opening the page scores RFM, clusters the customers and fits the CLV models on the customers
in view: seconds of work for a rep's view, where nothing is stored. The same view of the same
data gives the same answer, so each is computed once per data version (a few views kept: the
reports of a large workspace hold every customer)."""

from __future__ import annotations

from datetime import date
from typing import Any

from salesmetrics.domain.access import Principal
from salesmetrics.services.live import data_version
from salesmetrics.services.segments import clusters as cl
from salesmetrics.services.segments import clv as value
from salesmetrics.services.segments import rfm as segments
from salesmetrics.services.team import VersionedCache
from salesmetrics.services.workspace import Workspace

KEPT = 4  # views of each reading kept

_RFM: VersionedCache[tuple[Any, ...], segments.RfmReport] = VersionedCache(size=KEPT)
_CLUSTERS: VersionedCache[tuple[Any, ...], cl.ClusterReport] = VersionedCache(size=KEPT)
_CLV: VersionedCache[tuple[Any, ...], value.ClvReport] = VersionedCache(size=KEPT)


def _view(ws: Workspace, who: Principal) -> tuple[Any, ...]:
    return (ws.store.url, data_version(ws), who.scope.key(), who.rep_id)


def rfm(ws: Workspace, who: Principal, as_of: date, lang: str) -> segments.RfmReport:
    key = (*_view(ws, who), as_of, lang)
    return _RFM.get(key, lambda: segments.rfm(ws, who, as_of, lang=lang))


def clusters(ws: Workspace, who: Principal, as_of: date, lang: str) -> cl.ClusterReport:
    key = (*_view(ws, who), as_of, lang)
    return _CLUSTERS.get(key, lambda: cl.clusters(ws, who, as_of, lang=lang))


def clv(ws: Workspace, who: Principal, settings: value.Settings) -> value.ClvReport:
    key = (*_view(ws, who), settings, ws.settings.base_currency)
    return _CLV.get(key, lambda: value.clv(ws, who, settings))
