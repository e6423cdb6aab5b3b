"""Relative dates follow the tense of their clause, leave quotes alone and invent no years."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from newsweave.text.dates import infer_year, resolve_relative

ZONE = timezone(timedelta(hours=3))
FRIDAY = datetime(2026, 6, 5, 11, 0, tzinfo=ZONE)  # Friday, June 5, 2026
MONDAY = datetime(2026, 6, 8, 7, 45, tzinfo=ZONE)  # Monday, June 8, 2026
SATURDAY = datetime(2026, 6, 6, 18, 0, tzinfo=ZONE)  # Saturday, June 6, 2026
TUESDAY = datetime(2026, 6, 2, 16, 30, tzinfo=ZONE)  # Tuesday, June 2, 2026


def days(sentence: str, published: datetime) -> list[tuple[str, str]]:
    """The (start, end) ISO dates of each resolution in the sentence."""
    _, resolutions = resolve_relative(sentence, published)
    return [(r.start.isoformat(), r.end.isoformat()) for r in resolutions]


# Rule 1: future wording, reported speech included, sends a bare weekday forward.


def test_would_in_reported_speech_points_forward() -> None:
    text, _ = resolve_relative("Officials said no trains would run on Tuesday.", FRIDAY)
    assert text == "Officials said no trains would run on Tuesday, June 9, 2026."


@pytest.mark.parametrize(
    "sentence",
    [
        "The union said its members would walk out on Wednesday.",
        "The ferry is due to sail on Wednesday.",
        "The governors are due to meet on Wednesday.",
        "The council plans to vote on Wednesday.",
        "The bridge is set to reopen on Wednesday.",
        "The verdict is expected to come on Wednesday.",
        "The launch is scheduled to take place on Wednesday.",
        "The ministry is going to publish the figures on Wednesday.",
        "The pilots say they'll strike on Wednesday.",
        "The next round of talks opens on Wednesday.",
        "The upcoming auction closes on Wednesday.",
        "Organisers say the parade will start on Wednesday.",
    ],
)
def test_future_markers_point_a_weekday_forward(sentence: str) -> None:
    assert days(sentence, FRIDAY) == [("2026-06-10", "2026-06-10")]


def test_reporting_verb_does_not_make_the_reported_event_past() -> None:
    text, _ = resolve_relative("A spokesman said the dockers will stop work Thursday.", FRIDAY)
    assert text == "A spokesman said the dockers will stop work on Thursday, June 11, 2026."


def test_a_saying_dated_by_the_weekday_is_past() -> None:
    # The weekday dates the statement, not the event the statement looks ahead to.
    sentence = "The mayor said on Wednesday that the market would reopen."
    assert days(sentence, FRIDAY) == [("2026-06-03", "2026-06-03")]


# Rule 2: past wording sends weekdays and "this weekend" back.


def test_past_tense_weekday_points_back() -> None:
    text, _ = resolve_relative("Police arrested him on Tuesday.", FRIDAY)
    assert text == "Police arrested him on Tuesday, June 2, 2026."


@pytest.mark.parametrize(
    "sentence",
    [
        "Flood water reached the old town on Wednesday.",
        "The two sides were still talking on Wednesday.",
        "The company has confirmed the layoffs on Wednesday.",
        "The convoy left the border post on Wednesday.",
    ],
)
def test_past_markers_point_a_weekday_back(sentence: str) -> None:
    assert days(sentence, FRIDAY) == [("2026-06-03", "2026-06-03")]


def test_the_clause_nearest_the_expression_decides() -> None:
    sentence = "Rangers found the hikers on Wednesday and they will be flown home next week."
    text, _ = resolve_relative(sentence, FRIDAY)
    assert text == (
        "Rangers found the hikers on Wednesday, June 3, 2026, "
        "and they will be flown home in the week of June 8, 2026."
    )


def test_passive_future_is_not_past() -> None:
    # "held" after "be" is a participle, so "will" decides.
    assert days("The hearing will be held on Wednesday.", FRIDAY) == [("2026-06-10", "2026-06-10")]


def test_past_tense_weekend_is_the_weekend_just_gone() -> None:
    text, [weekend] = resolve_relative("Thousands marched in the capital this weekend.", MONDAY)
    assert text == "Thousands marched in the capital on the weekend of June 6, 2026."
    assert (weekend.start, weekend.end) == (date(2026, 6, 6), date(2026, 6, 7))


def test_past_tense_weekend_leading_the_sentence() -> None:
    assert days("This weekend, farmers blocked the ring road.", MONDAY) == [
        ("2026-06-06", "2026-06-07")
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "Teachers will march in the capital this weekend.",
        "Teachers are marching in the capital this weekend.",
        "The museum is closed this weekend.",
        "Teachers gather in the capital this weekend.",  # no marker: as before, the coming one
    ],
)
def test_future_or_present_weekend_is_the_coming_one(sentence: str) -> None:
    assert days(sentence, MONDAY) == [("2026-06-13", "2026-06-14")]


@pytest.mark.parametrize(
    "sentence", ["Fans celebrated this weekend.", "Fans will celebrate this weekend."]
)
def test_weekend_published_on_a_weekend_is_that_weekend(sentence: str) -> None:
    assert days(sentence, SATURDAY) == [("2026-06-06", "2026-06-07")]


# Rule 3: quoted speech keeps its own days.


def test_today_in_a_quote_is_left_as_said() -> None:
    sentence = '"We are not going back to work today," the union leader said.'
    assert resolve_relative(sentence, FRIDAY) == (sentence, [])


@pytest.mark.parametrize(
    "sentence",
    [
        "“Tomorrow we decide,” the chairwoman told delegates.",
        'The coach said: "We play them again on Sunday, and tonight we rest."',
        'The shopkeeper called it "the worst Monday of my life".',
        'Yesterday was chaos," a resident added.',  # the quote opened in an earlier sentence
    ],
)
def test_days_in_quotes_are_not_resolved(sentence: str) -> None:
    assert resolve_relative(sentence, FRIDAY) == (sentence, [])


def test_days_outside_the_quote_are_still_resolved() -> None:
    sentence = '"We will try again today," she said on Thursday.'
    text, resolutions = resolve_relative(sentence, FRIDAY)
    assert text == '"We will try again today," she said on Thursday, June 4, 2026.'
    assert [r.original for r in resolutions] == ["on Thursday"]


# Rule 4: no year is invented for a date far from publication.


def test_bare_date_eight_months_ahead_gets_no_year() -> None:
    # Future wording puts February 10 in 2027, eight months on: too far to guess.
    sentence = "The new terminal will open on February 10."
    assert resolve_relative(sentence, FRIDAY)[0] == sentence


def test_bare_date_eight_months_back_gets_no_year() -> None:
    sentence = "The old terminal closed on October 2."
    assert resolve_relative(sentence, FRIDAY)[0] == sentence


def test_bare_dates_near_publication_still_get_a_year() -> None:
    text, _ = resolve_relative("Ticket sales started on May 28 and end on July 3.", FRIDAY)
    assert text == "Ticket sales started on May 28, 2026 and end on July 3, 2026."


def test_infer_year_refuses_dates_over_six_months_off() -> None:
    base = date(2026, 6, 5)
    assert infer_year(2, 10, base, "future") is None  # February 10, 2027
    assert infer_year(10, 2, base, "past") is None  # October 2, 2025
    assert infer_year(10, 2, base, "future") == 2026
    assert infer_year(2, 10, base, "past") == 2026
    assert infer_year(2, 10, base) == 2026  # no tense: the nearest, as before
    assert infer_year(12, 5, base) == 2025  # 182 days back beats 183 ahead
    assert infer_year(2, 29, base) is None  # no leap day within a year either way


# Rule 5: the publication weekday itself is that day, whatever the tense.


@pytest.mark.parametrize(
    "sentence",
    ["The strike began on Tuesday.", "The strike will begin on Tuesday.", "Talks open Tuesday."],
)
def test_publication_weekday_is_that_day(sentence: str) -> None:
    assert days(sentence, TUESDAY) == [("2026-06-02", "2026-06-02")]


# No regressions for explicit modifiers.


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Exports fell last week and will recover next month.",
            "Exports fell in the week of May 25, 2026 and will recover in July 2026.",
        ),
        ("They will meet again last week.", "They will meet again in the week of May 25, 2026."),
        ("The board met next month.", "The board met in July 2026."),
        ("Officials will visit last Monday.", "Officials will visit on Monday, June 1, 2026."),
        ("Doctors treated him next Monday.", "Doctors treated him on Monday, June 8, 2026."),
    ],
)
def test_explicit_last_and_next_ignore_tense(sentence: str, expected: str) -> None:
    assert resolve_relative(sentence, FRIDAY)[0] == expected
