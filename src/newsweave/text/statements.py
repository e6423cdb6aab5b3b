"""Sentences read for checking: words and stems, numbers with units, names, negation scopes.

The word lists here are what the verifier (newsweave.verification.citations) compares:
negators and denials,
opposing word groups, closed classes of values (colours, offices, charges), other names of a
country. Every list is a frozen module constant; the gazetteer is loaded on first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from newsweave.text.dates import MONTHS, WEEKDAYS
from newsweave.text.words import STOP_WORDS

# Words and stems ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"[$€£¥]?\d+(?:[.,]\d+)*(?:[a-z]{1,3}\b)?%?|[A-Za-z](?:[A-Za-z0-9]|[.'’-](?=[A-Za-z0-9]))*\.?"
    r"|[\"“”‘’]|[.;:!?()—–]"
)
_IRREGULAR = {
    "fell": "fall", "fallen": "fall", "rose": "rise", "risen": "rise", "won": "win",
    "lost": "lose", "led": "lead", "held": "hold", "left": "leave", "met": "meet",
    "told": "tell", "took": "take", "taken": "take", "gave": "give", "given": "give",
    "made": "make", "saw": "see", "seen": "see", "found": "find", "sold": "sell",
    "bought": "buy", "paid": "pay", "spent": "spend", "struck": "strike", "shot": "shoot",
    "fought": "fight", "threw": "throw", "thrown": "throw", "began": "begin", "begun": "begin",
    "ran": "run", "broke": "break", "broken": "break", "chose": "choose", "came": "come",
    "went": "go", "gone": "go", "got": "get", "built": "build", "sent": "send",
    "brought": "bring", "caught": "catch", "kept": "keep", "felt": "feel", "sought": "seek",
    "grew": "grow", "grown": "grow", "drove": "drive", "flew": "fly", "pled": "plead",
    "said": "say", "men": "man", "women": "woman", "children": "child", "people": "person",
    "died": "die", "dying": "die", "lying": "lie", "wrote": "write", "written": "write",
    "spoke": "speak", "spoken": "speak", "knew": "know", "known": "know", "stood": "stand",
    "understood": "understand", "hid": "hide", "hidden": "hide", "froze": "freeze",
    "better": "good", "best": "good", "worse": "bad", "worst": "bad",
}  # fmt: skip
_VOWELS = frozenset("aeiouy")


@lru_cache(maxsize=1 << 16)  # bounded: a long-running reader meets ever new words
def stem(word: str) -> str:
    """A light stem: lower case, no possessive, common suffixes and irregular forms folded."""
    w = word.lower().strip(".'’").replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if w in _IRREGULAR:
        return stem(_IRREGULAR[w])  # the base form, stemmed like any other word
    if len(w) <= 3 or not w.isalpha():
        return w
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("sses", "ss"), ("ingly", ""), ("edly", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return _tidy(w[: -len(suffix)] + repl)
    if (w.endswith("es") and w[-3:-2] in ("s", "x", "z")) or w.endswith(("ches", "shes")):
        return _tidy(w[:-2])
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed", "ly"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            base = w[: -len(suffix)]
            if _VOWELS & set(base):
                return _tidy(base)
    return _tidy(w)


def _tidy(w: str) -> str:
    """Undouble a final consonant and drop a final e, so 'stopp'/'stop' and 'file'/'fil' meet.

    British and American spellings meet too: centre/center, colour/color, realise/realize.
    """
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in _VOWELS and w[-1] not in "ls":
        w = w[:-1]
    if len(w) > 4 and w.endswith("tre"):
        w = w[:-3] + "ter"
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    if len(w) > 5 and w.endswith("our") and w not in _OUR_WORDS:
        w = w[:-3] + "or"
    if len(w) > 4 and w.endswith(("is", "ys")) and w[-3] not in _VOWELS:
        w = w[:-1] + "z"
    return w


# Words in -our that have no American -or spelling.
_OUR_WORDS = frozenset("devour contour detour glamour velour paramour".split())


def related_stems(a: str, b: str) -> bool:
    """Whether two stems are one word family: equal, or one a long prefix of the other."""
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 5 and long.startswith(short) and len(long) - len(short) <= 4


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
# Nationalities and other names of a country, by ISO code (country names and cities come from
# the gazetteer).
_COUNTRY_NAMES = {
    "GB": "uk britain british briton england english scotland scottish wales welsh",
    "US": "us usa america american",
    "RU": "russian",
    "UA": "ukrainian",
    "CN": "chinese",
    "FR": "french",
    "DE": "german",
    "IT": "italian",
    "ES": "spanish",
    "JP": "japanese",
    "IN": "indian",
    "PK": "pakistani",
    "IR": "iranian",
    "IQ": "iraqi",
    "SY": "syrian",
    "IL": "israeli",
    "PS": "palestinian",
    "TR": "turkish",
    "CA": "canadian",
    "MX": "mexican",
    "BR": "brazilian",
    "AU": "australian aussie",
    "NZ": "zealander",
    "KR": "korean",
    "KP": "korean",
    "PL": "polish",
    "NL": "dutch",
    "SE": "swedish",
    "NO": "norwegian",
    "IE": "irish",
    "EG": "egyptian",
    "SA": "saudi",
    "AF": "afghan",
    "NG": "nigerian",
    "ZA": "african",
    "KG": "kyrgyz",
    "TJ": "tajik",
}
_SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "mln": 1e6,
    "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12,
}  # fmt: skip
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}  # fmt: skip
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "twentieth": 20,
}  # fmt: skip
_CURRENCIES = {"$": "usd", "€": "eur", "£": "gbp", "¥": "jpy"}
_CURRENCY_WORDS = {"dollar": "usd", "euro": "eur", "pound": "gbp", "yen": "jpy"}
_UNIT_ALIASES = {
    "percent": "%",
    "pct": "%",
    "yr": "year",
    "km": "kilometre",
    "kilometer": "kilometre",
}
# The look-ahead lets the engine skip positions that cannot start a number (much faster).
_NUMBER_PATTERN = (
    r"(?=[$€£¥\d]|\b[a-z])(?P<cur>[$€£¥])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<suffix>bn|mn|mln|tn|[kmb])?(?![\w.,]\d)(?:\s?(?P<pct>%|per ?cent\b|percent\b))?"
    r"|\b(?P<word>" + "|".join(_NUMBER_WORDS) + r")\b"
    r"|\b(?P<ord>" + "|".join(_ORDINALS) + r"|\d+(?:st|nd|rd|th))\b"
)
_NUMBER = re.compile(_NUMBER_PATTERN)  # run on lower-cased text
_NUMBER_ANY_CASE = re.compile(_NUMBER_PATTERN, re.IGNORECASE)
_SCALE_WORD = re.compile(r"\s*-?\s*(thousand|million|billion|trillion)\b", re.IGNORECASE)
_UNIT_WORD = re.compile(r"[\s-]+(?:of\s+)?([A-Za-z]+)")
QUOTE = re.compile(r"[\"“]([^\"“”]{3,}?)[\"”]")
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
DATE_WORDS = frozenset(MONTHS) | frozenset(WEEKDAYS) | {m[:3] for m in MONTHS}
HONORIFICS = frozenset("mr mrs ms dr sir st".split())


@dataclass(frozen=True)
class Quantity:
    """A number as stated: its value and what it counts (a currency, '%', a noun stem)."""

    value: float
    unit: str
    text: str
    ordinal: bool = False


_MONTH_NAMES = "|".join([m.capitalize() for m in MONTHS] + [m[:3].capitalize() for m in MONTHS])
_MONTH_BEFORE = re.compile(r"\b(?:" + _MONTH_NAMES + r")\.?\s+$")
_MONTH_AFTER = re.compile(r"(?:st|nd|rd|th)?\s+(?:of\s+)?(?:" + _MONTH_NAMES + r")\b")
_MAY_COUNT = re.compile(
    r"[\d$€£¥]|\b(?:" + "|".join([*_NUMBER_WORDS, *_ORDINALS]) + r")\b", re.IGNORECASE
)


def quantities(text: str) -> list[Quantity]:
    """The numbers of a text with their units; years and parts of codes are left out."""
    found: list[Quantity] = []
    if not _MAY_COUNT.search(text):
        return found  # most sentences hold no number: skip the costly pattern
    lowered = text.lower()
    # Lower-casing can change the length of a few non-ASCII texts; they take the slow path.
    matches = (
        _NUMBER.finditer(lowered) if len(lowered) == len(text) else _NUMBER_ANY_CASE.finditer(text)
    )
    for match in matches:
        end = match.end()
        first = next(g for g in ("cur", "num", "word", "ord") if match.group(g))
        start = match.start(first)
        before = text[max(0, start - 1) : start]
        if before and (before.isalpha() or before in "-/") and not match.group("word"):
            continue  # part of a code ("CoV-2") or a range
        if match.group("num") and (
            _MONTH_BEFORE.search(text, 0, start) or _MONTH_AFTER.match(text, match.end("num"))
        ):
            continue  # the day of a date ("March 9", "9 March"): the dates check has it
        ordinal = bool(match.group("ord"))
        if ordinal:
            raw = match.group("ord").lower()
            value = float(_ORDINALS.get(raw) or int(re.sub(r"\D", "", raw)))
        elif match.group("word"):
            value = float(_NUMBER_WORDS[match.group("word").lower()])
        else:
            raw = match.group("num").replace(",", "")
            value = float(raw)
            if (
                not match.group("cur")
                and not match.group("suffix")
                and re.fullmatch(r"(1[89]|20)\d\d", raw)
            ):
                continue  # a year: the dates check compares it
        scale = match.group("suffix")
        scaled = _SCALE_WORD.match(text, end)
        if scaled:
            scale, end = scaled.group(1), scaled.end()
        if scale:
            value *= _SCALES[scale.lower()]
        unit = ""
        if match.group("cur"):
            unit = _CURRENCIES[match.group("cur")]
        elif match.group("pct"):
            unit = "%"
        else:
            follow = _UNIT_WORD.match(text, end)
            if follow:
                word = follow.group(1).lower()
                if word in ("percent", "pct"):
                    unit = "%"
                elif word not in STOP_WORDS and word not in ("and", "or"):
                    unit = _CURRENCY_WORDS.get(stem(word)) or _UNIT_ALIASES.get(word) or stem(word)
                    end = follow.end()
        if match.group("word") and value == 1 and unit in ("", "of"):
            continue  # "one of", "one" as a pronoun
        found.append(Quantity(value, unit, text[start:end].strip(), ordinal))
    return found


def same_quantity(a: Quantity, b: Quantity) -> bool:
    """Whether two quantities state the same value of compatible units."""
    if a.ordinal != b.ordinal or abs(a.value - b.value) > 1e-9 * max(1.0, abs(a.value)):
        return False
    return not a.unit or not b.unit or related_stems(a.unit, b.unit)


def rival_quantity(a: Quantity, b: Quantity) -> bool:
    """Whether b gives another value for what a counts (same unit, different value)."""
    return bool(a.unit) and a.ordinal == b.ordinal and b.unit == a.unit and not same_quantity(a, b)


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


@cache
def country_index() -> tuple[dict[str, str], dict[str, frozenset[str]]]:
    """Names (lower case) of countries and cities -> country code, and code -> all its names."""
    from newsweave.text.slots import geonames

    cities, countries, _ = geonames()  # shared with the place gazetteer: read once
    code_of: dict[str, str] = {}
    for country in countries.values():
        code_of[country["name"].lower()] = country["iso"]
    for code, names in _COUNTRY_NAMES.items():
        for name in names.split():
            code_of.setdefault(name, code)
    names_of: dict[str, set[str]] = {}
    for name, code in code_of.items():
        names_of.setdefault(code, set()).add(name)
    # A city name stands for the country of the largest city so named ("Sydney": Australia).
    largest: dict[str, tuple[int, str]] = {}
    for city in cities.values():
        name = city["name"].lower()
        if city["population"] > largest.get(name, (0, ""))[0]:
            largest[name] = (city["population"], city["countrycode"])
    for name, (population, code) in largest.items():
        if population >= 100_000:
            names_of.setdefault(code, set()).add(name)
    return code_of, {k: frozenset(v) for k, v in names_of.items()}


_PUNCT = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower case, apostrophes and punctuation removed, spaces collapsed: for quote matching."""
    text = text.lower().replace("’", "").replace("'", "")
    return " " + _SPACES.sub(" ", _PUNCT.sub(" ", text)).strip() + " "


def undotted(token: str) -> str:
    token = token.strip(".").replace("’", "'")
    if token.endswith("'s"):
        token = token[:-2]
    return token.replace(".", "")


# Names -----------------------------------------------------------------------------------


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
