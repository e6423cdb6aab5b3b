"""The prose check flags what a reader would (examples written for the project)."""

from __future__ import annotations

from datetime import UTC, datetime

from newsweave.records import Brief, BriefSentence, Source
from newsweave_bench.prose import ProseCounts, check_brief, format_counts, plain

NOW = datetime(2026, 6, 5, tzinfo=UTC)


def _brief(headline: str, lede: str, *body: str, alternate: bool = False) -> Brief:
    """A brief whose body cites both reports, or (alternate) reports 2 and 1 in turn."""
    cites = [((2,) if k % 2 == 0 else (1,)) if alternate else (1, 2) for k in range(len(body))]
    return Brief(
        headline=headline,
        lede=BriefSentence(lede, (1,), "lede"),
        body=tuple(BriefSentence(t, c, "body") for t, c in zip(body, cites, strict=True)),
        conflicts=(),
        analysis=(BriefSentence("This brief draws on two reports [1, 2].", (1, 2), "analysis"),),
        sources=(
            Source(1, "a", "Harbour News", "Port reopens", "https://a.example", NOW),
            Source(2, "b", "Coast Daily", "Port back in business", "https://b.example", NOW),
        ),
        created_at=NOW,
    )


def test_templates_furniture_and_dangling_openers_are_flagged() -> None:
    counts = ProseCounts("made up")
    check_brief(
        _brief(
            "See more of Harbour News on Facebook",
            "According to a report by Harbour News published June 5, 2026, the port reopened [1].",
            "Coast Daily also reported that Police say the crane collapsed [1, 2].",
            "CLOSE Divers searched the harbour for hours [1, 2].",
            "Cargo rates rose amid the strike Opens a New Window.",
            "To read this story in full you must be a subscriber.",
            "That, in turn, delayed shipments across the region [1, 2].",
            "He said the port would stay open at night [1, 2].",
            "The harbour master said repairs would take two weeks [1, 2].",
            alternate=True,  # no sentence follows one from its own report
        ),
        counts,
    )
    assert counts.sentences == 8
    assert counts.templates == 2
    assert counts.furniture == 4  # three sentences and the headline
    assert counts.dangling == 2
    assert counts.citations == 1 + 7
    table = format_counts([counts])
    assert "25.0% (2/8)" in table and "dangling openers" in table


def test_leaning_on_the_sentence_before_from_the_same_report_is_not_dangling() -> None:
    counts = ProseCounts("lead-in")
    check_brief(
        _brief(
            "Port reopens after crane collapse",
            "The port reopened on Friday after a crane collapse closed it for a week [1].",
            "The harbour master said repairs would take two weeks [1, 2].",
            "He said the port would stay open at night [1, 2].",
        ),
        counts,
    )
    assert counts.dangling == 0


def test_plain_prose_passes() -> None:
    counts = ProseCounts("clean")
    check_brief(
        _brief(
            "Port reopens after crane collapse",
            "The port reopened on Friday after a crane collapse closed it for a week [1].",
            "According to police, the crane's cable snapped during a storm [1, 2].",
        ),
        counts,
    )
    assert (counts.templates, counts.furniture, counts.dangling) == (0, 0, 0)
    assert plain("The port reopened [1, 2].") == "The port reopened."


def test_an_opening_connective_is_dropped_and_the_sentence_recapitalised() -> None:
    from newsweave.text.sentences import without_connective

    assert without_connective("But the vote was delayed.") == "The vote was delayed."
    assert without_connective("However, officials said more.") == "Officials said more."
    assert without_connective("Butter prices rose.") == "Butter prices rose."
    assert without_connective("Also on Friday, the port closed.") == "On Friday, the port closed."


def test_a_pronoun_subject_takes_the_one_person_named_before() -> None:
    from newsweave.text.sentences import name_for_pronoun

    report = "Harbour master Ines Vale said the port would reopen. She said repairs were done."
    assert (
        name_for_pronoun("She said repairs were done.", "Harbour master Ines Vale said so.", report)
        == "Vale said repairs were done."
    )
    # Two people named, a place, an organisation, or no sign it is a person: left as written.
    two = "Ines Vale met Tomas Ruiz at the port."
    assert name_for_pronoun("She left.", two, two) == "She left."
    place = "A car hit a woman in Huntington Beach, police said."
    assert (
        name_for_pronoun("She was later identified.", place, place) == "She was later identified."
    )
    agency = "He toured a U.S. Border Patrol station in the valley."
    assert name_for_pronoun("He will speak.", agency, agency) == "He will speak."
