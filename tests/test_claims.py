"""Alignment of sentences into claims, wire copies, and slot conflicts."""

from __future__ import annotations

from datetime import UTC, datetime

from newsweave.ids import report_id
from newsweave.records import Report
from newsweave.text.embed import Embedder
from newsweave.writing.claims import analyse, find_copies


def report(outlet: str, text: str, day: int = 3) -> Report:
    url = f"https://{outlet.lower().replace(' ', '')}.example/{day}/{abs(hash(text)) % 10**8}"
    return Report(
        id=report_id(url, text),
        outlet=outlet,
        title=f"{outlet} story",
        text=text,
        url=url,
        published=datetime(2026, 6, day, 9, tzinfo=UTC),
    )


WIRE = (
    "The interior ministers of Pakistan and Iran met in Bishkek on Tuesday to discuss border "
    "security. They agreed to set up a joint working group that will meet every three months. "
    "The talks took place on the sidelines of a regional security conference."
)


def test_wire_copy_and_same_outlet_count_once(demo_reports: tuple[Report, ...]) -> None:
    groups, copies = find_copies(demo_reports)
    by_outlet = {r.outlet: r.id for r in demo_reports}
    wire, courier = by_outlet["Silk Road Wire Service"], by_outlet["Highland Courier"]
    assert copies == {courier: wire}
    assert groups[wire] == groups[courier]
    assert len(set(groups.values())) == 4  # five reports, four independent sources

    again = report("Silk Road Wire Service", "A different story entirely about the weather.")
    groups2, copies2 = find_copies([*demo_reports, again])
    assert groups2[again.id] == groups2[wire]  # one outlet twice is one source
    assert again.id not in copies2  # ... but not a copy of the wire text


def test_lightly_edited_copy_is_still_a_copy() -> None:
    original = report("Wire", WIRE, day=3)
    edited = report("Courier", WIRE.replace("Tuesday", "Tuesday last") + " More later.", day=4)
    other = report("Ledger", "Iran's minister held talks with his Pakistani counterpart.", day=4)
    groups, copies = find_copies([edited, original, other])
    assert copies == {edited.id: original.id}  # the earlier report is the original
    assert len(set(groups.values())) == 2


def test_paraphrases_align_and_other_claims_do_not(embedder: Embedder) -> None:
    reports = [
        report("Wire", WIRE),
        report(
            "Ledger",
            "Pakistan's and Iran's interior ministers met in Bishkek on Tuesday for talks on "
            "border security. The two ministers agreed to set up a joint working group that "
            "will meet every three months. Analysts expect trade to benefit.",
        ),
    ]
    analysis = analyse(reports, embedder)
    grouped = [sorted(s.index for s in c.sentences) for c in analysis.claims]
    assert [0, 0] in grouped  # the meeting
    assert [1, 1] in grouped  # the working group
    trade = next(c for c in analysis.claims if "trade" in c.sentences[0].text)
    assert len(trade.sentences) == 1  # said by one report only


def test_place_and_number_conflicts_with_their_sides(
    demo_reports: tuple[Report, ...], embedder: Embedder
) -> None:
    analysis = analyse(demo_reports, embedder)
    outlet = {r.id: r.outlet for r in demo_reports}
    found = {
        c.kind: {side.value: sorted(outlet[r] for r in side.report_ids) for side in c.sides}
        for c in analysis.conflicts
    }
    assert set(found) == {"place", "number"}
    assert found["place"] == {
        "Bishkek": ["Caspian Ledger", "Highland Courier", "Indus Review", "Silk Road Wire Service"],
        "Dushanbe, Tajikistan": ["Pamir Evening Standard"],
    }
    assert found["number"]["two months"] == ["Pamir Evening Standard"]
    assert len(found["number"]["three months"]) == 4


def test_different_moments_of_one_event_are_not_a_date_conflict(embedder: Embedder) -> None:
    reports = [
        report("Wire", "The ministers met in Bishkek on Tuesday to discuss border security.", 5),
        report(
            "Ledger",
            "The minister returned from Bishkek on Thursday after talks on border security.",
            5,
        ),
    ]
    assert [c.kind for c in analyse(reports, embedder).conflicts] == []


def test_same_claim_with_different_day_is_a_date_conflict(embedder: Embedder) -> None:
    reports = [
        report("Wire", "The ministers met in Bishkek on Tuesday to discuss border security.", 5),
        report(
            "Ledger", "The ministers met in Bishkek on Wednesday to discuss border security.", 5
        ),
    ]
    [conflict] = analyse(reports, embedder).conflicts
    assert conflict.kind == "date"
    assert sorted(s.value for s in conflict.sides) == ["June 2, 2026", "June 3, 2026"]
