"""Events for real-time tracking: typed envelopes, signatures, the inbox and the applier."""

from __future__ import annotations

from salesmetrics.services.events.service import STATUSES, Drained, EventsService, Receipt

__all__ = ["STATUSES", "Drained", "EventsService", "Receipt"]
