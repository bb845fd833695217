"""Who the leads and customers are on paper: names, companies, contacts; the customers table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from salesmetrics.demo import columns as col
from salesmetrics.demo.customers import Customers
from salesmetrics.demo.leads import INDUSTRIES, SIZE_BANDS, Leads
from salesmetrics.demo.names import COMPANY_WORDS, REGIONS, translit
from salesmetrics.demo.spec import SOURCE
from salesmetrics.demo.timeline import Timeline

I64 = NDArray[np.int64]
LEAD_PEOPLE, CUSTOMER_PEOPLE = 1, 2  # salts: leads and shop customers are different people

# A kind of organisation per industry (index as leads.INDUSTRIES), chosen by the lead's number.
PREFIXES = (
    ("Готель", "Ресторан", "Кафе", "Хостел"),
    ("ТОВ", "ПП"),
    ("Магазин", "ТОВ"),
    ("Ліцей", "Дитячий садок", "Гімназія"),
    ("Клініка", "Медичний центр"),
    ("ТОВ", "Студія"),
)
TOPICS = (
    "текстиль і посуд для закладу",
    "облаштування офісної кухні",
    "товари для перепродажу",
    "текстиль і посуд для їдальні",
    "текстиль для палат",
    "подарунки для команди",
)
MAIL_DOMAINS = ("gmail.com", "ukr.net", "i.ua", "meta.ua", "outlook.com")


@dataclass(frozen=True, slots=True)
class People:
    """Names and contacts of rows, derived from (seed, row) alone: no state, any chunking."""

    female: NDArray[np.bool_]
    first: I64
    last: I64
    word: I64  # company name word
    phone: I64

    @classmethod
    def of(cls, seed: int, salt: int, idx: I64, female_share: float) -> People:
        """The people of rows idx under one salt."""
        h = col.mix(seed, salt, idx)
        bits = [((h >> np.uint64(k)) & np.uint64(0xFFFFF)).astype(np.int64) for k in (0, 20, 40)]
        return cls(
            female=(bits[0] & 0xFFFF) < female_share * 0x10000,
            first=bits[1],
            last=bits[2],
            word=(bits[1] * 31 + bits[2]) % len(COMPANY_WORDS),
            phone=(h >> np.uint64(8)).astype(np.int64) & 0xFFFFFFFF,
        )


def lead_people(seed: int, idx: I64) -> People:
    """The contact persons of leads."""
    return People.of(seed, LEAD_PEOPLE, idx, 0.55)


def companies(seed: int, industry: NDArray[np.integer], idx: I64) -> pa.Array:
    """'Готель «Карпати»': a kind of organisation for the industry and a name."""
    who = lead_people(seed, idx)
    flat = [p for group in PREFIXES for p in group]
    start = np.cumsum([0] + [len(g) for g in PREFIXES])[:-1]
    size = np.array([len(g) for g in PREFIXES])
    prefix = start[industry] + (who.last // 7) % size[industry]
    word = col.pick(COMPANY_WORDS, who.word)
    return pc.binary_join_element_wise(col.pick(flat, prefix), " «", word, "»", "")


def titles(seed: int, leads: Leads, idx: I64) -> pa.Array:
    """Deal titles: the company and what it is buying."""
    industry = leads.industry[idx]
    return pc.binary_join_element_wise(
        companies(seed, industry, idx), ": ", col.pick(TOPICS, industry), ""
    )


def lead_emails(seed: int, idx: I64) -> pa.Array:
    """Work addresses at the company's own domain."""
    who = lead_people(seed, idx)
    domains = [translit(w) + ".com.ua" for w in COMPANY_WORDS]
    user = col.email_users(who.female, who.first, who.last)
    return pc.binary_join_element_wise(user, "@", col.pick(domains, who.word), "")


def lead_names(seed: int, idx: I64) -> pa.Array:
    """Leads' contact names."""
    who = lead_people(seed, idx)
    return col.person_names(who.female, who.first, who.last)


def lead_phones(seed: int, idx: I64) -> pa.Array:
    """Leads' phone numbers."""
    return col.phones(lead_people(seed, idx).phone)


def customers_table(
    customers: Customers, leads: Leads, owner: I64, tl: Timeline, seed: int, lo: int, hi: int
) -> pa.Table:
    """Rows lo..hi-1 of the customers table; B2B customers carry their lead's company."""
    idx = np.arange(lo, hi, dtype=np.int64)
    n = len(idx)
    b2b = customers.b2b[idx]
    lead = np.maximum(customers.lead[idx], 0)
    who = People.of(seed, CUSTOMER_PEOPLE, idx, 0.62)
    company = companies(seed, leads.industry[lead], lead)
    user = col.email_users(who.female, who.first, who.last)
    mail = col.person_emails(user, idx + 1, MAIL_DOMAINS, who.word % len(MAIL_DOMAINS))
    kind = np.where(b2b, 0, np.where(customers.newsletter[idx], 1, 2))
    attrs = [
        '{"type": "b2b"}',
        '{"type": "b2c", "newsletter": true}',
        '{"type": "b2c", "newsletter": false}',
    ]
    flag = col.bools(b2b)
    return pa.table(
        {
            "id": col.ids(idx + 1),
            "external_id": col.external("CUS-", idx + 1, 7),
            "source": col.const(SOURCE, n),
            "name": pc.if_else(flag, company, col.person_names(who.female, who.first, who.last)),
            "email": pc.if_else(flag, lead_emails(seed, lead), mail),
            "phone": pc.if_else(flag, lead_phones(seed, lead), col.phones(who.phone)),
            "company": pc.if_else(flag, company, pa.nulls(n, pa.string())),
            "region": col.pick([r for r, _ in REGIONS], customers.region[idx]),
            "industry": col.pick(INDUSTRIES, leads.industry[lead], null=~b2b),
            "size_band": col.pick(SIZE_BANDS, leads.size_band[lead], null=~b2b),
            "channel_id": col.ids(customers.channel[idx] + 1),
            "acquired_at": col.timestamps(tl, customers.acquired[idx]),
            "owner_rep_id": col.ids(owner[idx] + 1, null=owner[idx] < 0),
            "attributes": col.pick(attrs, kind),
        }
    )
