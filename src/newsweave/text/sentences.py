"""Sentence splitting that survives news text: abbreviations, quotations and datelines."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from newsweave.config import Limits
from newsweave.records import Report, Sentence

# "BISHKEK, June 3 (SRWS) — ", "WASHINGTON (AP) - ", "(CNN) -- ", "LONDON — ".
_DATELINE = re.compile(
    r"""^\s*
    (?P<place>[A-Z][A-Z.'\- ]{1,40}[A-Z.](?:,\s+[A-Z][\w.'\- ]{1,30}?)?)?
    (?:,?\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2})?      # ", June 3"
    \s*(?:\((?P<agency>[^()]{1,40})\))?          # "(AP)"
    \s*(?:—|–|--|-)\s+""",
    re.VERBOSE,
)
_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=[A-Z\"“])")
# Zero-width characters and footnote markers ("believers.[57]") are page residue, and a
# bracketed number would read as one of our citations.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_FOOTNOTE = re.compile(r"\[(?:\d{1,3}|citation needed|[a-z])\]")
# Page furniture that scrapers leave in article text: never a sentence of a brief.
_BOILERPLATE = re.compile(
    r"click here|\bsign up (?:for|to|now|today)\b|\bsubscribe (?:to|for|now|today)\b|"
    r"\bnewsletters?\b.{0,40}\b(?:inbox|e-?mail address)|\bmailing list\b|"
    r"\buses? cookies\b|\bcookie (?:policy|settings)\b|all rights reserved|©|"
    r"^advertisement\b|\bfollow us on\b|\bshare this (?:article|story|video)\b|"
    r"internet archive|web crawl|these crawls|video is represented|"
    r"tweet with a location|getty images|\bap photo\b|\(associated press\)|\bphoto:|"
    r"\bfile photo\b|image caption|^read more\b|^related:|contact details|"
    r"terms of (?:use|service)|enable javascript|your browser|"
    r"opens? (?:in )?a new window|\bto read (?:this|the) (?:story|article) in full\b|"
    r"\bmust be a (?:subscriber|member)\b|\bsubscribers? only\b|"
    r"^the following is an excerpt\b|\bis an excerpt (?:of|from) an article\b|"
    r"^see more of .{1,60} on (?:facebook|twitter|instagram)|(?-i:^CLOSE\b)|"
    r"^image (?:copyright|source)|"
    r"\b(?:photo|image|video) (?:credit|courtesy)\b|\bskip (?:to|this) (?:content|ad)\b|"
    r"\bcomments? (?:are|have been) (?:closed|disabled)\b|^(?:watch|listen|play video):",
    re.IGNORECASE,
)
# "There are questions about ...": an existential opener, not a pointer to what came before.
_EXISTENTIAL = re.compile(r"^there(?:'s|’s|\s+(?:is|are|was|were|have|has|had|will))\b", re.I)
# Openers that look like pointers but are not: a time ("This week"), or "it" standing for what
# follows ("It is not clear whether ...", "It was the first time ...").
_SELF_CONTAINED = re.compile(
    r"^(?:this|that|these) (?:year|week|month|morning|afternoon|evening|weekend|season|"
    r"summer|winter|spring|autumn|fall|time|past|coming|new)\b|"
    r"^it(?:'s|’s| is| was| has been| had been| will be| would be| remains?| seems?)"
    r"(?: not)?(?: yet| still| also| now)? (?:unclear|clear|likely|unlikely|possible|"
    r"impossible|expected|estimated|believed|thought|understood|reported|important|"
    r"the first|the latest|the second|the third|the largest|the biggest|the most|"
    r"(?:not )?immediately)\b",
    re.IGNORECASE,
)
# Openers of a sentence that leans on one before it: "that, in turn," "the move", "also".
_LEANS = re.compile(
    r"^(?:that|this|which),? in turn\b|^(?:the|this|that) (?:move|decision|announcement|"
    r"incident|attack|case|comment|remark|statement)s?\b|^also\b|^in addition\b|^as a result\b|"
    r"^\w+ (?:minutes?|hours?|days?|weeks?|months?|years?) (?:later|earlier)\b|"
    r"^(?:later|afterwards?),",
    re.IGNORECASE,
)
# Openers that lean on a sentence the brief may not carry ("But it ...", "These ...").
_DANGLING = re.compile(
    r"^(?:but|and|or|so|yet|also|still|however|meanwhile|instead|it|its|it's|this|that|these|"
    r"those|they|them|he|she|his|her|their|there|here|such|which|because|although|though|"
    r"except|plus|besides|otherwise|likewise|similarly|again|too)\b",
    re.IGNORECASE,
)
_LETTERS = re.compile(r"[A-Za-z]")
_SPACE = re.compile(r"\s+")
# Where a long paragraph may be cut before the splitter sees it: after a lower-case word of
# three letters or more and a full stop, before a capital (not after "Mr." or "U.S.").
_SAFE_END = re.compile(r"(?<![\w.])[a-z]{3,}[.!?][\"”’')\]]*\s+(?=[\"“‘(]?[A-Z])")
# Paragraphs longer than this many times Limits.sentence_chars are cut into pieces first.
LONG_PARAGRAPH = 4


@lru_cache(maxsize=1)
def _segmenter() -> Callable[[str], list[str]]:
    # Built on first use (not at import) and cached: pysbd compiles many rules per instance.
    import pysbd

    return pysbd.Segmenter(language="en", clean=False).segment


def split_dateline(text: str) -> tuple[str, str]:
    """Split a leading dateline off a sentence: returns (place or agency, rest)."""
    match = _DATELINE.match(text)
    if not match or not (match.group("place") or match.group("agency")):
        return "", text
    place = (match.group("place") or "").strip()
    # A dateline place is written in capitals; a normal sentence start is not.
    if place and not place.replace(".", "").replace(",", "").split()[0].isupper():
        return "", text
    rest = text[match.end() :].lstrip()
    if not rest or not (rest[0].isupper() or rest[0] in "\"“'"):
        return "", text
    return place or (match.group("agency") or ""), rest


def split_sentences(text: str, max_chars: int = Limits.sentence_chars) -> list[str]:
    """Split text into sentences; paragraphs never share a sentence; datelines are removed."""
    return list(iter_sentences(text, max_chars))


def iter_sentences(text: str, max_chars: int = Limits.sentence_chars) -> Iterator[str]:
    """The sentences of split_sentences one at a time, none longer than max_chars."""
    # pysbd's cost grows with the square of what it is given (more than 90 s for 1 MB on one
    # line), so a paragraph longer than LONG_PARAGRAPH times max_chars is cut into pieces of
    # at most max_chars first, after a sentence's end where there is one; shorter paragraphs
    # (all of real news) are split whole, as before. Being lazy, reading can stop at a limit.
    segment = _segmenter()
    for paragraph in _PARAGRAPH.split(text):
        paragraph = _FOOTNOTE.sub("", _INVISIBLE.sub("", paragraph))
        paragraph = _SPACE.sub(" ", paragraph).strip()
        if not paragraph:
            continue
        long = len(paragraph) > LONG_PARAGRAPH * max_chars
        for part in _pieces(paragraph, max_chars) if long else (paragraph,):
            for piece in segment(part):
                piece = piece.strip()
                if not piece:
                    continue
                # Datelines open articles, but scraped pages often hold several articles.
                sentence = split_dateline(piece)[1]
                for cut in _wrapped(sentence, max_chars):
                    if _LETTERS.search(cut):
                        yield cut


def _pieces(paragraph: str, size: int) -> Iterator[str]:
    """A long paragraph in pieces of at most size characters, cut after sentence ends if any."""
    # Each cut is in the second half of its piece (so pieces are long and cutting is linear):
    # after a sentence's end if there is one, else at a space, else anywhere.
    start = 0
    while len(paragraph) - start > size:
        cut = 0
        for match in _SAFE_END.finditer(paragraph, start + size // 2, start + size):
            cut = match.end() - start
        if not cut:
            space = paragraph.rfind(" ", start + size // 2, start + size)
            cut = space + 1 - start if space >= 0 else size
        yield paragraph[start : start + cut]
        start += cut
    yield paragraph[start:]


def _wrapped(sentence: str, size: int) -> Iterator[str]:
    """A sentence longer than size in pieces cut at a space in each piece's second half."""
    while len(sentence) > size:
        space = sentence.rfind(" ", size // 2, size + 1)
        cut = space if space >= 0 else size
        yield sentence[:cut].rstrip()
        sentence = sentence[cut:].lstrip()
    if sentence:
        yield sentence


class SentenceReader:
    """One text's sentences, each distinct one once, read on demand up to where it is told."""

    # A repeated sentence says nothing new, and comparing copies of it is what made repeated
    # input cost the square of its length: its repeats are counted, not kept.

    def __init__(self, text: str, max_chars: int = Limits.sentence_chars) -> None:
        self._source = iter_sentences(text, max_chars)
        self._seen: set[str] = set()
        self._next: str | None = None
        self.texts: list[str] = []
        self.positions: list[int] = []  # each text's place among all sentences, repeats too
        self.repeats = 0
        self.count = 0  # sentences met so far, repeats too (all of them once read to the end)

    def more(self) -> bool:
        """Whether the text has a distinct sentence not read yet (finding it if need be)."""
        while self._next is None:
            sentence = next(self._source, None)
            if sentence is None:
                return False
            self.count += 1
            if sentence in self._seen:
                self.repeats += 1
            else:
                self._seen.add(sentence)
                self._next = sentence
        return True

    def read(self, count: int) -> int:
        """Read up to count more distinct sentences into texts; how many were read."""
        read = 0
        while read < count and self.more():
            self.texts.append(self._next)  # type: ignore[arg-type]
            self.positions.append(self.count - 1)
            self._next = None
            read += 1
        return read

    def records(self, report_id: str) -> list[Sentence]:
        """The sentences read, as records at their places in the report."""
        return [
            Sentence(report_id, i, t, self.count)
            for i, t in zip(self.positions, self.texts, strict=True)
        ]


def report_sentences(report: Report, limits: Limits | None = None) -> list[Sentence]:
    """The report's distinct sentences as records, with their positions, up to the limit."""
    limits = limits or Limits()
    reader = SentenceReader(report.text, limits.sentence_chars)
    reader.read(limits.sentences_per_report)
    return reader.records(report.id)


def is_candidate(text: str, min_words: int = 6, max_words: int = 60) -> bool:
    """Whether a sentence can stand alone in a brief: long enough, not a fragment or a list."""
    words = text.split()
    if not min_words <= len(words) <= max_words:
        return False
    if text[-1] not in ".!?\"”'’" or text.endswith(("...", "…", '.."', '…"', "…”")):
        return False  # headings, captions, cut-off scraps
    if is_furniture(text):
        return False
    if text.endswith("?"):
        return False  # questions are not reporting
    if text[0] in '"“' and text[-1] in '"”':
        return False  # a quotation whose speaker is in another sentence
    first = text.lstrip("\"“'‘(")[:1]
    if not first.isupper() and not first.isdigit():
        return False  # a continuation split off its sentence
    # Quotes that open and never close inside the sentence belong to a longer passage.
    return text.count('"') % 2 == 0 and text.count("“") == text.count("”")


def stands_alone(text: str) -> bool:
    """Whether a sentence can open a brief: no leaning on what came before, no bare quote."""
    return not is_dangling(text) and text[:1] not in "\"“'‘" and "?" not in text


# Connectives that only join a sentence to the one before: dropped, the sentence stands alone.
_CONNECTIVE = re.compile(
    r"^(?:but|and|so|yet|also|still|however|meanwhile|moreover|in addition|as a result|"
    r"instead|indeed|then|now|further|furthermore),?\s+(?=\S)",
    re.IGNORECASE,
)


def without_connective(text: str) -> str:
    """The sentence without an opening connective ("But the vote ..." -> "The vote ...")."""
    match = _CONNECTIVE.match(text)
    if match is None:
        return text
    rest = text[match.end() :]
    return rest[0].upper() + rest[1:]


# A photo caption: people doing something in the present tense, then only when ("walk to
# the Senate floor Wednesday.", "speaks at an event in Wayne, N.J., on Oct. 22, 2018.").
_CAPTION = re.compile(
    r"\b(?:speaks?|walks?|looks? on|stands?|arrives?|poses?|gestures?|waves?|listens?|"
    r"attends?|holds?|sits?|talks?|smiles?|kneels?|hugs?|embraces?|prays?|mourns?|reacts?|"
    r"cheers?|march(?:es)?|gathers?|(?:is|are) (?:seen|pictured|shown))\b[^;]{0,140}?"
    r"(?:\b(?:on )?(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|"
    r"\b[A-Z][a-z]{2,8}\.? \d{1,2}, (?:19|20)\d\d)\.?$"
)


_ATTRIBUTED = re.compile(r"\b(?:said|says|told|according to)\b")


def is_furniture(text: str) -> bool:
    """Whether a sentence is page furniture: captions, widget words, notices, link text."""
    if _BOILERPLATE.search(text):
        return True
    if _CAPTION.search(text.strip()) and not _ATTRIBUTED.search(text):
        return True  # a caption attributes nothing; "he stands by it, he said Monday" does
    letters = [c for c in text if c.isalpha()]
    # A line in capitals is a widget or a promotion, not reporting.
    return len(text.split()) >= 4 and sum(c.isupper() for c in letters) > 0.8 * len(letters)


def is_dangling(text: str) -> bool:
    """Whether a sentence leans on an antecedent before it ("He said", "But", "That, in turn,").

    A sentence that opens on a pronoun, a demonstrative or a connective needs the sentence
    that came before it in its report.
    """
    if _EXISTENTIAL.match(text) or _SELF_CONTAINED.match(text):
        return False  # "There are questions about ...": nothing before it is needed
    return bool(_DANGLING.match(text) or _LEANS.match(text))


# "He said", "She is due in court": a personal pronoun as the subject.
_PERSONAL = re.compile(r"^(?P<pronoun>He|She)\b(?!['’])")
# A person's name: two or three capitalised words ("Geraldine Alcorn", "Mary Ann Smith").
_PERSON_NAME = re.compile(r"\b(?P<name>[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){1,2})\b")
# Signs that a name is a person's: a title before it, an age after it, a verb of saying.
_PERSON_CUES = (
    r"\b(?:Mr|Mrs|Ms|Dr|President|Sen|Senator|Rep|Gov|Governor|Judge|Mayor|coach|"
    r"spokes(?:wo)?man|spokesperson|actress|actor|singer|star)\.?\s+(?:[A-Z][a-z'’-]+\s+)?{name}\b"
    r"|\b{name},\s+\d{{1,3}}\b|\b{name}\s+(?:said|says|told|added|wrote|argued|insisted)\b"
)
_ARTICLES = frozenset({"The", "A", "An", "This", "That", "In", "On", "At", "By", "For"})
# Words that make a capitalised run an organisation or a place, not a person.
_NOT_PERSON = frozenset(
    "University College School Department Police Court House Senate Party Company Inc Corp "
    "Group Association Agency Service Office Ministry Council Committee Board Street Avenue "
    "County City State States Republic Kingdom Union News Times Post Press Airport Hospital "
    "Church Center Centre Institute Foundation Bank Club League Airlines Army Navy".split()
)


def name_for_pronoun(text: str, before: str, report: str = "") -> str:
    """The sentence with an opening "He"/"She" replaced by the one person the sentence before
    names ("He said ..." after "... coach Steve Kerr ..." -> "Kerr said ..."); unchanged when
    that sentence names no person or more than one, or when the report never treats the name
    as a person's (a title before it, an age after it, or a verb of saying)."""
    match = _PERSONAL.match(text)
    if match is None:
        return text
    from newsweave.text.dates import MONTHS, WEEKDAYS
    from newsweave.text.values.places import gazetteer

    calendar = {w.capitalize() for w in (*MONTHS, *WEEKDAYS)}
    places = gazetteer()
    people = set()
    for m in _PERSON_NAME.finditer(before):
        name = re.sub(r"['’]s$", "", m.group("name"))  # "Avenatti’s" is Avenatti
        if set(name.split()) & (_NOT_PERSON | calendar | _ARTICLES) or name in places:
            continue  # an organisation, a date or a place ("Huntington Beach")
        people.add(name.split()[-1])
    if len(people) != 1:
        return text
    person = people.pop()
    if not re.search(_PERSON_CUES.format(name=re.escape(person)), report or before):
        return text
    return person + text[match.end() :]
