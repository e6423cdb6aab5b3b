"""Verify JSON lines of claims and texts (`newsweave verify --batch`): one result per line.

A line that cannot be read is reported and skipped; sources shared by many lines are
prepared once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from newsweave.verification.checks import PreparedSource
from newsweave.verification.citations import Verification, Verifier


@dataclass(frozen=True)
class BatchResult:
    """One line of a batch: its id and verification, or why the line could not be read."""

    line: int
    id: object = None
    result: Verification | None = None
    error: str = ""
    note: str = ""  # e.g. that the line used the deprecated field name "source"

    def to_json(self) -> dict[str, object]:
        """The output line: id, verdict, score and evidence."""
        assert self.result is not None
        return {
            "id": self.id,
            "verdict": self.result.verdict,
            "score": self.result.score,
            "evidence": list(self.result.evidence),
        }


# The article's text was once the field "source", which the command line's --source (a file)
# contradicted; "text" is its name now, and "source" is still read, with a note.
BATCH_TEXT = "text"
BATCH_TEXT_DEPRECATED = "source"


def verify_batch(lines: Iterable[str], verifier: Verifier) -> Iterator[BatchResult]:
    """Verify JSON lines {"id", "claim", "text"}; a bad line is reported and skipped.

    "text" is the article's text; lines naming it "source" (the old name) are still read.
    """
    prepared: dict[str, PreparedSource] = {}  # lines often share a source
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            yield BatchResult(number, error=f"not JSON ({error.msg}, column {error.colno})")
            continue
        if not isinstance(data, dict):
            yield BatchResult(number, error="expected a JSON object")
            continue
        field, note = BATCH_TEXT, ""
        if BATCH_TEXT not in data and BATCH_TEXT_DEPRECATED in data:
            field = BATCH_TEXT_DEPRECATED
            note = 'the field "source" is deprecated: name the article\'s text "text"'
        missing = [k for k in ("id", "claim", field) if k not in data]
        if missing:
            yield BatchResult(number, data.get("id"), error=f"missing {', '.join(missing)}")
            continue
        claim, source = data["claim"], data[field]
        if not isinstance(claim, str) or not claim.strip():
            yield BatchResult(number, data["id"], error="claim must be a non-empty string")
            continue
        if not isinstance(source, str):
            error = f"{field} must be a string (the article's text)"
            yield BatchResult(number, data["id"], error=error, note=note)
            continue
        if source not in prepared:
            if len(prepared) >= 64:
                prepared.clear()  # keep memory bounded on long batches
            prepared[source] = verifier.prepare(source)
        result = verifier.verify(claim, prepared[source])
        yield BatchResult(number, data["id"], result, note=note)
