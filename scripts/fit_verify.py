"""Fit the verifier's model on all dev data and write src/newsweave/verification/verify_model.json.

The contradiction model (trees and threshold) is fitted on every FNC-1 dev pair, then the
support thresholds on every SummEdits dev item, by the same functions `newsweave eval-verify`
uses on its training folds (newsweave_bench.verify.fit_all). What this writes is what
briefs, `newsweave verify` and the benchmark's in-sample line use; the benchmark's held-out
figures come from models it fits on the other folds.

Usage (from the repository root)::

    .venv/bin/python scripts/fit_verify.py [--data ../shared/data] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT / "src") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "src"))

from newsweave_bench import verify as ev  # noqa: E402
from newsweave_bench.datasets import read_fnc1, read_summedits  # noqa: E402
from newsweave_bench.verdicts import default_verifier  # noqa: E402

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "src" / "newsweave" / "verification" / "verify_model.json"


def main() -> None:
    """Fit on all of SummEdits dev and FNC-1 dev; write the model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    items = read_summedits(args.data / "summedits-dev")
    pairs, bodies = read_fnc1(args.data / "fnc1-dev")
    verifier = default_verifier()
    model = ev.fit_all(items, pairs, bodies, verifier, progress=print)
    model = replace(model, fitted={**model.fitted, "date": date.today().isoformat()})
    model.save(args.out)
    trees = model.contradiction
    print(
        f"wrote {args.out}: coverage >= {model.coverage}, "
        f"contradiction threshold {model.threshold:.4f}, "
        f"rule contradictions from relevance {model.rule_related}, "
        f"{len(trees.trees) if trees else 0} trees"
    )


if __name__ == "__main__":
    main()
