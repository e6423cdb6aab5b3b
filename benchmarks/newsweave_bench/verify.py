"""The verifier on public benchmarks, scored through the product's own path.

Every verdict scored here is what `newsweave verify --batch` returns: the same JSON lines go
through the same function (``verify_batch``) with the default verifier; only the fitted part
(``newsweave.verification.model``) is fitted on the other folds, by the functions that
``scripts/fit_verify.py`` uses to fit the shipped model on all dev data.

- **SummEdits** (news, dev): is a one-sentence summary consistent with its article? Balanced
  accuracy of ``supported``, leave one article out (the coverage threshold fitted on the other
  articles). Peers in the same run: a lexical-overlap threshold, the rules before anything
  was fitted, the verifier without value checks and without synonyms.
- **FNC-1** (dev): headline = claim, body = source; ``contradicted`` = disagree, ``supported``
  = agree. The contradiction model is fitted on four folds and scores the fifth, folds by
  body (and, stricter, by story). The four-way stance models trained inside the run are kept
  as a benchmark-only peer table: briefs use none of them.

Splits are by a hash of the document or body id, never by item, and nothing is tuned to
single items. The data is read in place (../shared/data) and never copied.

Where each part lives: ``datasets`` reads both sets, ``verdicts`` is the product's path and
the folds, ``summedits`` and ``fnc1`` score the verifier, ``stance_peers`` holds the
benchmark-only stance models, ``tables`` the plain-text tables. This module fits the shipped
model (``fit_all``) and writes a run as JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from newsweave.verification.citations import Verifier
from newsweave.verification.model import VerdictModel
from newsweave_bench.datasets import StancePair, SummEditsItem
from newsweave_bench.fnc1 import VerdictResult, fit_contradiction
from newsweave_bench.summedits import SummEditsResult, fit_support
from newsweave_bench.verdicts import collect_signals

SCHEMA = "newsweave.eval-verify/2"


# The shipped model ---------------------------------------------------------------------------


def fit_all(
    items: Sequence[SummEditsItem],
    pairs: Sequence[StancePair],
    bodies: dict[str, str],
    verifier: Verifier,
    progress: Callable[[str], None] | None = None,
) -> VerdictModel:
    """The model briefs use: the contradiction part fitted on every FNC-1 dev pair, then the
    support thresholds on every SummEdits dev item (with that contradiction part in place)."""
    pairs = sorted(pairs, key=lambda p: p.body_id)
    triples = [(str(k), p.headline, bodies[p.body_id]) for k, p in enumerate(pairs)]
    signals = collect_signals(verifier, triples)
    if progress:
        progress(f"FNC-1: {len(pairs)} pairs measured")
    base = VerdictModel(related=verifier.model.related)
    model = fit_contradiction(
        signals, [p.stance == "disagree" for p in pairs], [p.body_id for p in pairs], base
    )
    se = collect_signals(verifier, [(i.id, i.summary, i.doc) for i in items])
    model = fit_support(se, [i.consistent for i in items], model)
    return replace(
        model,
        fitted={
            "summedits": f"{len(items)} items of {len({i.doc_id for i in items})} articles",
            "fnc1": f"{len(pairs)} pairs of {len({p.body_id for p in pairs})} bodies",
            "by": "scripts/fit_verify.py",
        },
    )


def result_to_json(
    summedits: SummEditsResult | None, fnc1: VerdictResult | None
) -> dict[str, object]:
    """Both benchmarks as JSON-ready data."""
    from dataclasses import asdict

    return {
        "schema": SCHEMA,
        "summedits": asdict(summedits) if summedits else None,
        "fnc1": asdict(fnc1) if fnc1 else None,
    }
