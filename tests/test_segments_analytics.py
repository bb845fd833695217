"""Customer segments, pure: RFM scores against hand-computed answers (ties included), the built-in
segment table placing hand-made customers, table validation messages, transitions on a hand
example, and k-means clusters recovering planted behaviour groups, stable across seeds, with a
JSON round trip and profiles put into words."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import numpy as np
import pytest
import yaml
from sklearn.metrics import silhouette_score

from salesmetrics.analytics.segments.clusters import (
    Clusters,
    Profile,
    Scaling,
    agreement,
    describe,
    silhouettes,
)
from salesmetrics.analytics.segments.rfm import (
    NONE,
    SegmentTable,
    SegmentTableError,
    assign,
    fm_score,
    quantile_scores,
    rescale,
    summary,
    transitions,
)

NAMES = ("champions", "loyal", "potential_loyalists", "new", "promising", "need_attention",
         "about_to_sleep", "cant_lose", "at_risk", "hibernating", "lost")  # fmt: skip


def _default_dict() -> dict[str, Any]:
    text = (resources.files("salesmetrics.services.segments") / "rfm.yaml").read_text("utf-8")
    d: dict[str, Any] = yaml.safe_load(text)
    return d


@pytest.fixture(scope="module")
def table() -> SegmentTable:
    return SegmentTable.from_dict(_default_dict())


# --- scores -----------------------------------------------------------------------------------


def test_scores_are_ceil_of_lowest_rank_share() -> None:
    # ranks 1, 2, 2, 4, 5 of 5 (a tie takes its lowest): ceil(rank / 5 * k)
    assert quantile_scores([10, 20, 20, 30, 40]).tolist() == [1, 2, 2, 4, 5]
    assert quantile_scores([10, 20, 20, 30, 40], k=3).tolist() == [1, 2, 2, 3, 3]
    assert quantile_scores(np.arange(10)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # a tie takes its lowest rank: everyone tied is rank 1 of 4, ceil(1.25) = 2
    assert quantile_scores([7, 7, 7, 7]).tolist() == [2, 2, 2, 2]
    # a big tie at the bottom (three who bought once): rank 1 of 5 -> 1
    assert quantile_scores([1, 1, 1, 5, 9]).tolist() == [1, 1, 1, 4, 5]


@pytest.mark.parametrize("seed", range(5))
def test_ranks_are_scipys_lowest_ranks(seed: int) -> None:
    """The scores' ranks are computed with numpy; they are scipy's rankdata(method="min")."""
    from scipy.stats import rankdata

    g = np.random.default_rng(seed)
    for x in (g.integers(0, 9, 400), g.normal(size=300), np.r_[np.zeros(50), g.random(10)]):
        for k in (3, 5, 10):
            expected = -(-np.asarray(rankdata(x, method="min"), np.int64) * k // len(x))
            assert quantile_scores(x, k=k).tolist() == expected.tolist()


def test_scores_do_not_depend_on_order_and_ties_share_a_score() -> None:
    g = np.random.default_rng(3)
    x = g.integers(0, 12, 500)
    order = g.permutation(500)
    s = quantile_scores(x, k=7)
    assert np.array_equal(quantile_scores(x[order], k=7), s[order])
    for v in np.unique(x):
        assert len(np.unique(s[x == v])) == 1
    assert s.min() >= 1 and s.max() <= 7


def test_exact_boundaries_and_k_limits() -> None:
    # rank 2 of 10 at k = 5 is exactly 1.0: score 1, not 2 (no float drift across the edge)
    assert quantile_scores(np.arange(10) * 0.1, k=5)[1] == 1
    for bad in (2, 11):
        with pytest.raises(ValueError, match=r"k \(the number of scores\) must be 3\.\.10"):
            quantile_scores([1, 2, 3], k=bad)
    with pytest.raises(ValueError, match="one finite number per customer"):
        quantile_scores([1.0, float("nan"), 3.0])


def test_rescale_and_fm() -> None:
    assert rescale(range(1, 6), 5, 5).tolist() == [1, 2, 3, 4, 5]
    assert rescale(range(1, 11), 10, 5).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert rescale([1, 2, 3], 3, 5).tolist() == [1, 3, 5]
    assert fm_score([5, 1, 3, 1, 2], [4, 2, 3, 1, 3]).tolist() == [5, 2, 3, 1, 3]


def test_recency_is_scored_inverted_with_ties(table: SegmentTable) -> None:
    a = assign([0, 5, 5, 30, 100], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], table)
    # days negated: ranks 5, 3, 3, 2, 1 of 5 (the tie at 5 days takes rank 3)
    assert a.r.tolist() == [5, 3, 3, 2, 1]


# --- the built-in table -----------------------------------------------------------------------


def test_default_table_loads_with_both_languages(table: SegmentTable) -> None:
    assert table.scale == 5
    assert table.names == NAMES
    for rule in table.rules:
        assert rule.label["en"] and rule.label["uk"]
        assert rule.description["en"] and rule.description["uk"]
    assert table.rule("cant_lose").label == {"en": "Can't lose", "uk": "Не можна втратити"}
    assert SegmentTable.from_dict(table.to_dict()) == table


@pytest.mark.parametrize(("r", "fm", "name"), [
    (5, 5, "champions"), (4, 4, "champions"), (3, 5, "loyal"), (5, 3, "potential_loyalists"),
    (4, 2, "potential_loyalists"), (5, 1, "new"), (4, 1, "promising"), (3, 3, "need_attention"),
    (3, 1, "about_to_sleep"), (1, 5, "cant_lose"), (1, 3, "at_risk"), (2, 5, "at_risk"),
    (2, 2, "hibernating"), (1, 1, "lost"), (1, 2, "lost"),
])  # fmt: skip
def test_cells_land_in_their_segment(table: SegmentTable, r: int, fm: int, name: str) -> None:
    assert table.names[int(table.lookup([r], [fm])[0])] == name


def test_assign_hand_placed_customers(table: SegmentTable) -> None:
    a = assign(recency=[1, 10, 30, 60, 200], frequency=[20, 10, 5, 3, 1],
               monetary=[100_000, 50_000, 20_000, 5_000, 1_000], table=table)  # fmt: skip
    assert a.r.tolist() == a.f.tolist() == a.m.tolist() == [5, 4, 3, 2, 1]
    assert a.segment.tolist() == ["champions", "champions", "need_attention", "hibernating", "lost"]


def test_assign_on_another_k_maps_onto_the_grid(table: SegmentTable) -> None:
    days = np.arange(10)[::-1] * 10.0  # the last customer is the most recent
    a = assign(days, np.arange(1, 11), np.arange(1, 11) * 100, table, k=10)
    assert a.r.tolist() == list(range(1, 11))
    assert a.cell_r.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert a.segment.tolist()[-1] == "champions" and a.segment.tolist()[0] == "lost"


def test_summary_per_segment(table: SegmentTable) -> None:
    a = assign([1, 10, 30, 60, 200], [20, 10, 5, 3, 1],
               [100_000, 50_000, 20_000, 5_000, 1_000], table)  # fmt: skip
    rows = {s.name: s for s in summary(a)}
    assert list(rows) == list(NAMES)
    champ = rows["champions"]
    assert (champ.customers, champ.share, champ.revenue) == (2, 0.4, 150_000)
    assert (champ.mean_r, champ.mean_f, champ.mean_m) == (4.5, 4.5, 4.5)
    assert (champ.mean_recency, champ.mean_frequency, champ.mean_monetary) == (5.5, 15.0, 75_000.0)
    assert rows["lost"].customers == 1 and rows["lost"].revenue == 1_000
    assert rows["new"].customers == 0 and rows["new"].revenue == 0 and rows["new"].mean_r is None
    assert sum(s.customers for s in rows.values()) == 5


def test_inputs_are_checked(table: SegmentTable) -> None:
    with pytest.raises(ValueError, match="whole minor units"):
        assign([1, 2, 3], [1, 1, 1], [1.5, 2.0, 3.0], table)
    with pytest.raises(ValueError, match="recency must be numbers of at least 0"):
        assign([1, -2, 3], [1, 1, 1], [1, 2, 3], table)
    with pytest.raises(ValueError, match="as many of each"):
        assign([1, 2], [1, 1, 1], [1, 2, 3], table)


# --- table validation -------------------------------------------------------------------------


def _broken(**changes: Any) -> dict[str, Any]:
    """The built-in table with rule fields changed: {index: {field: value or None to drop}}."""
    d = _default_dict()
    for i, fields in changes.get("rules", {}).items():
        for key, value in fields.items():
            if value is None:
                d["rules"][i].pop(key, None)
            else:
                d["rules"][i][key] = value
    return d


def _problems(d: Any) -> tuple[str, ...]:
    with pytest.raises(SegmentTableError) as caught:
        SegmentTable.from_dict(d)
    assert isinstance(caught.value, ValueError)
    return caught.value.problems


def test_bad_range_names_rule_and_field() -> None:
    assert _problems(_broken(rules={0: {"r": [4, 6]}})) == (
        "rule 1 (champions): 'r' [4, 6] must have 1 <= low <= high <= 5",
    )
    assert _problems(_broken(rules={2: {"fm": [3, 2]}})) == (
        "rule 3 (potential_loyalists): 'fm' [3, 2] must have 1 <= low <= high <= 5",
    )
    assert _problems(_broken(rules={1: {"fm": "high"}})) == (
        "rule 2 (loyal): 'fm' must be [low, high] in whole scores, not 'high'",
    )
    assert _problems(_broken(rules={1: {"r": None}})) == (
        "rule 2 (loyal): 'r' is missing: give [low, high] within 1..5",
    )


def test_missing_label() -> None:
    assert _problems(_broken(rules={1: {"label": {"en": "Loyal"}}})) == (
        "rule 2 (loyal): 'label' has no text for uk",
    )
    assert _problems(_broken(rules={3: {"label": None}})) == (
        "rule 4 (new): 'label' maps a language (en, uk) to a text",
    )


def test_uncovered_cell_and_unreachable_rule() -> None:
    d = _default_dict()
    d["rules"] = [r for r in d["rules"] if r["name"] != "lost"]
    assert _problems(d) == (
        "cell R=1, FM=1 is in no rule's ranges: widen one or add a rule",
        "cell R=1, FM=2 is in no rule's ranges: widen one or add a rule",
    )
    d = _default_dict()
    d["rules"].append({"name": "dormant", "label": {"en": "Dormant", "uk": "Сонні"},
                       "r": [1, 2], "fm": [1, 2]})  # fmt: skip
    assert _problems(d) == ("rule 12 (dormant): never applies, earlier rules take all its cells",)


def test_every_problem_is_reported_at_once() -> None:
    d = _broken(rules={0: {"name": "Champions!"}, 4: {"name": "new", "rr": [1, 2]}})
    d["scale"] = 11
    problems = _problems(d)
    assert problems == (
        "'scale' must be a whole number 3..10, not 11",
        "rule 1: 'name' must be a code of a-z, 0-9 and _, not 'Champions!'",
        "rule 5 (new): unknown field 'rr'",
        "rule 5 (new): the name is taken by rule 4",
    )
    assert "rule 5 (new): unknown field 'rr'" in str(SegmentTableError(problems))
    assert _problems({"rules": []})[0].startswith("a segment table has 'rules'")
    assert _problems(_broken(rules={10: {"name": NONE}})) == (
        "rule 11: 'name' 'none' is reserved for customers not in a snapshot",
    )


def test_a_table_for_another_scale() -> None:
    d = {"scale": 3, "rules": [
        {"name": "best", "label": {"en": "Best", "uk": "Найкращі"}, "r": 3, "fm": [2, 3]},
        {"name": "rest", "label": {"en": "Rest", "uk": "Решта"}, "r": [1, 3], "fm": [1, 3]},
    ]}  # fmt: skip
    t = SegmentTable.from_dict(d)
    a = assign([1, 2, 3, 50, 60, 70], [9, 9, 8, 1, 1, 2], [900, 800, 700, 1, 2, 3], t, k=3)
    assert a.segment.tolist() == ["best", "best", "rest", "rest", "rest", "rest"]


# --- transitions ------------------------------------------------------------------------------


def test_transitions_hand_example() -> None:
    before = {"a": "champions", "b": "champions", "c": "loyal", "d": "lost", "e": "at_risk"}
    after = {"a": "champions", "b": "loyal", "c": "loyal", "e": "lost", "f": "new"}
    t = transitions(before, after, NAMES)
    assert t.labels == (*NAMES, NONE)
    assert t.count("champions", "champions") == 1
    assert t.count("champions", "loyal") == 1
    assert t.count("loyal", "loyal") == 1
    assert t.count("lost", NONE) == 1
    assert t.count("at_risk", "lost") == 1
    assert t.count(NONE, "new") == 1
    assert t.count(NONE, NONE) == 0
    assert int(t.counts.sum()) == 6  # every customer in either snapshot, once
    shares = t.shares
    assert shares[0, 0] == shares[0, 1] == 0.5
    assert shares[NAMES.index("hibernating")].sum() == 0.0
    with pytest.raises(ValueError, match="after snapshot: 'vip' is not one of"):
        transitions(before, {"a": "vip"}, NAMES)


# --- clusters ---------------------------------------------------------------------------------


def test_scaling_logs_skewed_non_negative_features_then_z_scores() -> None:
    skewed = np.array([0.0] * 9 + [100.0])  # skewness 2.67
    even = np.arange(1.0, 11.0)  # skewness 0
    negative = skewed - 50.0  # as skewed, but below 0
    x = np.column_stack([skewed, even, negative])
    s = Scaling.learn(x, ["a", "b", "c"])
    assert s.log == (True, False, False)
    logged = np.log1p(skewed)
    assert s.mean[0] == pytest.approx(logged.mean()) and s.std[0] == pytest.approx(logged.std())
    z = s.apply(x)
    assert np.allclose(z.mean(axis=0), 0.0) and np.allclose(z.std(axis=0), 1.0)
    assert Scaling.learn(np.ones((4, 1)), ["flat"]).apply(np.ones((4, 1))).tolist() == [[0.0]] * 4


PLANTED = {  # recency days, orders, spend, discount share, tenure days
    "occasional": (200.0, 1.5, 400.0, 0.35, 150.0),
    "regular": (45.0, 5.0, 2_500.0, 0.15, 500.0),
    "frequent": (10.0, 15.0, 9_000.0, 0.08, 900.0),
    "vip": (4.0, 40.0, 60_000.0, 0.02, 1_600.0),
}
SHARES = (0.4, 0.3, 0.2, 0.1)
SMALL = {"select_rows": 4_000, "silhouette_rows": 2_000, "fit_rows": 8_000}  # fits on samples


def _world(n: int, seed: int, groups: int = 4) -> tuple[np.ndarray[Any, Any], dict[str, Any]]:
    g = np.random.default_rng(seed)
    p = np.asarray(SHARES[:groups]) / sum(SHARES[:groups])
    grp = g.choice(groups, n, p=p)
    centre = np.asarray(list(PLANTED.values()))[:groups][grp]

    def noisy(j: int) -> np.ndarray[Any, Any]:
        return np.asarray(centre[:, j] * g.lognormal(0.0, 0.15, n))

    features = {"recency": noisy(0), "frequency": noisy(1), "monetary": noisy(2),
                "discount_share": np.clip(centre[:, 3] + g.normal(0, 0.02, n), 0, 1),
                "tenure": noisy(4)}  # fmt: skip
    return grp, features


def test_silhouettes_match_sklearn() -> None:
    g = np.random.default_rng(2)
    z = g.normal(size=(1_300, 4))
    z[:400] += 3.0
    labelings = [
        (z[:, 0] > 1.5).astype(np.int64),
        g.integers(0, 5, 1_300),
        np.r_[np.zeros(1_299, np.int64), 1],  # a cluster of one scores 0
        np.r_[np.zeros(650, np.int64), np.full(650, 2)],  # a number left unused
    ]
    expected = [silhouette_score(z, lab) for lab in labelings]
    assert silhouettes(z, labelings) == pytest.approx(expected, abs=1e-12)


@pytest.fixture(scope="module")
def planted() -> tuple[np.ndarray[Any, Any], dict[str, Any], Clusters]:
    grp, features = _world(12_000, seed=7)
    return grp, features, Clusters(seed=0, **SMALL).fit(features)


def test_clusters_recover_planted_groups(planted: Any) -> None:
    grp, _, c = planted
    assert c.k_ == 4
    assert max(c.scores_, key=c.scores_.__getitem__) == 4
    assert sorted(c.scores_) == list(range(2, 9))
    assert agreement(c.labels_, grp) >= 0.9
    sizes = [p.size for p in c.profiles_]
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) == 12_000
    # cluster 0 is the largest: the occasional buyers (planted group 0)
    assert np.mean(grp[c.labels_ == 0] == 0) > 0.95


def test_k_equals_planted_three() -> None:
    grp, features = _world(3_000, seed=11, groups=3)
    c = Clusters(seed=5).fit(features)
    assert c.k_ == 3
    assert agreement(c.labels_, grp) >= 0.9


def test_stable_across_seeds(planted: Any) -> None:
    _, features, c = planted
    other = Clusters(seed=1, **SMALL).fit(features)
    assert agreement(c.labels_, other.labels_) >= 0.95
    assert np.mean(c.labels_ == other.labels_) >= 0.99  # the same numbers, not only groups


def test_json_round_trip_gives_the_same_assignments(planted: Any) -> None:
    _, features, c = planted
    saved = json.loads(json.dumps(c.to_json()))
    again = Clusters.from_json(saved)
    assert np.array_equal(again.predict(features), c.labels_)
    assert again.scores_ == c.scores_ and again.scaling_ == c.scaling_
    assert again.profiles(features) == c.profiles_
    with pytest.raises(ValueError, match="feature 'tenure' is missing"):
        again.predict({k: v for k, v in features.items() if k != "tenure"})


def test_profiles_name_the_standouts(planted: Any) -> None:
    grp, _, c = planted
    vip = c.profiles_[3]  # the smallest cluster: the planted vip group
    assert np.mean(grp[c.labels_ == 3] == 3) > 0.95
    assert vip.share == pytest.approx(0.1, abs=0.02)
    assert vip.means["frequency"] == pytest.approx(40.0, rel=0.1)
    names = [name for name, _ in vip.standouts]
    assert "monetary" in names and all(z > 0 for name, z in vip.standouts if name != "recency")
    assert describe(vip, "en").startswith(("spent a lot", "buy often", "long-standing"))
    occasional = c.profiles_[0]
    assert dict(occasional.standouts).get("recency", 0.0) > 0.5  # long since the last purchase


def test_describe_planted_profile() -> None:
    p = Profile(0, 100, 0.1, {"frequency": 5.2, "monetary": 48_200.0, "recency": 12.0}, {},
                (("frequency", 1.8), ("monetary", 1.5), ("recency", -1.2)))  # fmt: skip
    assert describe(p, "en") == "buy often (5.2 orders), spent a lot (48,200), " \
                                "recently active (12 days ago)"  # fmt: skip
    assert describe(p, "uk") == "купують часто (5,2 замовлення), витратили багато " \
                                "(48\u00a0200), нещодавно активні (12 днів тому)"  # fmt: skip
    q = Profile(1, 10, 0.01, {"recency": 181.6, "frequency": 1.0, "online_share": 0.4213,
                              "monetary": 4_820_000}, {},
                (("recency", 1.4), ("frequency", -0.9), ("online_share", 0.7),
                 ("monetary", -0.6)))  # fmt: skip
    assert describe(q, "en", minor=100) == ("not seen for a while (182 days ago), buy rarely "
                                            "(1 order), high online_share (0.42), "
                                            "spent little (48,200)")  # fmt: skip
    assert describe(q, "uk", minor=100) == ("давно не купували (182 дні тому), купують рідко "
                                            "(1 замовлення), високе значення «online_share» "
                                            "(0,42), витратили мало (48\u00a0200)")  # fmt: skip
    assert "high online orders (0.42)" in describe(q, "en", 100, {"online_share": "online orders"})
    typical = Profile(2, 5, 0.5, {}, {}, ())
    assert describe(typical, "uk") == "типові клієнти, близькі до середнього за всіма ознаками"
    with pytest.raises(ValueError, match="en or uk"):
        describe(p, "de")


def test_features_are_checked() -> None:
    with pytest.raises(ValueError, match="feature 'x': one finite number per customer"):
        Clusters().fit({"x": [1.0, float("nan"), 2.0, 3.0]})
    with pytest.raises(ValueError, match="too few"):
        Clusters().fit({"x": [1.0, 2.0]})
