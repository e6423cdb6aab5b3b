"""The lede, headline and Analysis choices that make a brief read like news (issue 12)."""

from __future__ import annotations

from itertools import pairwise

from newsweave.config import Settings
from newsweave.records import Report
from newsweave.text.embed import Embedder
from newsweave.text.sentences import is_dangling, is_furniture
from newsweave.writing.selection import _interprets, _tells_news
from newsweave.writing.wording import (
    _derived_title,
    _headline_of,
    _lower_first,
    _names,
)


def test_a_lede_tells_news_not_the_writers_voice_or_background() -> None:
    assert _tells_news("Four people were killed and one injured in the shooting on Sunday.")
    assert _tells_news("CNN is being sued by two EMTs outside the US Embassy in Baghdad.")
    assert not _tells_news("While you can copyright scripts, you can't copyright a language.")
    assert not _tells_news("We are so thankful for the outpouring of love for our family.")
    assert not _tells_news("Hunger is assumed to motivate eating, which satisfies needs.")
    assert not _tells_news("Scientists have long wanted to produce sperm in the laboratory.")
    # a quotation's "we" is the speaker's, not the writer's
    assert _tells_news('"We will rebuild," Mayor Ana Ruiz said on Tuesday.')


def test_a_headline_from_the_lede_is_its_main_clause_and_never_cut_mid_clause() -> None:
    lede = (
        "The Colorado Rockies gave out 15,000 replica jerseys honoring Troy Tulowitzki on "
        "Saturday night, but the back of them read Tulowizki instead."
    )
    assert _headline_of(lede) == (
        "The Colorado Rockies gave out 15,000 replica jerseys honoring Troy Tulowitzki on "
        "Saturday night"
    )
    assert _headline_of("Eight people have been arrested in the inquiry.") == (
        "Eight people have been arrested in the inquiry"
    )
    long = " ".join(["word"] * 40) + "."
    assert _headline_of(long).endswith("…") and len(_headline_of(long).split()) == 20


def test_a_title_that_is_only_the_start_of_the_text_is_not_a_headline() -> None:
    text = "A car park in a Highland town has been confirmed as a Norse parliament site. More."
    derived = Report("a", "Outlet", "A car park in a Highland town has been…", text)
    own = Report("b", "Outlet", "Viking parliament found under car park", text)
    assert _derived_title(derived)
    assert not _derived_title(own)


def test_analysis_needs_interpretation_in_the_sentences_own_words() -> None:
    assert _interprets("Analysts say the vote signals a shift in the party's base.")
    assert _interprets("The ruling is expected to reach the Supreme Court next year.")
    assert not _interprets("Pally's family could not be reached for comment Friday evening.")
    assert not _interprets('"We could see the smoke from the road," Steck said.')


def test_unspaced_dashes_do_not_end_a_headline_clause() -> None:
    lede = (
        "Malaria is one of the most common—and deadly—infectious diseases in the world, "
        "sickening more than 300 million people a year."
    )
    assert _headline_of(lede).startswith("Malaria is one of the most common—and deadly—infectious")


def test_an_opening_word_keeps_its_capital_when_the_story_writes_it_so_mid_sentence() -> None:
    text = "Warmer days came. In the Senate, Democrats held the vote.\nWarmer still was June."
    lower = _names([Report("a", "O", "T", text)])
    assert _lower_first("Democrats are planning a vote.", lower) == "Democrats are planning a vote."
    assert _lower_first("Warmer temperatures are here.", lower) == "warmer temperatures are here."


def test_a_relative_time_opener_leans_on_the_sentence_before() -> None:
    assert is_dangling("Four hours later, she told police she had woken in a park.")
    assert not is_dangling("Earlier this year the company said it would hire more staff.")
    assert is_furniture(
        "A woman kneels with her children outside St. Rose of Lima Church on December 14, 2014."
    )


def test_a_lede_says_whom_its_pronoun_means() -> None:
    assert not _tells_news("When she woke up in Largo Central Park, Jordan was gone, she said.")
    assert not _tells_news("Police said he was arrested in Ohio on Monday.")
    assert _tells_news("Michael Dunn, who shot Jordan Davis, said he was the victim.")


def test_a_leaning_sentence_follows_the_sentence_it_leans_on(
    settings: Settings, embedder: Embedder
) -> None:
    from newsweave.pipeline.briefing import make_brief
    from newsweave.text.sentences import is_dangling as leans

    texts = [
        "The harbour authority of Porto Velha reopened the container port on Friday morning. "
        "It had been closed for a week after a crane collapsed during a storm on the quay. "
        "Dock workers returned to the cranes on the northern quay within hours of the decision.",
        "Porto Velha's container port reopened on Friday after a week-long closure. "
        "Engineers inspected every crane on the quay before the harbour authority gave approval. "
        "They found cracks in two older cranes, which will stay out of service until March.",
    ]
    reports = [Report(f"r{k}", f"Outlet {k}", f"Port news {k}", t) for k, t in enumerate(texts)]
    brief = make_brief(reports, settings, embedder)
    body = [brief.lede, *brief.body]
    assert any(leans(s.text) for s in body), "the brief should carry a leaning sentence"
    for before, sentence in pairwise(body):
        if leans(sentence.text):
            assert set(before.citations) & set(sentence.citations), (before.text, sentence.text)
