"""Relative times resolved against the publication date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from newsweave.text.dates import format_date, infer_year, resolve_relative

# Friday, June 5, 2026, in Pakistan's time zone.
FRIDAY = datetime(2026, 6, 5, 9, 20, tzinfo=timezone(timedelta(hours=5)))


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The ministers met this week.", "The ministers met in the week of June 1, 2026."),
        ("This week, the group met.", "In the week of June 1, 2026, the group met."),
        (
            "He returned on Thursday after talks.",
            "He returned on Thursday, June 4, 2026, after talks.",
        ),
        (
            "He will travel on Monday to Tehran.",
            "He will travel on Monday, June 8, 2026, to Tehran.",
        ),
        ("She said yesterday that it failed.", "She said on June 4, 2026 that it failed."),
        ("The vote is expected next week.", "The vote is expected in the week of June 8, 2026."),
        ("Officials met last Friday.", "Officials met on Friday, May 29, 2026."),
        ("Earlier this month the law passed.", "Earlier in June 2026 the law passed."),
        (
            "Talks began Tuesday, June 2 in the capital.",
            "Talks began Tuesday, June 2, 2026 in the capital.",
        ),
        ("He was born on March 3, 1980.", "He was born on March 3, 1980."),
        ("Prices rose 5% on Friday.", "Prices rose 5% on Friday, June 5, 2026."),
    ],
)
def test_resolve(sentence: str, expected: str) -> None:
    assert resolve_relative(sentence, FRIDAY)[0] == expected


def test_local_date_of_publication_is_used() -> None:
    # 23:30 UTC on June 4 is already June 5 in Bishkek (UTC+6).
    late = datetime(2026, 6, 5, 5, 30, tzinfo=timezone(timedelta(hours=6)))
    assert late.astimezone(UTC).day == 4
    assert resolve_relative("It happened today.", late)[0] == "It happened on June 5, 2026."


def test_without_publication_date_nothing_changes() -> None:
    assert resolve_relative("They met this week.", None) == ("They met this week.", [])


def test_resolution_records_range() -> None:
    _, [week] = resolve_relative("They met this week.", FRIDAY)
    assert (week.start.isoformat(), week.end.isoformat()) == ("2026-06-01", "2026-06-07")


def test_year_inferred_across_new_year() -> None:
    assert infer_year(12, 30, datetime(2027, 1, 3).date()) == 2026
    assert format_date(datetime(2026, 6, 5).date()) == "June 5, 2026"
