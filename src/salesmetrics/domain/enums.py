"""Closed sets of the data model, as string enums (their values are what the database stores)."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PAID = "paid"
    PENDING = "pending"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class LeadStatus(StrEnum):
    OPEN = "open"
    CONVERTED = "converted"
    LOST = "lost"


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ChannelKind(StrEnum):
    PAID = "paid"
    ORGANIC = "organic"
    REFERRAL = "referral"
    MARKETPLACE = "marketplace"
    DIRECT = "direct"
    OUTBOUND = "outbound"


class ActivityKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    TASK = "task"
    NOTE = "note"


class TargetScope(StrEnum):
    COMPANY = "company"
    TEAM = "team"
    REP = "rep"


class TargetSplit(StrEnum):
    EVEN = "even"
    SEASONAL = "seasonal"
    CUSTOM = "custom"


class FeedbackKind(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    REVIEW = "review"


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    REP = "rep"
    VIEWER = "viewer"


class DemoSize(StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    XLARGE = "xlarge"  # 100M order lines: the scale bench (bench/scale_bench.py)
