"""Sentence splitting on news text."""

from __future__ import annotations

import pytest

from newsweave.text.sentences import is_candidate, split_dateline, split_sentences


def test_abbreviations_do_not_split() -> None:
    text = (
        "Dr. Amina Reyes of the U.S. Geological Survey said the quake struck at 3 p.m. on "
        "Jan. 5 near St. Helens. Officials in Washington, D.C. said no one was hurt."
    )
    assert split_sentences(text) == [
        "Dr. Amina Reyes of the U.S. Geological Survey said the quake struck at 3 p.m. on "
        "Jan. 5 near St. Helens.",
        "Officials in Washington, D.C. said no one was hurt.",
    ]


def test_quotation_with_inner_full_stop_stays_whole() -> None:
    text = '"This is a good day. We are proud," said the mayor. The vote passed.'
    assert split_sentences(text) == [
        '"This is a good day. We are proud," said the mayor.',
        "The vote passed.",
    ]


@pytest.mark.parametrize(
    ("sentence", "dateline", "rest"),
    [
        ("BISHKEK, June 3 (SRWS) — The ministers met.", "BISHKEK", "The ministers met."),
        ("WASHINGTON (AP) — The Senate voted.", "WASHINGTON", "The Senate voted."),
        ("(CNN) -- A man was found.", "CNN", "A man was found."),
        ("LONDON — Rain fell.", "LONDON", "Rain fell."),
        ("The A-team - it won.", "", "The A-team - it won."),
        ("Pakistan - Iran talks ended.", "", "Pakistan - Iran talks ended."),
    ],
)
def test_datelines(sentence: str, dateline: str, rest: str) -> None:
    got_dateline, got_rest = split_dateline(sentence)
    assert got_rest == rest
    assert got_dateline.startswith(dateline)


def test_dateline_removed_from_first_sentence_only() -> None:
    text = "ROME (AP) — Floods hit the north.\n\nMILAN — a later paragraph keeps its words."
    sentences = split_sentences(text)
    assert sentences[0] == "Floods hit the north."
    assert sentences[1].startswith("MILAN")


def test_paragraphs_never_share_a_sentence() -> None:
    text = "Headline without a full stop\n\nThe body starts here. It goes on."
    assert split_sentences(text) == [
        "Headline without a full stop",
        "The body starts here.",
        "It goes on.",
    ]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("The ministers agreed to set up a joint working group.", True),
        ("Headline without a full stop at the end", False),
        ("Too short.", False),
        ("Will the ministers agree to set up a joint working group?", False),
        ("and then the ministers agreed to set up a joint group.", False),
        ('"We will win this fight, and we will not stop, he said.', False),
    ],
)
def test_candidates(text: str, ok: bool) -> None:
    assert is_candidate(text) is ok


def test_quotation_without_its_speaker_is_not_a_candidate() -> None:
    assert not is_candidate('"I did not notice it with the name being so long."')
    assert is_candidate('"I did not notice it at all," the usher said on Sunday.')


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("Ben Shapiro drew controversy after he guest wrote the Playbook newsletter.", True),
        ("Just fill in your contact details in the form below to join our mailing list.", False),
        ("These crawls are part of an effort to archive pages as they are created.", False),
        ("The company said its new copyright policy takes effect on Monday.", True),
        ("To subscribe to Capitol Fax, click here to get started today.", False),
        # photo captions and promotions in capitals, found in real Multi-News briefs
        (
            "Senate leaders Chuck Schumer and Mitch McConnell walk to the Senate floor Wednesday.",
            False,
        ),
        ("Kellyanne Conway speaks at an event in Wayne, N.J., on Oct. 22, 2018.", False),
        ("FREE STORM TRACKING APP DOWNLOADED BY SEARCHING WKMG IN YOUR APP STORE.", False),
        ("He stands by his decision to run again, he said on Monday.", True),
        ("The Senate passed the budget resolution earlier on Friday in a 51-50 vote.", True),
    ],
)
def test_page_furniture_is_not_a_candidate(text: str, ok: bool) -> None:
    assert is_candidate(text) is ok
