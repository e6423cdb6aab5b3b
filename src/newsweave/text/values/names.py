"""Names in text: people with a role (the slots), whose ages the facts read, and the names a
claim makes that its sources must make too (the verifier).
"""

from __future__ import annotations

import re

from newsweave.records import Slot
from newsweave.text.values.places import NOT_PLACES, gazetteer
from newsweave.text.values.statements import ATTRIBUTES, CLAUSE_END, Text
from newsweave.text.values.when import CALENDAR_WORDS, DATE_WORDS
from newsweave.text.words import STOP_WORDS

_TITLES = re.compile(
    r"\b(?P<title>(?i:president|prime minister|minister|secretary|senator|sen\.|rep\.|governor|"
    r"mayor|chancellor|spokes(?:wo)?man|spokesperson|ambassador|general|gen\.|chief|director|"
    r"judge|coach|ceo|chairman|chairwoman|leader|king|queen|pope|mr\.|mrs\.|ms\.|dr\.))"
    r"\s+(?P<name>(?:[A-Z][\w'’-]+)(?:\s+[A-Z][\w'’-]+){0,2})"
)


def person_slots(sentence: str) -> list[Slot]:
    """Named people with a role: 'Minister Mohsin Naqvi' (role 'minister')."""
    slots = []
    known = gazetteer()
    for match in _TITLES.finditer(sentence):
        name = match.group("name")
        if name in known or name.split()[0] in NOT_PLACES:
            continue
        slots.append(Slot("person", name, name, match.group("title").lower().rstrip(".")))
    return slots


# Capitalised words that do not end a person's name (the facts' ages).
NOT_NAMES = CALENDAR_WORDS | {
    "The", "A", "An", "He", "She", "They", "It", "In", "On", "At", "By", "Mr", "Mrs", "Ms", "Dr",
    "Police", "Officials", "Authorities",
}  # fmt: skip


def surname_of(name: str) -> str:
    """The last word of a name that is not a title or pronoun, lower-cased, or ''."""
    words = [w for w in name.split() if w not in NOT_NAMES]
    return words[-1].lower() if words else ""


HONORIFICS = frozenset("mr mrs ms dr sir st".split())


def undotted(token: str) -> str:
    """A token without its dots and possessive: "U.S." -> "US", "Trump's" -> "Trump"."""
    token = token.strip(".").replace("’", "'")
    if token.endswith("'s"):
        token = token[:-2]
    return token.replace(".", "")


def names(claim: Text) -> list[str]:
    """Tokens of the claim that name something: capitalised, acronyms, codes and attributes."""
    found: list[str] = []
    first = True
    for token, s in zip(claim.tokens, claim.stems, strict=True):
        if token in CLAUSE_END or token in ("‘", "’"):
            first = token in '.!?"“'
            continue
        bare = undotted(token)
        if not bare or not bare[0].isalpha():
            first = False
            continue
        is_code = any(c.isdigit() for c in bare)
        acronym = len(bare) >= 2 and sum(c.isupper() for c in bare) >= 2
        capital = bare[0].isupper() and not first
        low = bare.lower()
        first = False
        if low in STOP_WORDS or low in DATE_WORDS or low in HONORIFICS:
            continue
        if is_code or acronym or capital or s in ATTRIBUTES:
            found.append(token.rstrip(".") if "." not in token[:-1] else token)
    return list(dict.fromkeys(found))
