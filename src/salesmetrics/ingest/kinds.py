"""What each kind of import carries: its fields, their types, rules and header synonyms.

Declared as data: the mapper, the validator, the docs and the tests all read KINDS.
Synonyms are compared after `normalise_header` (lower case, no punctuation or units).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldType(StrEnum):
    TEXT = "text"
    INT = "int"
    NUMBER = "number"
    MONEY = "money"  # minor units, with the row's currency
    CURRENCY = "currency"
    DATE = "date"
    TIMESTAMP = "timestamp"
    BOOL = "bool"
    EMAIL = "email"
    PHONE = "phone"
    CHOICE = "choice"  # one of `choices`, after synonyms
    REF = "ref"  # another kind's record, by external id (or name/email where the kind allows)


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the target column (refs: the *_id column they fill)
    type: FieldType
    synonyms: tuple[str, ...] = ()
    required: bool = False
    ref: str | None = None  # kind a REF points at
    choices: dict[str, str] | None = None  # accepted text (normalised) -> stored value
    minimum: float | None = None  # sign and range rules
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    table: str
    fields: tuple[Field, ...]
    attributes: bool = False  # unmapped columns survive in the `attributes` JSON
    line_table: str | None = None  # orders: the rows are lines, grouped into orders
    key: tuple[str, ...] = ("external_id",)  # what makes a row the same row on re-import
    unique: tuple[str, ...] = ()  # also unique within one file (a customer's email, phone)
    # Feedback: a link to an unknown record is left empty (the text kept), never created and
    # never a reason to reject the row; such rows are listed as unmatched.
    keeps_unmatched: bool = False

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name}")


T, INT, NUM, MONEY, CUR = (
    FieldType.TEXT,
    FieldType.INT,
    FieldType.NUMBER,
    FieldType.MONEY,
    FieldType.CURRENCY,
)
DATE, TS, BOOL, EMAIL, PHONE = (
    FieldType.DATE,
    FieldType.TIMESTAMP,
    FieldType.BOOL,
    FieldType.EMAIL,
    FieldType.PHONE,
)
CHOICE, REF = FieldType.CHOICE, FieldType.REF

ORDER_STATUS = {
    "paid": "paid",
    "оплачено": "paid",
    "оплачений": "paid",
    "completed": "paid",
    "complete": "paid",
    "виконано": "paid",
    "processing": "pending",
    "pending": "pending",
    "очікує": "pending",
    "в обробці": "pending",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "скасовано": "cancelled",
    "refunded": "refunded",
    "повернено": "refunded",
    "повернення": "refunded",
}
DEAL_STATUS = {
    "open": "open",
    "відкрита": "open",
    "won": "won",
    "виграна": "won",
    "виграно": "won",
    "lost": "lost",
    "програна": "lost",
    "програно": "lost",
}
LEAD_STATUS = {
    "open": "open",
    "new": "open",
    "новий": "open",
    "converted": "converted",
    "конвертовано": "converted",
    "qualified": "converted",
    "lost": "lost",
    "втрачено": "lost",
    "disqualified": "lost",
}
CHANNEL_KIND = {k: k for k in ("paid", "organic", "referral", "marketplace", "direct", "outbound")}
ACTIVITY_KIND = {
    "call": "call",
    "дзвінок": "call",
    "email": "email",
    "лист": "email",
    "meeting": "meeting",
    "зустріч": "meeting",
    "task": "task",
    "завдання": "task",
    "note": "note",
    "нотатка": "note",
}
FEEDBACK_KIND = {"nps": "nps", "csat": "csat", "review": "review", "відгук": "review"}
SCOPE = {
    "company": "company",
    "компанія": "company",
    "team": "team",
    "команда": "team",
    "rep": "rep",
    "менеджер": "rep",
}

EXT = Field("external_id", T, ("id", "external id", "код", "номер", "№", "ідентифікатор"))
CURRENCY = Field("currency", CUR, ("currency", "валюта", "currency code"))
REP = Field(
    "rep_id",
    REF,
    ("rep", "manager", "sales rep", "owner", "менеджер", "продавець", "відповідальний"),
    ref="reps",
)
CHANNEL = Field("channel_id", REF, ("channel", "source", "канал", "джерело"), ref="channels")
CUSTOMER = Field(
    "customer_id",
    REF,
    (
        "customer",
        "client",
        "customer id",
        "customer email",
        "email",
        "client email",
        "клієнт",
        "покупець",
        "контрагент",
        "пошта клієнта",
    ),
    ref="customers",
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "reps",
            "reps",
            (
                EXT,
                Field("name", T, ("name", "rep", "manager", "імя", "піб", "менеджер"), True),
                Field("email", EMAIL, ("email", "e-mail", "пошта", "ел пошта")),
                Field("team_id", REF, ("team", "команда", "відділ"), ref="teams"),
                Field(
                    "hired_on", DATE, ("hired", "hire date", "hired on", "дата найму", "прийнятий")
                ),
                Field("active", BOOL, ("active", "активний")),
            ),
            attributes=True,
        ),
        Kind(
            "customers",
            "customers",
            (
                EXT,
                Field(
                    "name",
                    T,
                    ("name", "customer", "client", "імя", "клієнт", "піб", "назва", "покупець"),
                ),
                Field("email", EMAIL, ("email", "e-mail", "пошта", "ел пошта")),
                Field("phone", PHONE, ("phone", "telephone", "mobile", "телефон", "тел")),
                Field("company", T, ("company", "organization", "компанія", "організація")),
                Field("region", T, ("region", "city", "регіон", "область", "місто")),
                Field("industry", T, ("industry", "галузь", "сфера")),
                Field("size_band", T, ("size", "company size", "employees", "розмір")),
                CHANNEL,
                Field(
                    "acquired_at",
                    TS,
                    ("acquired", "created", "first order", "дата реєстрації", "створено"),
                ),
                Field("owner_rep_id", REF, REP.synonyms, ref="reps"),
            ),
            attributes=True,
            unique=("email", "phone"),
        ),
        Kind(
            "products",
            "products",
            (
                EXT,
                Field("sku", T, ("sku", "артикул", "код товару")),
                Field(
                    "name", T, ("name", "product", "title", "назва", "товар", "найменування"), True
                ),
                Field("category", T, ("category", "категорія", "група")),
                Field(
                    "unit_price_minor",
                    MONEY,
                    ("price", "unit price", "ціна", "вартість"),
                    minimum=0,
                ),
                Field(
                    "unit_cost_minor",
                    MONEY,
                    ("cost", "unit cost", "собівартість", "закупівля"),
                    minimum=0,
                ),
                CURRENCY,
                Field("active", BOOL, ("active", "активний", "в наявності")),
            ),
        ),
        Kind(
            "orders",
            "orders",
            (
                Field(
                    "external_id",
                    T,
                    (
                        "order",
                        "order id",
                        "order number",
                        "номер замовлення",
                        "замовлення",
                        "номер",
                        "№",
                    ),
                    True,
                ),
                Field(
                    "ordered_at",
                    TS,
                    ("date", "order date", "created", "дата", "дата замовлення"),
                    True,
                ),
                CUSTOMER,
                REP,
                CHANNEL,
                Field("status", CHOICE, ("status", "статус", "стан"), choices=ORDER_STATUS),
                Field(
                    "product_id",
                    REF,
                    ("product", "sku", "item", "товар", "артикул"),
                    ref="products",
                ),
                Field("quantity", INT, ("quantity", "qty", "кількість", "к сть"), minimum=-100_000),
                Field("unit_price_minor", MONEY, ("price", "unit price", "ціна")),
                Field("discount_minor", MONEY, ("discount", "знижка"), minimum=0),
                Field(
                    "line_total_minor",
                    MONEY,
                    ("amount", "total", "sum", "line total", "сума", "разом", "вартість"),
                ),
                Field("shipping_minor", MONEY, ("shipping", "delivery", "доставка"), minimum=0),
                CURRENCY,
            ),
            line_table="order_lines",
        ),
        Kind(
            "leads",
            "leads",
            (
                EXT,
                Field(
                    "created_at", TS, ("created", "date", "created at", "дата", "створено"), True
                ),
                Field("name", T, ("name", "contact", "імя", "контакт", "піб")),
                Field("company", T, ("company", "компанія", "організація")),
                Field("email", EMAIL, ("email", "e-mail", "пошта")),
                Field("phone", PHONE, ("phone", "телефон")),
                CHANNEL,
                Field("owner_rep_id", REF, REP.synonyms, ref="reps"),
                Field("status", CHOICE, ("status", "статус"), choices=LEAD_STATUS),
                Field("decided_at", TS, ("decided", "closed", "converted at", "дата рішення")),
                Field("first_response_at", TS, ("first response", "responded", "перша відповідь")),
            ),
            attributes=True,
        ),
        Kind(
            "deals",
            "deals",
            (
                EXT,
                Field("title", T, ("title", "deal", "name", "назва", "угода")),
                CUSTOMER,
                Field("lead_id", REF, ("lead", "лід"), ref="leads"),
                Field("owner_rep_id", REF, REP.synonyms, ref="reps"),
                CHANNEL,
                Field("stage_id", REF, ("stage", "етап", "стадія"), ref="stages"),
                Field("status", CHOICE, ("status", "статус"), choices=DEAL_STATUS),
                Field(
                    "amount_minor",
                    MONEY,
                    ("amount", "value", "deal value", "сума", "бюджет"),
                    True,
                    minimum=0,
                ),
                CURRENCY,
                Field(
                    "created_at", TS, ("created", "created at", "date", "створено", "дата"), True
                ),
                Field(
                    "expected_close_on",
                    DATE,
                    ("expected close", "close date", "очікуване закриття"),
                ),
                Field("closed_at", TS, ("closed", "closed at", "won time", "lost time", "закрито")),
                Field("lost_reason", T, ("lost reason", "причина програшу", "причина")),
            ),
        ),
        Kind(
            "deal_stage_changes",
            "deal_stage_changes",
            (
                Field("deal_id", REF, ("deal", "deal id", "угода"), True, ref="deals"),
                Field("from_stage_id", REF, ("from", "from stage", "з етапу"), ref="stages"),
                Field(
                    "to_stage_id",
                    REF,
                    ("to", "to stage", "stage", "на етап", "етап"),
                    True,
                    ref="stages",
                ),
                Field("changed_at", TS, ("changed", "date", "changed at", "дата", "коли"), True),
                Field("changed_by", REF, ("by", "changed by", "user", "хто"), ref="reps"),
            ),
            key=("deal_id", "to_stage_id", "changed_at"),
        ),
        Kind(
            "activities",
            "activities",
            (
                EXT,
                Field(
                    "kind",
                    CHOICE,
                    ("type", "kind", "activity", "тип", "вид"),
                    True,
                    choices=ACTIVITY_KIND,
                ),
                Field("rep_id", REF, REP.synonyms, ref="reps"),
                Field("occurred_at", TS, ("date", "occurred", "done at", "дата", "коли")),
                Field("due_at", TS, ("due", "due date", "термін")),
                Field("done", BOOL, ("done", "completed", "виконано")),
                Field("lead_id", REF, ("lead", "лід"), ref="leads"),
                Field("deal_id", REF, ("deal", "угода"), ref="deals"),
                CUSTOMER,
                Field("outcome", T, ("outcome", "result", "результат", "підсумок")),
            ),
        ),
        Kind(
            "marketing_spend",
            "marketing_spend",
            (
                EXT,
                Field(
                    "channel_id",
                    REF,
                    (*CHANNEL.synonyms, "campaign", "кампанія"),
                    True,
                    ref="channels",
                ),
                Field(
                    "period_start_on",
                    DATE,
                    ("start", "from", "date", "period start", "з", "дата", "початок"),
                    True,
                ),
                Field("period_end_on", DATE, ("end", "to", "period end", "по", "кінець")),
                Field(
                    "amount_minor",
                    MONEY,
                    ("amount", "spend", "cost", "сума", "витрати"),
                    True,
                    minimum=0,
                ),
                CURRENCY,
            ),
        ),
        Kind(
            "targets",
            "targets",
            (
                EXT,
                Field("metric", T, ("metric", "kpi", "показник", "метрика"), True),
                Field("scope", CHOICE, ("scope", "рівень"), choices=SCOPE),
                Field("scope_id", REF, ("rep", "team", "who", "менеджер", "команда"), ref="reps"),
                Field(
                    "period_start_on",
                    DATE,
                    ("start", "from", "period", "month", "з", "місяць", "період"),
                    True,
                ),
                Field("period_end_on", DATE, ("end", "to", "по")),
                Field("value", NUM, ("value", "target", "goal", "план", "ціль", "значення"), True),
            ),
        ),
        Kind(
            "feedback",
            "feedback",
            (
                EXT,
                Field(
                    "received_at",
                    TS,
                    ("date", "submitted", "timestamp", "received", "дата", "позначка часу"),
                    True,
                ),
                Field("kind", CHOICE, ("type", "kind", "survey", "тип"), choices=FEEDBACK_KIND),
                Field("score", NUM, ("score", "rating", "nps", "csat", "оцінка", "бал"), minimum=0),
                Field(
                    "scale_max",
                    INT,
                    ("scale", "scale max", "max score", "out of", "шкала"),
                    minimum=1,
                    maximum=100,
                ),
                Field("comment", T, ("comment", "feedback", "review", "коментар", "відгук")),
                Field("language", T, ("language", "lang", "мова")),
                CUSTOMER,
                Field(
                    "order_id",
                    REF,
                    ("order", "order id", "order number", "замовлення", "номер замовлення"),
                    ref="orders",
                ),
                Field("deal_id", REF, ("deal", "deal id", "угода"), ref="deals"),
                REP,
                Field("product_id", REF, ("product", "товар"), ref="products"),
                CHANNEL,
            ),
            attributes=True,
            keeps_unmatched=True,
        ),
        Kind(
            "fx_rates",
            "fx_rates",
            (
                Field("rate_on", DATE, ("date", "on", "дата"), True),
                Field("currency", CUR, ("currency", "валюта", "code", "код"), True),
                Field("rate_to_base", NUM, ("rate", "курс"), True, minimum=0),
            ),
            key=("rate_on", "currency"),
        ),
    )
}


def markdown() -> str:
    """docs/import.md's field tables, rendered from KINDS (a test keeps the page true)."""
    out: list[str] = []
    for kind in KINDS.values():
        key = " + ".join(kind.key)
        out += [f"### {kind.name}", "", f"Into `{kind.table}`; the same row on re-import: {key}."]
        if kind.unique:
            out.append(f"Unique within a file: {', '.join(kind.unique)}.")
        if kind.attributes:
            out.append("Columns that match no field are kept in `attributes` (JSON).")
        if kind.keeps_unmatched:
            out.append(
                "A link to an unknown record is left empty and its text kept: never created, "
                "never a reason to reject the row."
            )
        out += ["", "| field | type | required | headers recognised |", "|---|---|---|---|"]
        for f in kind.fields:
            kind_of = f"{f.type.value} → {f.ref}" if f.ref else f.type.value
            names = ", ".join(f.synonyms)
            out.append(f"| {f.name} | {kind_of} | {'yes' if f.required else ''} | {names} |")
        out.append("")
    return "\n".join(out)
