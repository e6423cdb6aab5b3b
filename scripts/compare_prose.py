"""The prose checks (newsweave eval-prose) on briefs made by an earlier commit and by this tree.

Each tree's own code briefs the clusters in a child process and writes them as JSON lines;
this tree's checks then read both, so the figures differ only by how the briefs were made.

Usage (from the repository root)::

    .venv/bin/python scripts/compare_prose.py [--base 3812e01] [--limit 250]

Prints ``skipped: ...`` and exits 0 when ../shared/data is missing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"

# Run in a child with one tree's src first on the path: brief each cluster, one JSON line each.
DUMP = """
import itertools, json, sys, tempfile
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from newsweave.config import load_settings
from newsweave.pipeline.briefing import make_brief
from newsweave.render.jsonout import render_json
from newsweave_bench.datasets import cluster_reports, read_allsides, read_multinews
from newsweave.text.embed import make_embedder
data, limit = Path(sys.argv[2]), int(sys.argv[3])
sets = {
    "multinews-dev": read_multinews(data / "multinews-dev/sample_validation.csv"),
    "allsides-val": read_allsides(
        data / "allsides-neus-dev/val.source", data / "allsides-neus-dev/val.target"
    ),
}
with tempfile.TemporaryDirectory() as home:
    settings = load_settings({"NEWSWEAVE_HOME": home})
    embedder = make_embedder(settings.embedder)
    for name, clusters in sets.items():
        for c in itertools.islice(clusters, limit):
            line = {"set": name, "reference": c.reference, "first_doc": c.documents[0]}
            try:
                brief = make_brief(cluster_reports(c, "eval"), settings, embedder)
                line["brief"] = json.loads(render_json(brief))
            except Exception as exc:
                line["error"] = str(exc)
            print(json.dumps(line))
"""


def check(lines: list[str]) -> str:
    """The prose table for dumped briefs."""
    sys.path.insert(0, str(REPO / "src"))
    from newsweave.render.jsonout import brief_from_dict
    from newsweave_bench.prose import (
        ProseCounts,
        check_brief,
        first_sentence,
        format_counts,
        plain,
    )
    from newsweave_bench.rouge import rouge

    results: dict[str, ProseCounts] = {}
    for line in lines:
        item = json.loads(line)
        counts = results.setdefault(item["set"], ProseCounts(item["set"]))
        if "error" in item:
            counts.failures += 1
            continue
        brief = brief_from_dict(item["brief"])
        check_brief(brief, counts)
        reference = first_sentence(item["reference"])
        if reference:
            counts.lede_r1.append(rouge(reference, plain(brief.lede.text))[0])
            counts.lead_r1.append(rouge(reference, first_sentence(item["first_doc"]))[0])
    return format_counts(results.values())


def dump(src: Path, limit: int) -> list[str]:
    """Briefs made by the code under src, as JSON lines."""
    done = subprocess.run(
        [sys.executable, "-c", DUMP, str(src), str(DATA), str(limit)],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.splitlines()


def main() -> int:
    """Both tables, the base commit's first."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base", default="3812e01", help="the earlier commit")
    parser.add_argument("--limit", type=int, default=250, help="clusters per data set")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "base"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), args.base],
            check=True,
            capture_output=True,
        )
        try:
            before = dump(tree / "src", args.limit)
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                check=False,
                capture_output=True,
            )
    after = dump(REPO / "src", args.limit)
    print(f"== {args.base}\n{check(before)}\n\n== working tree\n{check(after)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
