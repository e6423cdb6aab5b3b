"""The checks a claim must pass against a source: what embeddings cannot see.

"12 dead" and "40 dead" are near-identical vectors, so the verifier
(newsweave.verification.citations) checks a claim's values and polarity explicitly against the
most relevant sentences of a source, prepared once for many claims (PreparedSource):

- ``numbers``: every quantity of the claim (with its unit: "$5bn", "35 years", "4%",
  "fourth quarter") is stated by the source; another value of the same unit is a contradiction.
- ``dates``: years, days and weekdays of the claim are the source's (relative dates resolved).
- ``entities``: names, acronyms, codes ("SARS-CoV-2"), nationalities and closed-class values
  (colours, offices, criminal charges, "former") of the claim appear in the source; a country
  is also supported by one of its cities ("U.K." by "London"); "woman" where the evidence
  says "man" contradicts.
- ``negation``: a claim that negates what the evidence asserts, or asserts what the evidence
  negates or denies ("not guilty" against "guilty", "police denied ...").
- ``antonyms``: the claim says "increase" where the evidence says "decline".
- ``quotes``: a quoted string of the claim appears in the source, up to punctuation and case.

A content word counts as found when the source has it, a word of its family, or (with the
verifier's expansions) a WordNet synonym; names, numbers, dates and quotes get no such latitude.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Literal

import numpy as np

from newsweave.text.dates import WEEKDAYS
from newsweave.text.values.names import names, undotted
from newsweave.text.values.numbers import rival_quantity, same_quantity
from newsweave.text.values.places import country_index
from newsweave.text.values.statements import (
    NEGATORS,
    QUOTE,
    SEXES,
    Text,
    normalise,
    opposites,
    phrase,
    recall,
)
from newsweave.text.values.stems import stem
from newsweave.text.values.when import YEAR, date_slots

FindingKind = Literal["contradicted", "missing"]


@dataclass(frozen=True)
class Finding:
    """One reason a claim is not supported: which check, and what the source says instead."""

    check: str
    kind: FindingKind
    claim: str  # the claim's words in question
    source: str = ""  # what the source says instead, when it says something

    def __str__(self) -> str:
        if self.check == "refutation":
            return f"refutation: the source disputes it: {self.source!r}"
        if self.kind == "contradicted":
            return f"{self.check}: the claim says {self.claim!r}, the source {self.source!r}"
        return f"{self.check}: {self.claim!r} is not in the source"


# Sources ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedSource:
    """A source analysed once, for many claims: its sentences, vectors and vocabulary."""

    sentences: tuple[Text, ...]
    vectors: np.ndarray | None  # unit rows, one per sentence, when there is an embedder
    published: datetime | None
    stems: frozenset[str]
    words: frozenset[str]  # lower-cased tokens without dots ("u.k." -> "uk")
    cased: frozenset[str]  # tokens as written, without dots (for acronyms)
    normalised: str  # the text in lower case, punctuation removed, for quotes
    years: frozenset[str]
    dates: frozenset[str]  # ISO days the source names
    weekdays: frozenset[int]
    # Per sentence: refutes or denies, negates, hedges, affirms (columns of CUES).
    cues: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), dtype=bool))


# Words that call a matter untrue or correct it, besides statements.FALSEHOOD and DENIALS.
REFUTING = frozenset(
    {stem(w) for w in (
        "debunk debunked disprove disproved discredit discredited contradict nonsense scam "
        "conspiracy fiction invented fabricate correction retraction misreport misreported "
        "erroneous erroneously wrong wrongly incorrect inaccurate lie lies lied"
    ).split()}
)  # fmt: skip
CUES = ("refutes", "negates", "hedges", "affirms")


def sentence_cues(text: Text) -> tuple[bool, bool, bool, bool]:
    """Whether a sentence refutes or denies, negates, hedges and affirms."""
    refutes = text.refutes > 0 or any(s in REFUTING for s in text.stems)
    return refutes, text.negations > 0, text.hedges > 0, text.affirms > 0


def found_share(
    wanted: frozenset[str],
    have: frozenset[str],
    expansions: dict[str, frozenset[str]] | None = None,
) -> float:
    """Share of wanted stems found in have: the stem, a synonym's stem or a word of its family.

    Empty wanted counts as fully found.
    """
    if not wanted:
        return 1.0
    expansions = expansions or {}
    missing = [w for w in wanted if w not in have and not (expansions.get(w, _NONE) & have)]
    if not missing:
        return 1.0
    hits = sum(1 for w in missing if _in_family(w, have))
    return (len(wanted) - len(missing) + hits) / len(wanted)


_NONE: frozenset[str] = frozenset()


def _in_family(word: str, have: frozenset[str]) -> bool:
    """Whether have holds a word of word's family (statements.related_stems), by lookups: a
    shorter relative is a prefix of word, a longer one has word among its prefixes."""
    if len(word) < 5:
        return False
    if any(word[:k] in have for k in range(max(5, len(word) - 4), len(word))):
        return True
    return word in _prefixes(have)


@lru_cache(maxsize=4096)
def _prefixes(have: frozenset[str]) -> frozenset[str]:
    """The prefixes (5 letters or more, at most 4 short) of the stems of a vocabulary."""
    return frozenset(h[:k] for h in have if len(h) > 5 for k in range(max(5, len(h) - 4), len(h)))


# The checks -------------------------------------------------------------------------------


def _check_numbers(claim: Text, window: Sequence[Text], prepared: PreparedSource) -> list[Finding]:
    found: list[Finding] = []
    near = [q for t in window for q in t.quantities]
    everywhere = [q for t in prepared.sentences for q in t.quantities]
    for q in claim.quantities:
        if any(same_quantity(q, s) for s in everywhere):
            continue
        rival = next((s for s in near if rival_quantity(q, s)), None)
        if rival is not None:
            found.append(Finding("numbers", "contradicted", q.text, rival.text))
        else:
            found.append(Finding("numbers", "missing", q.text))
    return found


def _check_dates(
    claim: Text, prepared: PreparedSource, claim_published: datetime | None
) -> list[Finding]:
    found: list[Finding] = []
    for year in YEAR.findall(claim.text):
        if year not in prepared.years:
            found.append(Finding("dates", "missing", year))
    for slot in date_slots(claim.text, claim_published):
        if slot.value in prepared.dates:
            continue
        if slot.value.startswith("--") and any(d.endswith(slot.value[1:]) for d in prepared.dates):
            continue  # "June 3" without a year, in a source that dates it
        found.append(Finding("dates", "missing", slot.text))
    for token in claim.tokens:
        low = token.lower()
        if low not in WEEKDAYS or low in prepared.words:
            continue
        if WEEKDAYS.index(low) not in prepared.weekdays:
            found.append(Finding("dates", "missing", token))
    return found


def _check_entities(
    claim: Text, prepared: PreparedSource, window: Sequence[Text] = ()
) -> list[Finding]:
    found: list[Finding] = []
    near = frozenset(s for t in window for s in t.content)
    for own, other in (SEXES, SEXES[::-1]):
        # Only the sentences about the claim can say the person is of the other sex.
        said = (own & claim.content) - prepared.stems
        if said and other & near and not own & near:
            word = sorted(said)[0]
            found.append(
                Finding("entities", "contradicted", phrase(claim, word), sorted(other & near)[0])
            )
    for token in names(claim):
        bare = undotted(token)
        low = bare.lower()
        if any(c.isdigit() for c in bare):
            if bare in prepared.cased or low in prepared.words:
                continue
            found.append(Finding("entities", "missing", token))
            continue
        acronym = sum(c.isupper() for c in bare) >= 2
        if acronym and bare in prepared.cased:
            continue
        if not acronym and (low in prepared.words or stem(low) in prepared.stems):
            continue
        if not acronym and _in_family(stem(low), prepared.stems):
            continue  # "Russian" against "Russia", "Ukrainian" against "Ukraine"
        if _country_named(low, prepared):
            continue
        found.append(Finding("entities", "missing", token))
    return found


def _country_named(name: str, prepared: PreparedSource) -> bool:
    """Whether a country, nationality or alias is supported by another name of that country."""
    code_of, names_of = country_index()
    code = code_of.get(name)
    if code is None:
        return False
    names = names_of.get(code, frozenset())
    if names & prepared.words:
        return True
    # Multi-word names ("new york", "united kingdom") are looked up in the running text.
    return any(" " in n and f" {n} " in prepared.normalised for n in names)


def _check_quotes(claim: Text, prepared: PreparedSource) -> list[Finding]:
    found: list[Finding] = []
    for match in QUOTE.finditer(claim.text):
        quoted = match.group(1).strip()
        if len(quoted.split()) < 2:
            continue  # a scare-quoted word is not a quotation
        if normalise(quoted) not in prepared.normalised:
            found.append(Finding("quotes", "missing", quoted))
    return found


# Words that make a sentence negative without a negator: such a sentence is not the plain
# assertion that another report's "not" would deny.
IMPLICIT_NEGATION = frozenset(
    {stem(w) for w in (
        "fail failed unable refuse refused decline declined lack absent unclear unknown "
        "unaware neither instead"
    ).split()}
)  # fmt: skip
# Withholding is not denying: "police would not say" contradicts nothing.
NOT_A_CLAIM = frozenset(
    {stem(w) for w in (
        "say said comment confirm disclose reveal specify elaborate identify name release"
    ).split()}
)  # fmt: skip
# Not knowing is withholding only before a question: "not clear whether", "not known how",
# while "not known as a meeting place" denies.
_NOT_KNOWN = frozenset(stem(w) for w in "know clear sure immediately certain".split())
_QUESTION = frozenset("whether if who what how why when where which".split())


def is_negative(text: Text) -> bool:
    """Whether a sentence negates, denies or calls anything false: it asserts nothing plainly."""
    return bool(text.negations or text.refutes or IMPLICIT_NEGATION & set(text.stems))


def withholds(text: Text) -> bool:
    """Whether a negation in the sentence withholds ("would not say", "not clear whether")."""
    for i, token in enumerate(text.tokens):
        if token.lower() not in NEGATORS:
            continue
        after = set(text.stems[i + 1 : i + 4])
        if NOT_A_CLAIM & after:
            return True
        if _NOT_KNOWN & after and _QUESTION & {t.lower() for t in text.tokens[i + 1 : i + 6]}:
            return True
    return False


def check_negation(claim: Text, evidence: Sequence[Text]) -> list[Finding]:
    """One side negates or denies what the other plainly asserts, on the words they share.

    The asserting side must hold no negation at all: two sentences that both negate
    something ("didn't say whether ...") are compared word by word no further.
    """
    for sentence in evidence:
        shared = claim.content & sentence.content
        if len(shared) < 2 or recall(claim.content, sentence.content) < 0.5:
            continue
        for plain, negative in ((claim, sentence), (sentence, claim)):
            if is_negative(plain) or withholds(negative):
                continue
            flipped = sorted((negative.negated & shared) - NOT_A_CLAIM)
            if flipped:
                claim_words = phrase(claim, flipped[0])
                return [Finding("negation", "contradicted", claim_words, sentence.text)]
    return []


def _check_antonyms(claim: Text, window: Sequence[Text], prepared: PreparedSource) -> list[Finding]:
    table = opposites()
    found: list[Finding] = []
    for s in claim.content:
        if s not in table or s in prepared.stems:
            continue
        same, opposed = table[s]
        for sentence in window[:2]:
            # The evidence says the opposite, and nothing of the claim's own group.
            clash = (opposed & sentence.content) - claim.content
            if clash and not same & sentence.content:
                found.append(
                    Finding("antonyms", "contradicted", phrase(claim, s), sorted(clash)[0])
                )
                break
    return found


__all__ = [
    "NOT_A_CLAIM",
    "Finding",
    "PreparedSource",
    "check_negation",
    "found_share",
    "is_negative",
    "withholds",
]
