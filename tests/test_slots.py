"""Slots (places, numbers, people, dates) and their comparison."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from newsweave.text.values.names import person_slots as people
from newsweave.text.values.numbers import number_slots as numbers
from newsweave.text.values.places import place_slots as places
from newsweave.text.values.slots import disagree, extract_slots

PUBLISHED = datetime(2026, 6, 5, 9, 0, tzinfo=timezone(timedelta(hours=5)))


def values(slots: list, kind: str) -> list[tuple[str, str]]:
    return [(s.value, s.key) for s in slots if s.kind == kind]


def test_places_after_locatives_with_appositive_country() -> None:
    got = places("The ministers of Pakistan and Iran met in Dushanbe, Tajikistan, on Monday.")
    assert [s.value for s in got] == ["Dushanbe", "Tajikistan"]  # not Pakistan or Iran


def test_months_and_common_words_are_not_places() -> None:
    assert places("The law passed in March after talks at Police headquarters.") == []


def test_numbers_with_what_they_count() -> None:
    got = numbers("At least 12 people died, three dozen were hurt and $2.5 million was lost.")
    assert [(s.value, s.key) for s in got] == [("12", "people dead"), ("2,500,000", "dollars")]


def test_counts_of_different_events_are_kept_apart() -> None:
    got = numbers("Three people were stabbed and 12 people were arrested; police detained 40 men.")
    assert [(s.value, s.key) for s in got] == [
        ("3", "people injured"),
        ("12", "people arrested"),
        ("40", "man arrested"),
    ]
    killed = numbers("Floods killed 12 people in the town.")
    assert [(s.value, s.key) for s in killed] == [("12", "people dead")]


def test_number_words_and_units() -> None:
    got = numbers("The group will meet every three months and cover 900 kilometres.")
    assert [(s.value, s.key) for s in got] == [("3", "month"), ("900", "kilometre")]


def test_years_and_dates_are_not_counts() -> None:
    assert numbers("In 2025, on June 3, the talks began.") == []


def test_people_need_a_role() -> None:
    got = people("Prime Minister Shehbaz Sharif met Ms. Rahimi and a man named Ali Khan.")
    assert [(s.value, s.key) for s in got] == [
        ("Shehbaz Sharif", "prime minister"),
        ("Rahimi", "ms"),
    ]


def test_dates_resolved_to_days_but_not_ranges() -> None:
    slots = extract_slots("They met on Tuesday this week, and again on June 4.", PUBLISHED)
    assert values(slots, "date") == [("2026-06-02", "day"), ("2026-06-04", "day")]


def test_disagreement_on_place_and_number() -> None:
    a = extract_slots("They met in Bishkek and will meet every three months.", PUBLISHED)
    b = extract_slots(
        "They met in Dushanbe, Tajikistan, and will meet every two months.", PUBLISHED
    )
    c = extract_slots("They met in Bishkek, Kyrgyzstan.", PUBLISHED)
    assert disagree(a, b, "place") and disagree(a, b, "number")
    assert not disagree(a, c, "place")  # one names the country too: no conflict
    assert not disagree(a, c, "number")  # c gives no count at all


def test_qualified_numbers_agree_when_their_ranges_overlap() -> None:
    more = numbers("The siege lasted more than nine hours.")
    ten = numbers("The siege lasted 10 hours.")
    five = numbers("The siege lasted five hours.")
    assert [(s.value, s.key, s.qualifier) for s in more] == [("9", "hour", "more")]
    assert not disagree(more, ten, "number")
    assert disagree(more, five, "number")
    assert not disagree(
        numbers("About 100 people came."), numbers("Some 110 people came."), "number"
    )


def test_value_text_has_no_trailing_filler() -> None:
    [slot] = numbers("Shares fell 10 percent in early trading.")
    assert (slot.text, slot.key) == ("10 percent", "percent")


def test_idioms_and_partial_names_are_not_slots() -> None:
    assert numbers("At one point the Dow was down sharply.") == []
    assert places("He moved to the Bay Area from Woodland Park last year.") == []
    assert [s.value for s in places("Flights resumed at Bishkek Airport on Monday.")] == ["Bishkek"]


def test_event_after_a_comma_and_spelled_numbers_lowercased() -> None:
    got = numbers("Eight people, including Two children, were injured.")
    assert [(s.text, s.key) for s in got] == [
        ("eight people", "people"),
        ("two children", "child injured"),
    ]
