import datetime

import pytest

from loopdesk.catalog import periods

D = datetime.date
TERM = {"term_start": D(2025, 7, 15)}


@pytest.mark.parametrize(("period", "day", "start", "end"), [
    ("monthly", D(2026, 1, 31), D(2026, 1, 1), D(2026, 1, 31)),
    ("monthly", D(2024, 2, 29), D(2024, 2, 1), D(2024, 2, 29)),
    ("monthly", D(2026, 12, 5), D(2026, 12, 1), D(2026, 12, 31)),
    ("quarterly", D(2026, 3, 31), D(2026, 1, 1), D(2026, 3, 31)),
    ("quarterly", D(2026, 4, 1), D(2026, 4, 1), D(2026, 6, 30)),
    ("quarterly", D(2026, 11, 30), D(2026, 10, 1), D(2026, 12, 31)),
    ("yearly", D(2026, 6, 1), D(2026, 1, 1), D(2026, 12, 31)),
    ("term", D(2026, 6, 1), D(2025, 7, 15), D(2027, 7, 14)),
])
def test_period_bounds(period, day, start, end):
    assert periods.period_start(period, day, **TERM) == start
    assert periods.period_end(period, start, term_end=D(2027, 7, 14)) == end


def test_service_date_is_shanghai():
    late_utc = datetime.datetime(2026, 3, 31, 16, 30, tzinfo=datetime.UTC)  # 00:30 on 1 April in Beijing
    assert periods.service_date(late_utc) == D(2026, 4, 1)


def test_unknown_period():
    with pytest.raises(ValueError):
        periods.period_start("weekly", D(2026, 1, 1), **TERM)
