"""Money and settings: pure types, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesmetrics.domain.errors import ConfigError, InputError
from salesmetrics.domain.money import Money
from salesmetrics.domain.settings import WorkspaceSettings


@given(st.integers(min_value=-(2**62), max_value=2**62), st.sampled_from(["UAH", "USD", "JPY"]))
def test_money_round_trips_through_major_units(minor: int, currency: str) -> None:
    m = Money(minor, currency)
    assert Money.of(m.amount, currency) == m


def test_money_from_major_units_rounds_half_to_even() -> None:
    assert Money.of("12.345", "UAH").minor == 1234
    assert Money.of("12.355", "uah") == Money(1236, "UAH")
    assert str(Money(123456, "UAH")) == "1234.56 UAH"


def test_money_refuses_floats_and_mixed_currencies() -> None:
    with pytest.raises(InputError, match="whole number"):
        Money(1.5, "UAH")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="UAH with USD"):
        Money(1, "UAH") + Money(1, "USD")
    with pytest.raises(InputError, match="currency code"):
        Money(1, "гривня")
    assert Money(150, "UAH") - Money(50, "UAH") == Money(100, "UAH")
    assert Money.of(Decimal("0.1"), "UAH") + Money.of(Decimal("0.2"), "UAH") == Money(30, "UAH")


def test_settings_defaults_and_validation() -> None:
    s = WorkspaceSettings.from_mapping({})
    assert (s.base_currency, s.time_zone, s.locale, s.fiscal_year_start_month) == (
        "UAH",
        "Europe/Kyiv",
        "uk",
        1,
    )
    assert WorkspaceSettings.from_mapping(s.as_strings()) == s
    with pytest.raises(ConfigError, match="not a time zone"):
        WorkspaceSettings.from_mapping({"time_zone": "Kyiv"})
    with pytest.raises(ConfigError, match="use uk or en"):
        WorkspaceSettings.from_mapping({"locale": "ru"})
    with pytest.raises(ConfigError, match="from 1 to 12"):
        WorkspaceSettings.from_mapping({"fiscal_year_start_month": "13"})
    with pytest.raises(ConfigError, match="unknown setting colour"):
        WorkspaceSettings.from_mapping({"colour": "red"})
