"""Word forms folded so that the values' nouns compare: three strengths, each kept for its reader.

- `singular` (slots): a plural noun made singular ("people" stays, "cities" -> "city").
- `noun_stem` (facts): a crude stem that also folds nominee/nomination forms.
- `stem` (statements, the verifier): a light stem over any word, irregular forms folded.

They fold differently on purpose: each reader's figures were measured with its own, so one
does not stand in for another.
"""

from __future__ import annotations

from functools import lru_cache

# Irregular plurals, shared: `singular` folds the first three, `noun_stem` all of them.
PLURALS = {"men": "man", "women": "woman", "children": "child", "people": "person",
           "feet": "foot", "teeth": "tooth", "mice": "mouse", "lives": "life"}  # fmt: skip
_SINGULAR = {w: PLURALS[w] for w in ("men", "women", "children")}


def singular(word: str) -> str:
    """The slots' fold of a counted noun: lower case, regular and a few irregular plurals."""
    word = word.lower()
    if word in _SINGULAR:
        return _SINGULAR[word]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


_SUFFIXES = ("ations", "ation", "itions", "ition", "ions", "ion", "ees", "ee", "ies", "es", "s")


@lru_cache(maxsize=8192)
def noun_stem(word: str) -> str:
    """A crude stem that makes plurals and nominee/nomination forms compare equal."""
    word = word.lower().strip("'’")
    if word in PLURALS:
        return PLURALS[word]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            if suffix == "ies":
                return word[:-3] + "y"
            if suffix == "es" and not word.endswith(("ses", "xes", "zes", "ches", "shes")):
                continue
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word  # "virus", "status", "analysis" are not plurals
            return word[: -len(suffix)]
    return word


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
