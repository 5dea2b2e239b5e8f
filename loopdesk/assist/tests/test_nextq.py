"""The next-question model on hand-made sequences with known answers (no database)."""

import pytest

from loopdesk.assist import nextq
from loopdesk.assist.nextq import ALPHA, Event


def seq(company, tokens, product=None, start=0):
    return [Event(company, start + i, t, product) for i, t in enumerate(tokens)]


def many(n, tokens, product=None, first=0):
    return [seq(first + i, tokens, product) for i in range(n)]


def test_first_order_chain_predicts_the_most_frequent_successor():
    # After "c:1" customers ask "c:2" 60 times and "c:3" 20 times; after "c:2" they read "a:9".
    sequences = many(60, ["c:1", "c:2", "a:9"]) + many(20, ["c:1", "c:3"], first=100)
    data = nextq.train(sequences).to_data()
    assert data["trans"]["c:1"] == {"c:2": 60, "c:3": 20}
    ranked = nextq.rank(data, "c:1", None, 3)
    assert [t for t, _s in ranked[:2]] == ["c:2", "c:3"]
    assert nextq.rank(data, "c:2", None, 1)[0][0] == "a:9"
    # Popular overall (c:1 starts every sequence), but never seen after c:1: ranked below both.
    assert [t for t, _s in ranked][2] in {"c:1", "a:9"}


def test_the_smoothed_estimate_by_hand():
    data = {"trans": {"c:1": {"c:2": 20}}, "ptrans": {}, "pop": {"c:2": 20, "c:5": 60}, "ppop": {}}
    dist = nextq.distribution(data, "c:1", None)
    # overall: c:2 .25, c:5 .75; no product row: the product level is the overall one;
    # after c:1: (20 + ALPHA·.25) / (20 + ALPHA); no product transitions: the same.
    assert dist["c:2"] == pytest.approx((20 + ALPHA * 0.25) / (20 + ALPHA))
    assert dist["c:5"] == pytest.approx(ALPHA * 0.75 / (20 + ALPHA))
    assert sum(dist.values()) == pytest.approx(1.0)


def test_product_transitions_come_before_the_global_ones():
    sequences = many(40, ["c:1", "c:2"], product=7) + many(60, ["c:1", "c:5"], product=8, first=100)
    data = nextq.train(sequences).to_data()
    assert nextq.rank(data, "c:1", 7, 1)[0][0] == "c:2"  # product 7's own chain
    assert nextq.rank(data, "c:1", 8, 1)[0][0] == "c:5"
    assert nextq.rank(data, "c:1", None, 1)[0][0] == "c:5"  # no product: all transitions from c:1


def test_unknown_or_rare_history_falls_back_to_popularity():
    sequences = many(30, ["c:2", "c:2"]) + many(10, ["c:4"], first=100) + [seq(200, ["a:1", "c:4"])]
    data = nextq.train(sequences).to_data()
    assert [t for t, _s in nextq.rank(data, "a:999", None, 2)] == ["c:2", "c:4"]  # never seen: popularity
    assert [t for t, _s in nextq.rank(data, None, None, 1)] == ["c:2"]
    # One observation a:1 → c:4 does not outweigh 60 c:2 events … but moves c:4 up.
    rare = dict(nextq.rank(data, "a:1", None, 3))
    assert rare["c:4"] > dict(nextq.rank(data, None, None, 3))["c:4"]


def test_training_stops_at_until_and_by_company_groups():
    events = [Event(1, 10, "c:1"), Event(1, 5, "c:2"), Event(2, 1, "c:3")]
    groups = list(nextq.by_company(events))
    assert [[e.token for e in g] for g in groups] == [["c:2", "c:1"], ["c:3"]]  # time order within a company
    counts = nextq.train(groups, until=6)
    assert counts.events == 2 and counts.transitions == 0


def test_hit_at_3_counts_hits_and_the_popularity_baseline():
    data = {"trans": {"c:1": {"c:2": 500, "c:3": 100}}, "ptrans": {},
            "pop": {"c:9": 1000, "c:8": 900, "c:7": 800, "c:2": 500, "c:3": 100}, "ppop": {}}
    pairs = [("c:1", "c:2", None), ("c:1", "c:9", None), ("c:1", "c:5", None), ("c:4", "c:9", None)]
    n, hits, base = nextq.hit_at_k(data, pairs, 3)
    # Model top 3 after c:1: c:2, c:3, then c:9 (popularity) → hits c:2, c:9; after c:4 (unknown): c:9 → hit.
    assert (n, hits, base) == (4, 3, 2)  # the baseline (c:9, c:8, c:7) hits c:9 twice


def test_evaluate_trains_before_the_month_and_tests_on_it():
    # Before t=100 customers go c:1 → c:2 (50 times); in the month two c:1 → c:2 and one c:1 → c:6.
    before = many(50, ["c:1", "c:2"], first=1)
    month = [[*seq(1000, ["c:1"], start=50), *seq(1000, ["c:2"], start=100)],
             seq(1001, ["c:1", "c:2"], start=101), seq(1002, ["c:1", "c:6"], start=110),
             seq(1003, ["c:1", "c:2"], start=300)]  # after the month: ignored
    result = nextq.evaluate(before + month, start=100, end=200)
    assert result.transitions == 3 and result.hits == 2
    assert result.train_transitions == 50  # c:1000's c:1 at 50 is a training event, no transition
    assert result.train_events == 101
    assert result.as_dict()["hit_at_3"] == round(2 / 3, 4)
