"""The verifier as the benchmarks call it: through the product's own path, and the folds.

Every verdict scored by ``eval-verify`` is what `newsweave verify --batch` returns: the same
JSON lines go through the same function (``verify_batch``) with the default verifier. Splits
are by a hash of the document or body id (``fold_of``), never by item.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from newsweave.errors import InputError
from newsweave.verification.batch import verify_batch
from newsweave.verification.checks import PreparedSource
from newsweave.verification.citations import (
    Signals,
    Verification,
    Verifier,
    decide,
)
from newsweave.verification.model import VerdictModel
from newsweave.verification.story import brief_verifier

SEED = 20260601
FOLDS = 5  # FNC-1 cross-validation folds, by body


def batch_verdicts(
    verifier: Verifier, pairs: Sequence[tuple[str, str, str]]
) -> dict[str, Verification]:
    """What `newsweave verify --batch` returns for (id, claim, source) triples: the same
    function (verify_batch) on the same JSON lines, with this verifier."""
    lines = [json.dumps({"id": i, "claim": c, "text": s}) for i, c, s in pairs]
    found: dict[str, Verification] = {}
    for line in verify_batch(lines, verifier):
        if line.result is None:
            raise InputError(f"pair {line.id}", line.error)
        found[str(line.id)] = line.result
    return found


def collect_signals(
    verifier: Verifier, pairs: Sequence[tuple[str, str, str]]
) -> list[list[Signals]]:
    """What the verifier measures for each (id, claim, source), one entry per claim sentence."""
    prepared: dict[str, PreparedSource] = {}
    found = []
    for _, claim, source in pairs:
        if source not in prepared:
            if len(prepared) >= 64:
                prepared.clear()
            prepared[source] = verifier.prepare(source)
        found.append(verifier.signals(claim, prepared[source]))
    return found


def supported(signals: Sequence[Signals], model: VerdictModel) -> bool:
    """Whether every sentence of a claim is supported (the verdict verify() gives)."""
    return all(decide(s, model).verdict == "supported" for s in signals)


def unfitted_verifier(verifier: Verifier) -> Verifier:
    """The verifier before anything was fitted: rule checks, relevance 0.35, coverage 0.55."""
    return verifier.with_model(VerdictModel(related=0.35, coverage=0.55, local_missing=99))


def fold_of(key: str, k: int = FOLDS) -> int:
    """A stable assignment of ids to k folds by a hash, independent of order."""
    return int.from_bytes(hashlib.sha256(f"{SEED}:{key}".encode()).digest()[:4], "big") % k


def default_verifier() -> Verifier:
    """The verifier as briefs use it: WordLlama embeddings (TF-IDF-free) and default settings."""
    from newsweave.text.embed import make_embedder

    return brief_verifier(make_embedder("wordllama"))
