"""Mappings for well-known exports, built from the column names their vendors document.

A preset is chosen by name (`--preset`) or detected when all its signature columns are present.
Sources: Shopify Help Center "Exporting orders" (orders CSV columns); WooCommerce
"Customer/Order/Coupon Export" default order columns; Stripe Dashboard payments export
(unified payments CSV); HubSpot knowledge base "Export your records" (deal properties);
Pipedrive "Exporting data" (deal fields, prefixed "Deal - ").
"""

from __future__ import annotations

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
    )
}
