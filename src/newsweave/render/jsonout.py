"""Render a Brief as JSON (schema "newsweave.brief/1") and read it back.

The layout is documented in docs/schema.md and docs/brief.schema.json.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast, get_args

from newsweave.records import (
    Brief,
    BriefSentence,
    Conflict,
    ConflictKind,
    ConflictStrength,
    ConflictValue,
    Provenance,
    Rejection,
    SentenceRole,
    Source,
    Support,
    Verdict,
    WriterRun,
)

SCHEMA = "newsweave.brief/1"

_BODY_ROLES = ("body", "conflict", "update")
_KINDS: tuple[str, ...] = get_args(ConflictKind)
_VERDICTS: tuple[str, ...] = get_args(Verdict)
_STRENGTHS: tuple[str, ...] = get_args(ConflictStrength)
_PROVENANCES: tuple[str, ...] = get_args(Provenance)
_STATUSES = ("written", "fallback")


def _when(value: datetime | None) -> str | None:
    """A datetime as ISO 8601, or None."""
    return None if value is None else value.isoformat()


def _sentence(s: BriefSentence, *, role: bool, provenance: bool = False) -> dict[str, Any]:
    """A sentence as a dict; the role is written only where it can vary (the body).

    provenance: written for briefs of a model writer only, so extractive briefs keep the
    layout they always had.
    """
    out: dict[str, Any] = {"text": s.text, "citations": list(s.citations)}
    if role:
        out["role"] = s.role
    out["claim_id"] = s.claim_id
    out["support"] = [
        {
            "number": v.number,
            "verdict": v.verdict,
            "score": v.score,
            "evidence": list(v.evidence),
        }
        for v in s.support
    ]
    if provenance:
        out["provenance"] = s.provenance
    return out


def _writer(run: WriterRun) -> dict[str, Any]:
    """How a model wrote the brief: status, counts, acceptance and every rejected sentence."""
    return {
        "name": run.name,
        "model": run.model,
        "prompt_version": run.prompt_version,
        "status": run.status,
        "reason": run.reason,
        "cached": run.cached,
        "proposed": run.proposed,
        "accepted": run.accepted,
        "acceptance": None if run.acceptance is None else round(run.acceptance, 4),
        "rejections": [
            {
                "text": r.text,
                "claims": list(r.claims),
                "kind": r.kind,
                "detail": r.detail,
                "replaced": r.replaced,
            }
            for r in run.rejections
        ],
    }


def brief_to_dict(brief: Brief) -> dict[str, Any]:
    """The brief as plain JSON-ready data, keys in a fixed documented order."""
    mark = brief.writer is not None
    out = {
        "schema": SCHEMA,
        "headline": brief.headline,
        "created_at": brief.created_at.isoformat(),
        "independent_sources": brief.independent_sources,
        "lede": _sentence(brief.lede, role=False, provenance=mark),
        "body": [_sentence(s, role=True, provenance=mark) for s in brief.body],
        "conflicts": [
            {
                "kind": c.kind,
                "about": c.about,
                "strength": c.strength,
                "running": c.running,
                "values": [
                    {
                        "value": v.value,
                        "citations": list(v.citations),
                        "report_ids": list(v.report_ids),
                        "independent": v.independent,
                        "evidence": list(v.evidence),
                    }
                    for v in c.values
                ],
            }
            for c in brief.conflicts
        ],
        "analysis": [_sentence(s, role=False, provenance=mark) for s in brief.analysis],
        "sources": [
            {
                "number": s.number,
                "report_id": s.report_id,
                "outlet": s.outlet,
                "title": s.title,
                "url": s.url,
                "published": _when(s.published),
                "copy_of": s.copy_of,
            }
            for s in brief.sources
        ],
        "notes": list(brief.notes),
    }
    if brief.writer is not None:
        out["writer"] = _writer(brief.writer)
    return out


def render_json(brief: Brief) -> str:
    """The brief as indented UTF-8 JSON text, ending with one newline."""
    # No sort_keys: brief_to_dict already fixes the order, and "schema" should come first.
    return json.dumps(brief_to_dict(brief), indent=2, ensure_ascii=False) + "\n"


# Reading back. Stored briefs may be old or hand-edited, so every field is checked and a
# bad one is named in a ValueError rather than surfacing as a KeyError deep inside.


def _get(d: Mapping[str, Any], key: str, where: str) -> Any:
    """d[key], or a ValueError naming the missing field."""
    if not isinstance(d, Mapping):
        raise ValueError(f"{where}: expected an object")
    if key not in d:
        raise ValueError(f"{where}: missing field {key!r}")
    return d[key]


def _str(d: Mapping[str, Any], key: str, where: str) -> str:
    """A string field."""
    value = _get(d, key, where)
    if not isinstance(value, str):
        raise ValueError(f"{where}.{key}: expected a string")
    return value


def _opt_int(d: Mapping[str, Any], key: str, where: str) -> int | None:
    """An integer or null field."""
    value = _get(d, key, where)
    if value is None:
        return None
    # bool is an int subclass; true/false in place of a number is a mistake, not a 1/0.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{where}.{key}: expected an integer")
    return value


def _int(d: Mapping[str, Any], key: str, where: str) -> int:
    """An integer field."""
    value = _opt_int(d, key, where)
    if value is None:
        raise ValueError(f"{where}.{key}: expected an integer, got null")
    return value


def _list(d: Mapping[str, Any], key: str, where: str) -> list[Any]:
    """A list field."""
    value = _get(d, key, where)
    if not isinstance(value, list):
        raise ValueError(f"{where}.{key}: expected an array")
    return value


def _ints(d: Mapping[str, Any], key: str, where: str) -> tuple[int, ...]:
    """A list of integers as a tuple."""
    items = _list(d, key, where)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in items):
        raise ValueError(f"{where}.{key}: expected an array of integers")
    return tuple(items)


def _opt_datetime(d: Mapping[str, Any], key: str, where: str) -> datetime | None:
    """An ISO 8601 datetime or null field."""
    value = _get(d, key, where)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{where}.{key}: expected an ISO 8601 string")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{where}.{key}: not an ISO 8601 datetime: {value!r}") from None


def _datetime(d: Mapping[str, Any], key: str, where: str) -> datetime:
    """An ISO 8601 datetime field."""
    value = _opt_datetime(d, key, where)
    if value is None:
        raise ValueError(f"{where}.{key}: expected an ISO 8601 string, got null")
    return value


def _sentence_from(d: Mapping[str, Any], where: str, role: SentenceRole | None) -> BriefSentence:
    """A BriefSentence; role None means read it from the dict (body sentences)."""
    if role is None:
        found = _str(d, "role", where)
        if found not in _BODY_ROLES:
            raise ValueError(f"{where}.role: expected one of {_BODY_ROLES}, got {found!r}")
        role = cast(SentenceRole, found)
    return BriefSentence(
        text=_str(d, "text", where),
        citations=_ints(d, "citations", where),
        role=role,
        # An absent claim_id reads as None, so briefs written by hand still load.
        claim_id=_opt_int(d, "claim_id", where) if "claim_id" in d else None,
        # Briefs written before verification have no support: it reads as none.
        support=tuple(
            _support_from(v, f"{where}.support[{i}]")
            for i, v in enumerate(_list(d, "support", where) if "support" in d else [])
        ),
        provenance=_provenance_from(d, where),
    )


def _provenance_from(d: Mapping[str, Any], where: str) -> Provenance:
    """Who wrote a sentence; briefs without the field were all extracted."""
    found = d.get("provenance", "extracted")
    if found not in _PROVENANCES:
        raise ValueError(f"{where}.provenance: expected one of {_PROVENANCES}, got {found!r}")
    return cast(Provenance, found)


def _writer_from(d: Any, where: str) -> WriterRun | None:
    """The model writer's account, or None (extractive briefs, and briefs before writers)."""
    if d is None:
        return None
    status = _str(d, "status", where)
    if status not in _STATUSES:
        raise ValueError(f"{where}.status: expected one of {_STATUSES}, got {status!r}")
    reason = _get(d, "reason", where)
    if reason is not None and not isinstance(reason, str):
        raise ValueError(f"{where}.reason: expected a string or null")
    cached = _get(d, "cached", where)
    if not isinstance(cached, bool):
        raise ValueError(f"{where}.cached: expected true or false")
    rejections = []
    for i, r in enumerate(_list(d, "rejections", where)):
        at = f"{where}.rejections[{i}]"
        replaced = _get(r, "replaced", at)
        if not isinstance(replaced, bool):
            raise ValueError(f"{at}.replaced: expected true or false")
        rejections.append(
            Rejection(
                text=_str(r, "text", at),
                claims=_ints(r, "claims", at),
                kind=_str(r, "kind", at),
                detail=_str(r, "detail", at),
                replaced=replaced,
            )
        )
    return WriterRun(
        name=_str(d, "name", where),
        model=_str(d, "model", where),
        prompt_version=_str(d, "prompt_version", where),
        status=cast(Any, status),
        reason=reason,
        cached=cached,
        proposed=_int(d, "proposed", where),
        accepted=_int(d, "accepted", where),
        rejections=tuple(rejections),
    )


def _support_from(d: Mapping[str, Any], where: str) -> Support:
    """One citation's verification: number, verdict, score and evidence sentences."""
    verdict = _str(d, "verdict", where)
    if verdict not in _VERDICTS:
        raise ValueError(f"{where}.verdict: expected one of {_VERDICTS}, got {verdict!r}")
    score = _get(d, "score", where)
    if not isinstance(score, int | float) or isinstance(score, bool):
        raise ValueError(f"{where}.score: expected a number")
    evidence = _list(d, "evidence", where)
    if not all(isinstance(e, str) for e in evidence):
        raise ValueError(f"{where}.evidence: expected an array of strings")
    return Support(
        number=_int(d, "number", where),
        verdict=cast(Verdict, verdict),
        score=float(score),
        evidence=tuple(evidence),
    )


def _conflict_from(d: Mapping[str, Any], where: str) -> Conflict:
    """A Conflict with its values."""
    kind = _str(d, "kind", where)
    if kind not in _KINDS:
        raise ValueError(f"{where}.kind: expected one of {_KINDS}, got {kind!r}")
    values = []
    for i, v in enumerate(_list(d, "values", where)):
        at = f"{where}.values[{i}]"
        report_ids = _list(v, "report_ids", at)
        if not all(isinstance(r, str) for r in report_ids):
            raise ValueError(f"{at}.report_ids: expected an array of strings")
        # Briefs written before conflicts carried evidence read as having none.
        evidence = _list(v, "evidence", at) if "evidence" in v else []
        if not all(isinstance(e, str) for e in evidence):
            raise ValueError(f"{at}.evidence: expected an array of strings")
        values.append(
            ConflictValue(
                value=_str(v, "value", at),
                report_ids=tuple(report_ids),
                citations=_ints(v, "citations", at),
                independent=_int(v, "independent", at),
                evidence=tuple(evidence),
            )
        )
    # Older briefs stated every conflict they held: those read as hard, not running.
    strength = _str(d, "strength", where) if "strength" in d else "hard"
    if strength not in _STRENGTHS:
        raise ValueError(f"{where}.strength: expected one of {_STRENGTHS}, got {strength!r}")
    running = d.get("running", False)
    if not isinstance(running, bool):
        raise ValueError(f"{where}.running: expected true or false")
    return Conflict(
        kind=cast(ConflictKind, kind),
        about=_str(d, "about", where),
        values=tuple(values),
        strength=cast(ConflictStrength, strength),
        running=running,
    )


def _source_from(d: Mapping[str, Any], where: str) -> Source:
    """A Source."""
    return Source(
        number=_int(d, "number", where),
        report_id=_str(d, "report_id", where),
        outlet=_str(d, "outlet", where),
        title=_str(d, "title", where),
        url=_str(d, "url", where),
        published=_opt_datetime(d, "published", where),
        copy_of=_opt_int(d, "copy_of", where),
    )


def brief_from_dict(d: Mapping[str, Any]) -> Brief:
    """The Brief a dict from brief_to_dict (or parsed JSON) describes; ValueError if malformed."""
    schema = _get(d, "schema", "brief")
    if schema != SCHEMA:
        raise ValueError(f"brief.schema: expected {SCHEMA!r}, got {schema!r}")
    notes = _list(d, "notes", "brief")
    if not all(isinstance(n, str) for n in notes):
        raise ValueError("brief.notes: expected an array of strings")
    return Brief(
        headline=_str(d, "headline", "brief"),
        lede=_sentence_from(_get(d, "lede", "brief"), "brief.lede", "lede"),
        body=tuple(
            _sentence_from(s, f"brief.body[{i}]", None)
            for i, s in enumerate(_list(d, "body", "brief"))
        ),
        conflicts=tuple(
            _conflict_from(c, f"brief.conflicts[{i}]")
            for i, c in enumerate(_list(d, "conflicts", "brief"))
        ),
        analysis=tuple(
            _sentence_from(s, f"brief.analysis[{i}]", "analysis")
            for i, s in enumerate(_list(d, "analysis", "brief"))
        ),
        sources=tuple(
            _source_from(s, f"brief.sources[{i}]")
            for i, s in enumerate(_list(d, "sources", "brief"))
        ),
        created_at=_datetime(d, "created_at", "brief"),
        independent_sources=_int(d, "independent_sources", "brief"),
        notes=tuple(notes),
        writer=_writer_from(d.get("writer"), "brief.writer"),
    )
