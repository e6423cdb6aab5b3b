"""What the model is given (numbered claims, disagreements, sources) and how its answer is read.

The model sees only what the extractive brief already rests on: the claims it chose, each
with the sentence that states it, the numbers of the reports that support it, how many
independent outlets those are and when it was first reported; the disagreements as data;
the numbered sources. It answers with JSON sentences naming the claims they state, so every
sentence can be cited and checked against exactly those claims' reports.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from newsweave.analysis import Analysis
from newsweave.errors import WriterError
from newsweave.records import Brief, BriefSentence
from newsweave.text.dates import format_date
from newsweave.text.sentences import split_sentences

# Bump when the instructions or the input layout change: cached answers are keyed by it.
PROMPT_VERSION = "1"
ROLES = ("lede", "body", "analysis")
# A written sentence longer than this is no news sentence (and a looping model's output).
MAX_SENTENCE_CHARS = 600

INSTRUCTIONS = """\
You rewrite numbered news claims as a short, neutral news brief, using nothing else.
Write one sentence for each claim, in the order given; you may join two short claims in one \
sentence. Restate each claim in plain words: keep every name, number, date and quotation \
exactly as the claim has it, and add none.
Put the ids of the claims a sentence states in "claims". The first sentence has role \
"lede"; an interpretation or an expert's view has role "analysis"; the others "body".
Do not write about where reports disagree: that is stated separately, from the data. \
No citation marks, no headline, no opinions of your own.
Answer with JSON only, in this shape:
{"sentences": [{"text": "...", "claims": [1], "role": "lede"}, \
{"text": "...", "claims": [2, 3], "role": "body"}]}"""


@dataclass(frozen=True)
class GroundedClaim:
    """One claim as the model sees it, and the brief sentence it came from."""

    id: int  # 1, 2, ... in reading order (what the model names)
    sentence: BriefSentence  # the extracted, verified sentence that states it
    independent: int  # independent outlets among its reports
    first_reported: str  # the earliest publication date of its reports, as written ("" if none)


@dataclass(frozen=True)
class Grounding:
    """Everything the model is given for one story, and the prompt made of it."""

    headline: str
    claims: tuple[GroundedClaim, ...]
    conflicts: tuple[dict[str, Any], ...]  # the stated disagreements, as data
    sources: tuple[dict[str, Any], ...]
    max_words: int | None

    def claim(self, claim_id: int) -> GroundedClaim | None:
        """The claim with this id, or None."""
        return next((c for c in self.claims if c.id == claim_id), None)

    def payload(self) -> dict[str, Any]:
        """The input as the JSON object the model reads."""
        data: dict[str, Any] = {
            "topic": self.headline,
            "claims": [
                {
                    "id": c.id,
                    "text": c.sentence.text,
                    "reports": list(c.sentence.citations),
                    "independent_outlets": c.independent,
                    **({"first_reported": c.first_reported} if c.first_reported else {}),
                }
                for c in self.claims
            ],
            "disagreements_stated_separately": list(self.conflicts),
            "sources": list(self.sources),
        }
        if self.max_words:
            data["max_words"] = self.max_words
        return data

    def messages(self) -> list[dict[str, str]]:
        """The chat messages: instructions, then the input as JSON."""
        # Compact: a small local model reads the prompt at tens of tokens a second.
        text = json.dumps(self.payload(), ensure_ascii=False, separators=(",", ":"))
        return [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": text},
        ]

    def version(self) -> str:
        """A hash of everything the model is given: the story version its answer belongs to."""
        canonical = json.dumps(self.messages(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def ground(brief: Brief, analysis: Analysis, max_words: int | None = None) -> Grounding:
    """The model's input from an extractive brief: its claims, disagreements and sources."""
    report_of = {s.number: s.report_id for s in brief.sources}
    published = {s.number: s.published for s in brief.sources}
    claims: list[GroundedClaim] = []
    for sentence in brief.sentences:
        if sentence.claim_id is None or sentence.role in ("conflict", "update"):
            continue  # stated from data, never rewritten
        dates = sorted(d for n in sentence.citations if (d := published.get(n)) is not None)
        ids = [report_of[n] for n in sentence.citations if n in report_of]
        claims.append(
            GroundedClaim(
                id=len(claims) + 1,
                sentence=sentence,
                independent=analysis.independent(ids) if ids else 0,
                first_reported=format_date(dates[0].date()) if dates else "",
            )
        )
    conflicts = tuple(
        {
            "about": c.about,
            "values": [
                {
                    "value": v.value,
                    "reports": list(v.citations),
                    "independent_outlets": v.independent,
                }
                for v in c.values
            ],
        }
        for c in brief.conflicts
        if c.strength == "hard"
    )
    sources = tuple(
        {
            "number": s.number,
            "outlet": s.outlet,
            **({"published": format_date(s.published.date())} if s.published else {}),
        }
        for s in brief.sources
    )
    return Grounding(brief.headline, tuple(claims), conflicts, sources, max_words)


def answer_schema(claims: int) -> dict[str, Any]:
    """The JSON schema of an answer, bounded so a constrained decoder cannot run on forever."""
    return {
        "type": "object",
        "properties": {
            "sentences": {
                "type": "array",
                "minItems": 1,
                "maxItems": claims + 2,
                "items": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string", "maxLength": MAX_SENTENCE_CHARS},
                        "claims": {"type": "array", "items": {"type": "integer"}, "maxItems": 4},
                        "role": {"type": "string", "enum": list(ROLES)},
                    },
                    "required": ["text", "claims", "role"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["sentences"],
        "additionalProperties": False,
    }


def response_formats(mode: str, claims: int) -> list[dict[str, Any] | None]:
    """The response_format values to try in turn for a json_mode setting (None: not sent).

    OpenAI's layout is {"type": "json_schema", ...}; llama-cpp-python's server takes
    {"type": "json_object", "schema": ...} and rejects the other (422), as some servers
    reject both: "auto" tries each while the server says the request is wrong.
    """
    schema = answer_schema(claims)
    layouts: dict[str, dict[str, Any] | None] = {
        "json_schema": {"type": "json_schema", "json_schema": {"name": "brief", "schema": schema}},
        "json_object": {"type": "json_object", "schema": schema},
        "none": None,
    }
    if mode == "auto":
        return list(layouts.values())
    return [layouts[mode]]


@dataclass(frozen=True)
class Proposal:
    """One sentence as the model wrote it: text, the claim ids it names, its role."""

    text: str
    claims: tuple[int, ...]
    role: str


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL | re.IGNORECASE)
_CLAIM_NUMBER = re.compile(r"\d+")
# Citation marks a model may write despite the instructions: "[1]", "[1,2]", "[1, 2]".
_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def _json_of(content: str) -> Any:
    """The JSON value of an answer, allowing a Markdown fence or words around one object."""
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        return json.loads(text)
    except ValueError:
        pass
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        try:
            return json.loads(text[start : end + 1])
        except ValueError:
            pass
    raise WriterError("malformed", f"the model's answer is not JSON: {content.strip()[:120]!r}")


def _claim_ids(value: Any) -> tuple[int, ...]:
    """Claim ids as given: integers, or strings holding one ("3", "C3", "claim 3")."""
    if isinstance(value, int | str):
        value = [value]
    if not isinstance(value, list):
        return ()
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            ids.append(item)
        elif isinstance(item, str) and (found := _CLAIM_NUMBER.search(item)):
            ids.append(int(found.group()))
    return tuple(dict.fromkeys(ids))


def parse_answer(content: str, finish_reason: str | None = None) -> list[Proposal]:
    """The sentences of an answer; WriterError("malformed") when it is not the asked shape."""
    try:
        data = _json_of(content)
    except WriterError:
        if finish_reason == "length":
            raise WriterError(
                "malformed",
                "the answer was cut off at the token budget (llm max_tokens) before its JSON ended",
            ) from None
        raise
    items = data.get("sentences") if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise WriterError("malformed", 'the answer has no "sentences" list')
    proposals: list[Proposal] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise WriterError("malformed", f"sentence {i + 1} of the answer is not an object")
        text = item.get("text")
        if not isinstance(text, str):
            raise WriterError("malformed", f'sentence {i + 1} of the answer has no "text" string')
        role = item.get("role")
        claims = _claim_ids(item.get("claims", item.get("claim_ids", item.get("claim"))))
        # Citations are the verifier's to give: markers the model wrote are dropped.
        clean = " ".join(_MARKER.sub("", text).split())
        # Each sentence is checked on its own: one supported half must not carry the other.
        for k, part in enumerate(split_sentences(clean) or [clean]):
            own = role if role in ROLES else "body"
            proposals.append(Proposal(part, claims, "body" if k and own == "lede" else own))
    if not proposals:
        raise WriterError("malformed", "the answer holds no sentences")
    return proposals


def cited_numbers(grounding: Grounding, claim_ids: Sequence[int]) -> tuple[int, ...]:
    """The report numbers behind the named claims, in number order."""
    numbers = {
        n for i in claim_ids if (c := grounding.claim(i)) is not None for n in c.sentence.citations
    }
    return tuple(sorted(numbers))


__all__ = [
    "INSTRUCTIONS",
    "PROMPT_VERSION",
    "ROLES",
    "GroundedClaim",
    "Grounding",
    "Proposal",
    "answer_schema",
    "cited_numbers",
    "ground",
    "parse_answer",
    "response_formats",
]
