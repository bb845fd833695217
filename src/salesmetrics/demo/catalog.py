"""The small, hand-made part of the business: teams, reps, channels, products, the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from salesmetrics.demo import columns as col
from salesmetrics.demo.catalog_data import CATEGORIES, PROBLEM_PRODUCT
from salesmetrics.demo.names import translit
from salesmetrics.demo.spec import CURRENCY, SOURCE, STREAM_CATALOG, SizeSpec, rng
from salesmetrics.demo.timeline import Timeline
from salesmetrics.domain.enums import ChannelKind, StageKind

SHOP_NAME = "Демо: Затишний дім"
SHOP_DOMAIN = "zatyshnyi-dim.com.ua"

# name, team, days hired before the first day (negative: hired during the demo), logit effect
REPS: tuple[tuple[str, int, int, float], ...] = (
    ("Олена Коваль", 0, 1650, 0.35),
    ("Андрій Шевченко", 0, 900, 0.0),
    ("Ірина Бондаренко", 0, 420, 0.0),
    ("Максим Ткаченко", 1, 1300, 0.2),
    ("Наталія Кравченко", 1, 700, 0.0),
    ("Дмитро Олійник", 1, 260, -0.1),
    ("Оксана Мельник", 2, 1100, 0.0),
    ("Тарас Бойко", 2, 540, -0.3),
    ("Юлія Савченко", 2, -400, -0.35),
)
TEAMS = ("HoReCa", "Корпоративні клієнти", "Регіони")
REP_CITIES = (
    "м. Київ",
    "м. Київ",
    "м. Львів",
    "м. Київ",
    "м. Дніпро",
    "м. Київ",
    "м. Одеса",
    "м. Львів",
    "м. Харків",
)

# name, kind, share of shop (B2C) customers, planted cost per acquired customer (UAH)
CHANNELS: tuple[tuple[str, ChannelKind, float, float], ...] = (
    ("Google Ads", ChannelKind.PAID, 0.28, 330.0),
    ("Instagram", ChannelKind.PAID, 0.22, 140.0),
    ("Rozetka", ChannelKind.MARKETPLACE, 0.24, 260.0),
    ("Referral", ChannelKind.REFERRAL, 0.09, 320.0),
    ("SEO", ChannelKind.ORGANIC, 0.17, 240.0),
    ("Cold outreach", ChannelKind.OUTBOUND, 0.0, 1100.0),
)
BEST_CAC_CHANNEL = "Instagram"

# name, kind, probability, rotting days, median working days spent in the stage
STAGES: tuple[tuple[str, StageKind, float, int | None, float], ...] = (
    ("Новий", StageKind.OPEN, 0.1, 3, 1.5),
    ("Кваліфікація", StageKind.OPEN, 0.2, 10, 4.0),
    ("Зустріч", StageKind.OPEN, 0.4, 10, 5.0),
    ("Пропозиція", StageKind.OPEN, 0.6, 30, 15.0),
    ("Переговори", StageKind.OPEN, 0.8, 14, 6.0),
    ("Виграно", StageKind.WON, 1.0, None, 0.0),
    ("Програно", StageKind.LOST, 0.0, None, 0.0),
)
OPEN_STAGES = 5
WON_STAGE, LOST_STAGE = 5, 6  # 0-based positions; ids are position + 1
BOTTLENECK_STAGE = "Пропозиція"


@dataclass(frozen=True, slots=True)
class Products:
    """The assortment chosen for a size, with what orders need to draw from it."""

    names: list[str]
    sku: list[str]
    category: NDArray[np.int64]
    price: NDArray[np.int64]  # current list price, minor units
    cost: NDArray[np.int64]
    popularity: NDArray[np.float64]
    problem: int  # index of the product with the planted quality problem

    def weights(self, calendar_month: int, b2b: bool) -> NDArray[np.float64]:
        """Probability of each product for an order line in a calendar month."""
        w = self.popularity * np.array(
            [CATEGORIES[c].season[calendar_month - 1] for c in self.category]
        )
        if b2b:
            w = w * np.array([CATEGORIES[c].b2b for c in self.category])
        out: NDArray[np.float64] = w / w.sum()
        return out


def rep_hire_days() -> NDArray[np.int64]:
    """Day index (from the first day) on which each rep was hired."""
    return np.array([-back for _, _, back, _ in REPS], np.int64)


def rep_effects() -> NDArray[np.float64]:
    """Each rep's additive effect on the logit of lead conversion."""
    return np.array([e for *_, e in REPS], np.float64)


def build_products(spec: SizeSpec, seed: int) -> Products:
    """Round-robin over categories so every category is present at every size."""
    gen = rng(seed, STREAM_CATALOG)
    depth = max(len(c.items) for c in CATEGORIES)
    chosen = [(ci, k) for k in range(depth) for ci, c in enumerate(CATEGORIES) if k < len(c.items)][
        : spec.products
    ]
    names = [CATEGORIES[ci].items[k][0] for ci, k in chosen]
    price = np.array([CATEGORIES[ci].items[k][1] * 100 for ci, k in chosen], np.int64)
    margin = gen.uniform(0.45, 0.72, len(chosen))
    cost = (np.round(price * margin / 100) * 100).astype(np.int64)
    ranks = gen.permutation(len(chosen)) + 1
    problem = names.index(PROBLEM_PRODUCT)
    # A popular item, so its buyers leave enough feedback to judge it even in the small demo.
    swap = int(np.flatnonzero(ranks == 8)[0])
    ranks[swap], ranks[problem] = ranks[problem], ranks[swap]
    sku = [f"{CATEGORIES[ci].code}-{k + 1:03d}" for ci, k in chosen]
    return Products(
        names=names,
        sku=sku,
        category=np.array([ci for ci, _ in chosen], np.int64),
        price=price,
        cost=cost,
        popularity=1.0 / ranks.astype(np.float64) ** 0.8,
        problem=problem,
    )


def settings_table() -> pa.Table:
    """The workspace settings the demo comes with."""
    values = {
        "name": SHOP_NAME,
        "base_currency": CURRENCY,
        "time_zone": "Europe/Kyiv",
        "locale": "uk",
        "fiscal_year_start_month": "1",
    }
    return pa.table({"key": list(values), "value": list(values.values())})


def teams_table() -> pa.Table:
    """Teams, each managed by its first rep."""
    n = len(TEAMS)
    managers = [next(i for i, r in enumerate(REPS) if r[1] == t) + 1 for t in range(n)]
    return pa.table(
        {
            "id": col.ids(np.arange(1, n + 1)),
            "external_id": col.external("TEAM-", np.arange(1, n + 1), 2),
            "source": col.const(SOURCE, n),
            "name": pa.array(TEAMS, pa.string()),
            "manager_rep_id": col.ids(np.array(managers)),
        }
    )


def rep_email(name: str) -> str:
    """'Олена Коваль' -> olena.koval@zatyshnyi-dim.com.ua."""
    first, last = name.split(" ")
    return f"{translit(first)}.{translit(last)}@{SHOP_DOMAIN}"


def reps_table(tl: Timeline) -> pa.Table:
    """The sales reps, with their hiring dates."""
    n = len(REPS)
    number = np.arange(1, n + 1)
    return pa.table(
        {
            "id": col.ids(number),
            "external_id": col.external("REP-", number, 3),
            "source": col.const(SOURCE, n),
            "name": pa.array([r[0] for r in REPS], pa.string()),
            "email": pa.array([rep_email(r[0]) for r in REPS], pa.string()),
            "team_id": col.ids(np.array([r[1] + 1 for r in REPS])),
            "active": col.bools(np.ones(n, np.bool_)),
            "hired_on": col.dates(tl, rep_hire_days()),
            "attributes": pa.array([f'{{"city": "{c}"}}' for c in REP_CITIES], pa.string()),
        }
    )


def channels_table() -> pa.Table:
    """The acquisition channels."""
    n = len(CHANNELS)
    number = np.arange(1, n + 1)
    return pa.table(
        {
            "id": col.ids(number),
            "external_id": col.external("CH-", number, 2),
            "source": col.const(SOURCE, n),
            "name": pa.array([c[0] for c in CHANNELS], pa.string()),
            "kind": pa.array([str(c[1]) for c in CHANNELS], pa.string()),
        }
    )


def products_table(products: Products) -> pa.Table:
    """The assortment with list prices and unit costs."""
    n = len(products.names)
    number = np.arange(1, n + 1)
    return pa.table(
        {
            "id": col.ids(number),
            "external_id": pa.array(products.sku, pa.string()),
            "source": col.const(SOURCE, n),
            "sku": pa.array(products.sku, pa.string()),
            "name": pa.array(products.names, pa.string()),
            "category": col.pick([c.name for c in CATEGORIES], products.category),
            "unit_price_minor": col.ids(products.price),
            "unit_cost_minor": col.ids(products.cost),
            "currency": col.const(CURRENCY, n),
            "active": col.bools(np.ones(n, np.bool_)),
        }
    )


def pipeline_tables() -> list[tuple[str, pa.Table]]:
    """The one default B2B pipeline and its stages, as data."""
    n = len(STAGES)
    number = np.arange(1, n + 1)
    pipelines = pa.table(
        {
            "id": col.ids(np.array([1])),
            "external_id": pa.array(["PIPE-1"], pa.string()),
            "source": col.const(SOURCE, 1),
            "name": pa.array(["B2B продажі"], pa.string()),
            "is_default": col.bools(np.array([True])),
        }
    )
    stages = pa.table(
        {
            "id": col.ids(number),
            "external_id": col.external("STG-", number, 2),
            "source": col.const(SOURCE, n),
            "pipeline_id": col.ids(np.ones(n, np.int64)),
            "name": pa.array([s[0] for s in STAGES], pa.string()),
            "position": col.ids(number),
            "kind": pa.array([str(s[1]) for s in STAGES], pa.string()),
            "probability": pa.array([s[2] for s in STAGES], pa.float64()),
            "rotting_days": pa.array([s[3] for s in STAGES], pa.int64()),
        }
    )
    return [("pipelines", pipelines), ("stages", stages)]
