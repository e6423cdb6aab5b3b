"""Time and peak memory of `newsweave brief` against input size, on generated hostile text.

Each run is `newsweave brief FILES` in its own subprocess, measured as the hostile-input tests
measure it (tests/hostile.py: wall time, peak RSS, under an address-space ceiling). Series:

- repeated: two files, one 116-character sentence said N times on one line (N = 500 to
  8,000: 58 KB to 930 KB a file; the tests brief the issue's 232 KB files);
- distinct: two files of N distinct, nearly identical sentences ("budget item 17");
- one report: N MB of varied sentences in one file (1, 4, 16 MB);
- reports: N MB of varied sentences in reports of 100 KB (1, 4, 16 MB: 10 to 160 reports);
- align: claims.align alone on N distinct sentences of 100 reports (2,000 to 32,000; the
  limits stop a brief at 4,000, so this shows the index past them: all pairs are scored up to
  neighbours.EXACT_ROWS sentences, a forest is searched beyond), timed inside the child.

For each series the growth exponent is the least-squares slope of log(time) and log(peak
memory) against log(size); for briefs, also of the time above start-up (a brief of one short
report: imports and models), over the runs that take at least a second more than it.
n log n shows as a slope a little over 1; a square as 2.

    .venv/bin/python scripts/bench_hostile.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

# tests/hostile.py's run_script executes this file without setting __file__: argv[0] is it.
HERE = Path(globals().get("__file__") or sys.argv[0]).resolve()
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(REPO_ROOT))  # tests/ holds the measuring helper and the generators

from tests import textgen  # noqa: E402
from tests.hostile import Cost, run_cli, run_script  # noqa: E402

from newsweave.text.neighbours import EXACT_ROWS  # noqa: E402

REPEATS = (500, 1_000, 2_000, 4_000, 8_000)
MEGABYTES = (1, 4, 16)
ALIGNED = (2_000, 4_000, 8_000, 16_000, 32_000)


@dataclass(frozen=True)
class Row:
    """One measured run."""

    series: str
    size: float  # repeats, sentences or megabytes
    unit: str
    code: int
    seconds: float
    peak_mb: float
    cut: str  # the limits the brief or stderr names


def _repeated(folder: Path, n: float) -> list[Path]:
    return textgen.repeated_reports(folder, int(n), size=None)


def _distinct(folder: Path, n: float) -> list[Path]:
    body = " ".join(
        f"The council approved budget item {k} on Monday evening after a debate."
        for k in range(int(n))
    )
    return [
        textgen.write_report(folder / f"near-{k}.txt", outlet, body, url=f"https://{k}.example")
        for k, outlet in enumerate(("Alpha Times", "Beta Post"))
    ]


def _one_report(folder: Path, n: float) -> list[Path]:
    body = textgen.varied_text(int(n * 1_000_000))
    return [textgen.write_report(folder / "big.txt", "Big Outlet", body, title="A long report")]


def _reports(folder: Path, n: float) -> list[Path]:
    return textgen.varied_reports(folder, int(n * 1_000_000), 100_000)


SERIES: dict[str, tuple[str, tuple[float, ...], Callable[[Path, float], list[Path]]]] = {
    "repeated": ("repeats", REPEATS, _repeated),
    "distinct": ("sentences", REPEATS, _distinct),
    "one report": ("MB", MEGABYTES, _one_report),
    "reports": ("MB", MEGABYTES, _reports),
}


def _cuts(cost: Cost) -> str:
    """The limits a run names (in the brief's notes or on stderr)."""
    text = cost.stdout + cost.stderr
    named = [
        name
        for name in ("sentences_per_report", "sentences_per_brief", "repeated", "text cut")
        if name in text
    ]
    return ", ".join(named)


def _run(folder: Path, paths: list[Path]) -> Cost:
    home = folder / "home"
    return run_cli(["brief", "--no-store", *map(str, paths)], env={"NEWSWEAVE_HOME": str(home)})


def _align_child(n: int) -> None:
    """In the child: embed n varied sentences of 100 reports, time align alone, print it."""
    import random
    import time

    from newsweave.records import Sentence
    from newsweave.text.embed import make_embedder
    from newsweave.writing.claims import align

    rng = random.Random(n)
    texts = list(dict.fromkeys(textgen.varied_sentence(rng) for _ in range(n)))
    sentences = [Sentence(f"report {k % 100}", k // 100, t) for k, t in enumerate(texts)]
    embedder = make_embedder("hybrid")
    vectors = embedder.encode(texts)
    start = time.monotonic()
    claims = align(sentences, vectors, embedder.thresholds.align)
    print(f"align_seconds {time.monotonic() - start:.3f} claims {len(claims)}")


def _align(n: int) -> tuple[Cost, float]:
    cost = run_script(HERE, ["--align-child", str(n)])
    found = [line.split() for line in cost.stdout.splitlines() if line.startswith("align_")]
    return cost, float(found[0][1]) if found else math.nan


def _print(row: Row) -> None:
    print(
        f"{row.series:<11} {row.size:>8,g} {row.unit:<9} {row.code:>4} {row.seconds:>8.1f} "
        f"{row.peak_mb:>8.0f}  {row.cut}",
        flush=True,
    )


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log y against log x."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(max(y, 1e-3)) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    den = sum((x - mx) ** 2 for x in lx)
    return sum((x - mx) * (y - my) for x, y in zip(lx, ly, strict=True)) / den if den else 0.0


def main(argv: list[str] | None = None) -> int:
    """Run every series, print the table and the slopes; 1 if a run failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="Only the first three sizes.")
    parser.add_argument("--json", type=Path, help="Write the rows here as well.")
    parser.add_argument("--align-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.align_child:
        _align_child(args.align_child)
        return 0
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        tiny = textgen.write_report(
            Path(tmp) / "tiny" / "in" / "tiny.txt", "Tiny Times", textgen.repeated_sentence(60)
        )
        base = _run(Path(tmp) / "tiny", [tiny])
        print(f"start-up (one short report): {base.seconds:.1f} s, {base.peak_mb:.0f} MB")
        print(f"{'series':<11} {'size':>18} {'exit':>4} {'seconds':>8} {'peak MB':>8}  cut")
        for name, (unit, sizes, make) in SERIES.items():
            for size in sizes[:3] if args.quick else sizes:
                folder = Path(tmp) / f"{name}-{size}".replace(" ", "-")
                cost = _run(folder, make(folder / "in", size))
                row = Row(name, size, unit, cost.code, cost.seconds, cost.peak_mb, _cuts(cost))
                rows.append(row)
                _print(row)
        for n in ALIGNED[:3] if args.quick else ALIGNED:
            cost, seconds = _align(n)
            row = Row("align", n, "sentences", cost.code, seconds, cost.peak_mb, "")
            rows.append(row)
            _print(row)
            if cost.code:
                print(str(cost), flush=True)
    print("\ngrowth exponent (log-log slope against size; n log n is a little over 1):")
    split = {
        "align, all pairs": lambda r: r.series == "align" and r.size <= EXACT_ROWS,
        "align, forest": lambda r: r.series == "align" and r.size > EXACT_ROWS,
    }
    for name in (*SERIES, "align", *split):
        mine = [r for r in rows if split.get(name, lambda r, n=name: r.series == n)(r)]
        if len(mine) < 2:
            continue
        sizes = [r.size for r in mine]
        line = f"  {name:<16} time {slope(sizes, [r.seconds for r in mine]):5.2f}"
        above = [(r.size, r.seconds - base.seconds) for r in mine if r.seconds > base.seconds + 1]
        if name in SERIES and len(above) >= 2:
            line += f"  (above start-up {slope(*map(list, zip(*above, strict=True))):5.2f})"
        print(f"{line:<57}  memory {slope(sizes, [r.peak_mb for r in mine]):5.2f}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2), encoding="utf-8")
    return 0 if all(r.code in (0, 3) for r in rows) and base.code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
