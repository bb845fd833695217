"""Money as integer minor units with an ISO 4217 currency code; never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from salesmetrics.domain.errors import InputError

# Minor-unit exponents from ISO 4217; currencies not listed use 2.
_EXPONENTS: dict[str, int] = {"JPY": 0, "KRW": 0, "HUF": 2, "KWD": 3, "BHD": 3, "TND": 3}

# Active ISO 4217 codes (list one of the ISO 4217 maintenance agency, SIX), without the
# precious-metal, testing and fund codes that nobody pays in.
_ISO_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL
    BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR
    IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
    LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
    SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
    USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
ISO_4217 = frozenset(_ISO_CODES.split())

CURRENCY_SIGNS: dict[str, str] = {"UAH": "₴", "USD": "$", "EUR": "€", "PLN": "zł", "GBP": "£"}


def exponent(currency: str) -> int:
    """Number of minor-unit digits of a currency (2 for UAH: 1 ₴ = 100 kopiyok)."""
    return _EXPONENTS.get(currency, 2)


def check_currency(code: str) -> str:
    """Return the code upper-cased, or raise if it is not an active ISO 4217 code."""
    up = code.strip().upper()
    if up not in ISO_4217:
        raise InputError(f"'{code}' is not a currency code: use an ISO code such as UAH, USD, EUR")
    return up


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in minor units (kopiyky, cents) of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise InputError(f"money must be a whole number of minor units, got {self.minor!r}")
        object.__setattr__(self, "currency", check_currency(self.currency))

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Money from a major-unit amount ('12.50' UAH -> 1250 minor), rounding half to even."""
        scale = Decimal(10) ** exponent(check_currency(currency))
        minor = (Decimal(str(amount)) * scale).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        return cls(int(minor), currency)

    @property
    def amount(self) -> Decimal:
        """The amount in major units, exact."""
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InputError(f"cannot combine {self.currency} with {other.currency} without a rate")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __str__(self) -> str:
        return f"{self.amount:.{exponent(self.currency)}f} {self.currency}"
