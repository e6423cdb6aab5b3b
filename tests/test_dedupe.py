"""Near-duplicate detection with MinHash LSH."""

from __future__ import annotations

from newsweave.records import Report
from newsweave.stories.dedupe import CopyIndex

WIRE = (
    "The interior ministers of Pakistan and Iran met in Bishkek this week to discuss security "
    "along their shared border, officials from both delegations said. The two ministers agreed "
    "to set up a joint working group on border crossings that will meet every three months."
)


def report(rid: str, text: str) -> Report:
    return Report(id=rid, outlet=rid, title=rid, text=text)


def test_exact_and_lightly_edited_copies_point_to_the_first_report() -> None:
    index = CopyIndex()
    assert index.add(report("wire", WIRE)) is None
    assert index.add(report("courier", WIRE)) == "wire"
    edited = WIRE.replace("this week", "on Tuesday") + " More details later."
    assert index.add(report("ledger", edited)) == "wire"


def test_different_stories_and_short_texts_are_not_copies() -> None:
    index = CopyIndex()
    index.add(report("wire", WIRE))
    other = (
        "Floods swept through the town of Arles on Sunday, killing at least twelve people and "
        "forcing rescue teams to evacuate three hundred residents from the old quarter."
    )
    assert index.add(report("flood", other)) is None
    assert index.add(report("short", "Ministers met.")) is None


def test_forgetting_keeps_the_index_bounded() -> None:
    index = CopyIndex()
    for n in range(50):
        index.add(report(f"r{n}", f"{WIRE} Story number {n} adds its own closing words here."))
    assert len(index) == 50
    index.forget([f"r{n}" for n in range(40)])
    assert len(index) == 10
    # Found through a report still indexed, and resolved to the first report of the chain.
    assert index.add(report("again", WIRE)) == "r0"
    index.forget([f"r{n}" for n in range(40, 50)])
    assert index.add(report("later", WIRE)) == "r0"
