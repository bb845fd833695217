"""Mappings for well-known exports, built from the column names their vendors document.

A preset is chosen by name (`--preset`) or detected when all its signature columns are present.
Sources: Shopify Help Center "Exporting orders" (orders CSV columns); WooCommerce
"Customer/Order/Coupon Export" default order columns; Stripe Dashboard payments export
(unified payments CSV); HubSpot knowledge base "Export your records" (deal properties);
Pipedrive "Exporting data" (deal fields, prefixed "Deal - ").

Survey tools name one column per question by the question's own text, so their presets also
find questions by words in the header (`Question`). Sources: Google Forms Help "View & manage
form responses" (responses in Sheets or a CSV download: "Timestamp", "Email Address" when
emails are collected, then one column per question); Typeform Help "Download your results"
("#" response token, question columns, hidden fields by name, "Start Date (UTC)", "Submit Date
(UTC)", "Network ID", "Tags"); SurveyMonkey Help "Exporting all responses" ("Respondent ID",
"Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name", "Last
Name", "Custom Data 1", then the questions over two header rows: the question, then
"Response", "Open-Ended Response" or an answer choice).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    name: str
    kind: str
    source: str
    columns: dict[str, str]  # header -> field; two headers may fill one field (first non-empty)
    signature: tuple[str, ...]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    date_format: str | None = None
    decimal: str | None = "."
    time_zone: str | None = None  # None: the workspace's zone; "UTC" where the export says so
    questions: tuple[Question, ...] = ()  # columns found by the words of their header
    anchors: tuple[str, ...] = ()  # one of these and a score question also detect the preset
    ignore: tuple[str, ...] = ()  # columns neither mapped nor kept (personal data not needed)
    month_first: bool = False  # dates that fit both orders are MM/DD/YYYY (US-style exports)


@dataclass(frozen=True)
class Question:
    """A survey question found by words in its header (lower-cased, searched anywhere).

    A score question also says what its answers are: NPS (0-10) or CSAT (1-5 by default).
    """

    field: str
    pattern: str
    kind: str | None = None  # for score questions: nps or csat

    def fits(self, header: str) -> bool:
        return re.search(self.pattern, header.lower()) is not None


# In order: a header is the first question it fits (taken or not), so a satisfaction question
# about "customer service" never becomes a customer link.
SURVEY_QUESTIONS = (
    Question(
        "score",
        r"(likely|ймовірн|вероятн).*(recommend|рекоменд)|(recommend|рекоменд).*(likely|ймовірн|"
        r"вероятн)|net promoter|\bnps\b",
        "nps",
    ),
    Question("score", r"satisf|задовол|удовлетвор|\bcsat\b", "csat"),
    Question(
        "comment",
        r"comment|feedback|improve|better|suggest|reason|\bwhy\b|anything else|tell us|"
        r"коментар|відгук|покращ|кращ|пропоз|побажан|чому|причин|розкажіть",
    ),
    Question("customer_id", r"(customer|client)[ _-]?(id|number|no\b)|(код|номер|id) клієнта"),
    Question("customer_id", r"e-?mail|пошт|електронн"),
    Question("order_id", r"\border|замовлен"),
    Question("deal_id", r"\bdeal|угод"),
)


_SHOPIFY_STATUS = {
    "paid": "paid",
    "partially_paid": "pending",
    "partially_refunded": "paid",
    "refunded": "refunded",
    "pending": "pending",
    "authorized": "pending",
    "voided": "cancelled",
    "expired": "cancelled",
}
_WOO_STATUS = {
    "completed": "paid",
    "processing": "pending",
    "on-hold": "pending",
    "pending": "pending",
    "cancelled": "cancelled",
    "failed": "cancelled",
    "refunded": "refunded",
}
_STRIPE_STATUS = {
    "paid": "paid",
    "succeeded": "paid",
    "refunded": "refunded",
    "partially refunded": "paid",
    "failed": "cancelled",
    "canceled": "cancelled",
    "pending": "pending",
    "uncaptured": "pending",
}
_HUBSPOT_STATUS = {
    "closed won": "won",
    "closedwon": "won",
    "closed lost": "lost",
    "closedlost": "lost",
}

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "shopify_orders",
            "orders",
            "shopify",
            {
                "Name": "external_id",
                "Created at": "ordered_at",
                "Email": "customer_id",
                "Financial Status": "status",
                "Currency": "currency",
                "Shipping": "shipping_minor",
                "Lineitem sku": "product_id",
                "Lineitem quantity": "quantity",
                "Lineitem price": "unit_price_minor",
                "Lineitem discount": "discount_minor",
                "Source": "channel_id",
            },
            ("Name", "Financial Status", "Lineitem quantity", "Lineitem price"),
            values={"status": _SHOPIFY_STATUS},
        ),
        Preset(
            "woocommerce_orders",
            "orders",
            "woocommerce",
            {
                "order_number": "external_id",
                "order_date": "ordered_at",
                "status": "status",
                "order_currency": "currency",
                "shipping_total": "shipping_minor",
                "billing_email": "customer_id",
                "item_sku": "product_id",
                "item_quantity": "quantity",
                "item_total": "line_total_minor",
            },
            ("order_number", "order_date", "item_quantity", "item_total"),
            values={"status": _WOO_STATUS},
        ),
        Preset(
            "stripe_payments",
            "orders",
            "stripe",
            {
                "id": "external_id",
                "Created (UTC)": "ordered_at",
                "Amount": "line_total_minor",
                "Currency": "currency",
                "Status": "status",
                "Customer Email": "customer_id",
            },
            ("id", "Created (UTC)", "Amount", "Amount Refunded", "Currency"),
            values={"status": _STRIPE_STATUS},
            time_zone="UTC",
        ),
        Preset(
            "hubspot_deals",
            "deals",
            "hubspot",
            {
                "Record ID": "external_id",
                "Deal Name": "title",
                "Deal Stage": "stage_id",
                "Amount": "amount_minor",
                "Create Date": "created_at",
                "Close Date": "expected_close_on",
                "Deal owner": "owner_rep_id",
            },
            ("Record ID", "Deal Name", "Deal Stage", "Amount"),
            values={"status": _HUBSPOT_STATUS},
        ),
        Preset(
            "pipedrive_deals",
            "deals",
            "pipedrive",
            {
                "Deal - ID": "external_id",
                "Deal - Title": "title",
                "Deal - Value": "amount_minor",
                "Deal - Currency": "currency",
                "Deal - Stage": "stage_id",
                "Deal - Status": "status",
                "Deal - Owner": "owner_rep_id",
                "Deal - Deal created": "created_at",
                "Deal - Won time": "closed_at",
                "Deal - Lost time": "closed_at",
                "Deal - Lost reason": "lost_reason",
                "Deal - Expected close date": "expected_close_on",
            },
            ("Deal - ID", "Deal - Title", "Deal - Value", "Deal - Stage"),
        ),
        Preset(
            "google_forms_responses",
            "feedback",
            "google_forms",
            {
                "Timestamp": "received_at",
                "Позначка часу": "received_at",
                "Email Address": "customer_id",
                "Email address": "customer_id",
                "Адреса електронної пошти": "customer_id",
                "Електронна адреса": "customer_id",
            },
            ("Timestamp", "Email Address"),
            questions=SURVEY_QUESTIONS,
            anchors=("Timestamp", "Позначка часу"),
            month_first=True,
        ),
        Preset(
            "typeform_responses",
            "feedback",
            "typeform",
            {"#": "external_id", "Submit Date (UTC)": "received_at"},
            ("#", "Submit Date (UTC)", "Network ID"),
            time_zone="UTC",
            questions=SURVEY_QUESTIONS,
            ignore=("Network ID",),
        ),
        Preset(
            "surveymonkey_responses",
            "feedback",
            "surveymonkey",
            {
                "Respondent ID": "external_id",
                "End Date": "received_at",
                "Email Address": "customer_id",
                "Custom Data 1": "customer_id",
            },
            ("Respondent ID", "Collector ID", "Start Date", "End Date"),
            questions=SURVEY_QUESTIONS,
            ignore=("IP Address",),
            month_first=True,
        ),
    )
}


def detect_survey(kind: str, headers: Sequence[str]) -> Preset | None:
    """A survey preset by one of its anchor columns and a recognised score question (a form
    in another language, or without the columns of its signature)."""
    for preset in PRESETS.values():
        if preset.kind != kind or not set(preset.anchors) & set(headers):
            continue
        found = question_columns(preset, [h for h in headers if h not in preset.columns])
        if "score" in found.values():
            return preset
    return None


def question_columns(preset: Preset, headers: Sequence[str]) -> dict[str, str]:
    """header -> field for the questions among `headers`. A score and a comment are taken once:
    by the question listed first (NPS before CSAT), then the first such column; links come
    from every column that names them (the first non-empty one is used)."""
    fits = {h: _first_fit(preset.questions, h) for h in headers if h not in preset.ignore}
    found = {h: i for h, i in fits.items() if i is not None}
    out: dict[str, str] = {}
    for header, i in sorted(found.items(), key=lambda hi: hi[1]):
        name = preset.questions[i].field
        if name not in ("score", "comment") or name not in out.values():
            out[header] = name
    return {h: out[h] for h in headers if h in out}


def _first_fit(questions: Sequence[Question], header: str) -> int | None:
    return next((i for i, q in enumerate(questions) if q.fits(header)), None)


def score_kind(preset: Preset | None, header: str) -> str | None:
    """nps or csat, when the header of the score column is a question that says which."""
    questions = preset.questions if preset is not None and preset.questions else SURVEY_QUESTIONS
    i = _first_fit(questions, header)
    return None if i is None else questions[i].kind


# Answer labels a survey may export instead of the number behind them (five-point CSAT).
SCORE_LABELS = {
    "very satisfied": "5",
    "satisfied": "4",
    "neutral": "3",
    "neither satisfied nor dissatisfied": "3",
    "dissatisfied": "2",
    "very dissatisfied": "1",
    "дуже задоволений": "5",
    "дуже задоволена": "5",
    "задоволений": "4",
    "задоволена": "4",
    "нейтрально": "3",
    "незадоволений": "2",
    "незадоволена": "2",
    "дуже незадоволений": "1",
    "дуже незадоволена": "1",
}
