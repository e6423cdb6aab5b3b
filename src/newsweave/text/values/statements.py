"""Sentences read for checking: words and stems, numbers with units, negation scopes.

The word lists here are what the verifier (newsweave.verification.citations) compares:
negators and denials, opposing word groups, closed classes of values (colours, offices,
charges). Every list is a frozen module constant. The values it reads come from the shared
readers of this package: numbers (values/numbers.py), names (values/names.py), other names of
a country (values/places.py), years and calendar words (values/when.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from newsweave.text.values.numbers import Quantity, quantities
from newsweave.text.values.stems import related_stems, stem
from newsweave.text.words import STOP_WORDS

# Words -------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"[$€£¥]?\d+(?:[.,]\d+)*(?:[a-z]{1,3}\b)?%?|[A-Za-z](?:[A-Za-z0-9]|[.'’-](?=[A-Za-z0-9]))*\.?"
    r"|[\"“”‘’]|[.;:!?()—–]"
)


# Word classes ------------------------------------------------------------------------------

NEGATORS = frozenset(
    "not no never none nobody nothing neither nor without cannot n't nowhere".split()
)
# Words that deny what follows them in their clause ("police denied that ...").
DENIALS = frozenset(
    {stem(w) for w in (
        "deny denied denies denial refute refuted dismiss dismissed dispute disputed disputes "
        "reject rejected debunk debunked retract retracted"
    ).split()}
)  # fmt: skip
# Words that call the matter they describe untrue, wherever they stand in the sentence.
FALSEHOOD = frozenset(
    {stem(w) for w in (
        "false falsely untrue hoax hoaxer fake fabricated fabrication baseless unfounded bogus "
        "myth misleading satire satirical sham phony phoney photoshopped doctored prank spoof "
        "parody misinformation disinformation fictional"
    ).split()}
)  # fmt: skip
# Words that report without vouching: a source that only says "reportedly" discusses a claim.
HEDGES = frozenset(
    {stem(w) for w in (
        "reportedly allegedly alleged claim claims claimed rumor rumour rumors rumours "
        "unconfirmed unverified apparently appear appears purportedly supposedly may might "
        "could possibly speculation speculate unclear"
    ).split()}
)  # fmt: skip
AFFIRMS = frozenset(
    {stem(w) for w in "confirmed confirm confirms officially announced verified indeed".split()}
)
SKIP_IN_SCOPE = frozenset(
    "be been being is are was were am have has had do does did a an the to so as that any "
    "anything very yet also even ever really just currently".split()
)
CLAUSE_END = frozenset('.;:!?()—–"“”')
# Pairs of opposing word groups that news text uses; a claim that uses one group where the
# source uses the other says the opposite.
_OPPOSITES: tuple[tuple[str, str], ...] = (
    (
        "increase rise grow gain climb jump surge soar up higher expand growth more",
        "decrease decline fall drop shrink plunge slump sink down lower contract reduce reduction "
        "less fewer cut",
    ),
    ("win won victory victorious winner", "lose lost defeat defeated loser"),
    ("approve approval accept endorse", "reject rejection refuse veto"),
    ("allow permit legalize", "ban forbid prohibit outlaw"),
    ("open reopen", "close shut"),
    ("start begin launch", "end stop halt finish"),
    (
        "success successful succeed triumphant thriving booming flourishing prosperous",
        "failure fail failing troubled struggling ailing bankrupt collapsing",
    ),
    ("strong stronger strength", "weak weaker weakness"),
    ("profit profitable", "loss unprofitable"),
    ("alive survive survivor", "dead die death kill"),
    ("guilty convict convicted conviction", "innocent acquit acquitted acquittal"),
    ("arrest arrested detain detained", "release released free freed acquitted"),
    ("hire hiring", "fire firing layoff"),
    ("buy purchase", "sell sale"),
    ("import", "export"),
    ("ahead forward future", "back backward backwards behind past"),
    ("before", "after"),
    ("first", "last"),
    ("north northern", "south southern"),
    ("east eastern", "west western"),
    ("majority", "minority"),
    ("peace peaceful ceasefire", "war invasion attack"),
    ("legal lawful", "illegal unlawful"),
    ("support supporter", "oppose opposition opponent"),
    ("agree agreement", "disagree disagreement"),
    ("confirm", "deny"),
    ("true", "false"),
    ("public", "private"),
    ("include", "exclude"),
    ("maximum most largest biggest highest", "minimum least smallest lowest"),
    ("above over", "below under"),
    ("inside", "outside"),
    ("early earlier", "late later"),
    ("add", "remove"),
    ("join", "leave quit"),
    ("positive", "negative"),
    ("optimistic", "pessimistic"),
    ("rich wealthy", "poor"),
    ("cheap", "expensive"),
    ("high", "low"),
    ("friend ally", "enemy foe"),
    ("male", "female"),
)
# Closed classes whose members are values: a colour, a sex, an office or a criminal charge
# that the source does not name is a new fact ("co-founder" for "founder", "murder" for
# "manslaughter", a "former" officeholder for the current one).
ATTRIBUTES = frozenset(
    {stem(w) for w in (
        "red orange yellow green blue purple pink white black grey gray brown violet "
        "president vice-president premier minister secretary senator congressman congresswoman "
        "governor mayor chancellor ambassador admiral ceo chairman chairwoman chairperson "
        "founder co-founder cofounder king queen prince princess pope judge spokesman "
        "spokeswoman spokesperson former "
        "murder manslaughter homicide fraud theft robbery burglary rape kidnapping bribery "
        "corruption perjury treason terrorism espionage embezzlement extortion smuggling"
    ).split()}
)  # fmt: skip
# A person's sex: "woman" where the source says "man" is a swapped fact, while "party girl"
# in a source that never says otherwise is only an epithet.
SEXES = tuple(
    frozenset(stem(w) for w in group.split())
    for group in (
        "man men boy male husband son brother father gentleman",
        "woman women girl female wife daughter sister mother lady",
    )
)
QUOTE = re.compile(r"[\"“]([^\"“”]{3,}?)[\"”]")


@dataclass(frozen=True)
class Text:
    """One sentence, analysed once: its tokens, stems, content stems and negated stems."""

    text: str
    tokens: tuple[str, ...]
    stems: tuple[str, ...]
    content: frozenset[str]
    negated: frozenset[str]  # content stems under a negator or a denial
    false_cue: bool  # calls something false, a hoax, fake
    quantities: tuple[Quantity, ...]
    refutes: int = 0  # falsehood and denial words
    negations: int = 0  # negators
    hedges: int = 0  # words that report without vouching
    affirms: int = 0  # words that vouch ("confirmed")


def _tokens(text: str) -> list[str]:
    """Word, number and punctuation tokens; "didn't" becomes "did" "n't"."""
    out: list[str] = []
    for token in _TOKEN.findall(text):
        low = token.lower()
        if low.endswith(("n't", "n’t")) and len(low) > 3:
            out.extend([token[:-3], "n't"])
        else:
            out.append(token)
    return out


def _content(stem_: str) -> bool:
    return (
        stem_ not in STOP_WORDS and stem_ not in SKIP_IN_SCOPE and any(c.isalnum() for c in stem_)
    )


def analyse_text(text: str) -> Text:
    """Tokens, stems and negation scopes of one sentence."""
    tokens = tuple(_tokens(text))
    stems = tuple(stem(t) for t in tokens)
    negated: set[str] = set()
    for i, s in enumerate(stems):
        negator = tokens[i].lower() in NEGATORS
        if negator or s in DENIALS:
            # A negator reaches the next content words of its phrase; a denial its clause.
            reach = 12 if s in DENIALS else 3
            taken = 0
            for t in stems[i + 1 :]:
                if t in CLAUSE_END or (t in (",", "but") and s not in DENIALS):
                    break
                if t in SKIP_IN_SCOPE or t in STOP_WORDS:
                    continue
                negated.add(t)
                taken += 1
                if taken >= reach:
                    break
    content = frozenset(
        s for s, t in zip(stems, tokens, strict=True) if _content(s) and t.lower() not in NEGATORS
    )
    return Text(
        text,
        tokens,
        stems,
        content,
        frozenset(negated) & content,
        any(s in FALSEHOOD for s in stems),
        tuple(quantities(text)),
        refutes=sum(1 for s in stems if s in FALSEHOOD or s in DENIALS),
        negations=sum(1 for t in tokens if t.lower() in NEGATORS),
        hedges=sum(1 for s in stems if s in HEDGES),
        affirms=sum(1 for s in stems if s in AFFIRMS),
    )


@cache
def opposites() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Each opposable stem with the stems of its own group and of the group it opposes."""
    table: dict[str, tuple[set[str], set[str]]] = {}
    for left, right in _OPPOSITES:
        a = {stem(w) for w in left.split()}
        b = {stem(w) for w in right.split()}
        for group, other in ((a, b), (b, a)):
            for w in group:
                same, opposed = table.setdefault(w, (set(), set()))
                same.update(group)
                opposed.update(other)
    return {w: (frozenset(s), frozenset(o)) for w, (s, o) in table.items()}


_PUNCT = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower case, apostrophes and punctuation removed, spaces collapsed: for quote matching."""
    text = text.lower().replace("’", "").replace("'", "")
    return " " + _SPACES.sub(" ", _PUNCT.sub(" ", text)).strip() + " "


def recall(wanted: frozenset[str], have: frozenset[str]) -> float:
    """Share of wanted stems that have a relative among have."""
    if not wanted:
        return 0.0
    hits = sum(1 for w in wanted if w in have or any(related_stems(w, h) for h in have))
    return hits / len(wanted)


def coverage(wanted: frozenset[str], have: frozenset[str]) -> float:
    """Share of the claim's content stems found in a vocabulary (exact stems first, cheap)."""
    if not wanted:
        return 1.0
    missing = [w for w in wanted if w not in have]
    if not missing:
        return 1.0
    long_ = [h for h in have if len(h) >= 5]
    hits = sum(1 for w in missing if any(related_stems(w, h) for h in long_))
    return (len(wanted) - len(missing) + hits) / len(wanted)


def phrase(text: Text, stem_: str) -> str:
    """The few words of a sentence around the token with this stem."""
    for i, s in enumerate(text.stems):
        if s == stem_:
            words = " ".join(text.tokens[max(0, i - 3) : i + 1])
            # A sentence's last word carries its full stop; an abbreviation keeps its dots.
            return words if words.count(".") > 1 else words.rstrip(".")
    return stem_
