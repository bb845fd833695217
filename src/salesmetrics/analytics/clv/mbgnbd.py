"""MBG/NBD: the BG/NBD with one more way to leave: a customer may drop out right after their
first purchase too, so a one-time buyer need not still be a customer.

Source: E. P. Batislam, M. Denizel and A. Filiztekin (2007), "Empirical validation and
comparison of models for customer base analysis", International Journal of Research in
Marketing 24(3), 201-209. With the BG/NBD's priors (rate lambda ~ Gamma(r, alpha), dropout
p ~ Beta(a, b)), but a drop with chance p after every purchase, the first (at time 0)
included, a history (x repeat purchases, the last at t_x, observed for T) has

    L = B(a, b+x+1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x)) * (1 + e^D)
    D = ln a - ln(b+x) + (r+x) (ln(alpha+T) - ln(alpha+t_x)), for every x (t_x = 0 at x = 0)
    P(alive) = 1 / (1 + e^D)
    E[Y(t) | x, t_x, T] = P(alive) (a+b+x)/(a-1) [1 - (1-z)^(r+x) 2F1(r+x, b+x+1; a+b+x; z)]

with z = t / (alpha+T+t). The likelihood is (1-p)^x lambda^x [(1-p) e^(-lambda T) +
p e^(-lambda t_x)] (active throughout, or gone right after the last purchase) integrated over
both priors; its second term is the first times e^D, since B(a+1, b+x) = B(a, b+x+1) a/(b+x).
A customer active at T has p ~ Beta(a, b+x+1) and lambda ~ Gamma(r+x, alpha+T), and expects
(1 - e^(-lambda p t)) / p purchases in the next t, which integrates to the bracket. For a new
customer (x = t_x = T = 0) P(alive) = b/(a+b), and E[X(t)] is the paper's
b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))].

Each is the BG/NBD's formula with n = x + 1 chances to drop out in place of x where the dropout
is concerned, which is how bgnbd.py computes them both: the same Euler transformation of the
hypergeometric, the same weighted rows, the same analytic gradient (d/da = psi(a+b) -
psi(a+b+x+1) + s/a, d/db = psi(b+x+1) - psi(b) + psi(a+b) - psi(a+b+x+1) - s/(b+x), s =
1 - P(alive); d/dr, d/dalpha as the BG/NBD's), and the same limit at huge a and b, now at
p = (a-1)/(a+b+x).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from salesmetrics.analytics.clv.bgnbd import PurchaseModel


@dataclass(frozen=True, slots=True)
class MBgNbd(PurchaseModel):
    """MBG/NBD parameters. P(alive) is below 1 for x = 0 too: a one-time buyer may have
    dropped out at their first purchase."""

    MODEL: ClassVar[str] = "mbgnbd"
    LABEL: ClassVar[str] = "MBG/NBD"
    FIRST: ClassVar[int] = 1
