"""Hostile report texts written at test time: one sentence repeated, or many varied sentences.

Shared by tests/test_hostile_text.py and scripts/bench_hostile.py; nothing is stored in the
repository. Varied sentences are news-like (names, places, counts, days) and seeded, so a
size always gives the same text.
"""

from __future__ import annotations

import random
from pathlib import Path

REPEATED = "The council approved the new budget on Monday evening"
_MORE = "after a long debate about schools roads parks water and housing in the city".split()
_FUNCTION = frozenset({"after", "a", "about", "and", "in", "the"})

_FIRST = "Anna Ben Carla David Elena Farid Grace Hugo Irene Jonas Kemal Lena Marco Nadia".split()
_LAST = (
    "Alcorn Brandt Castillo Dumont Eriksen Fischer Garcia Haddad Ivanova Jensen Kowalski".split()
)
_PLACES = "Denver Lisbon Osaka Nairobi Quito Tallinn Perth Dakar Hanoi Lyon Cork Tucson".split()
_NOUNS = (
    "budget bridge school hospital election strike flood fire vote contract storm trial "
    "border harbour railway factory festival museum market reservoir"
).split()
_VERBS = (
    "approved rejected delayed opened closed inspected funded reviewed announced blocked "
    "expanded repaired"
).split()
_COUNTED = "people workers students residents passengers officers homes vehicles".split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def repeated_sentence(length: int) -> str:
    """One sentence of about `length` characters (at least the base sentence)."""
    sentence, best, k = REPEATED, REPEATED, 0
    while len(sentence) + len(_MORE[k % len(_MORE)]) + 2 < length:
        sentence += " " + _MORE[k % len(_MORE)]
        if _MORE[k % len(_MORE)] not in _FUNCTION:
            best = sentence  # the longest that ends on a content word
        k += 1
    return best + "."


def varied_sentence(rng: random.Random) -> str:
    """One news-like sentence: a person, a place, an action, a count and a day."""
    who = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    return (
        f"{who} said the {rng.choice(_NOUNS)} in {rng.choice(_PLACES)} was "
        f"{rng.choice(_VERBS)} after {rng.randint(2, 9_999):,} {rng.choice(_COUNTED)} "
        f"gathered on {rng.choice(_DAYS)}, according to {rng.choice(_LAST)}."
    )


def varied_text(size: int, seed: int = 0, paragraph: int = 5) -> str:
    """About `size` characters of varied sentences, a paragraph every `paragraph` (0: one line)."""
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size:
        sentence = varied_sentence(rng)
        end = "\n\n" if paragraph and len(parts) % paragraph == paragraph - 1 else " "
        parts.append(sentence + end)
        total += len(sentence) + len(end)
    return "".join(parts)


def write_report(path: Path, outlet: str, body: str, title: str = "", url: str = "") -> Path:
    """A .txt report with a header (outlet, url, title) and the body after a blank line."""
    header = f"outlet: {outlet}\n"
    header += f"url: {url}\n" if url else ""
    header += f"title: {title}\n" if title else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + body, encoding="utf-8")
    return path


def repeated_reports(folder: Path, repeats: int, size: int | None = 232_000) -> list[Path]:
    """Two reports (two outlets) saying one sentence `repeats` times on one line, `size` long."""
    # size None: the sentence has 116 characters, whatever the count.
    folder.mkdir(parents=True, exist_ok=True)
    sentence = repeated_sentence(size // repeats - 1 if size else 116)
    return [
        write_report(
            folder / f"repeated-{k}.txt",
            outlet,
            " ".join([sentence] * repeats),
            title="Council approves the new city budget",
            url=f"https://{outlet.split()[0].lower()}.example/budget",
        )
        for k, outlet in enumerate(("Alpha Times", "Beta Post"))
    ]


def varied_reports(folder: Path, total: int, per_report: int, seed: int = 0) -> list[Path]:
    """Reports of `per_report` characters of varied sentences, `total` in all, one outlet each."""
    # They share names, places and numbers, so many sentences are close across reports.
    folder.mkdir(parents=True, exist_ok=True)
    count = max(1, round(total / per_report))
    return [
        write_report(
            folder / f"varied-{k:04d}.txt",
            f"Outlet {k}",
            varied_text(per_report, seed=seed + k),
            title=f"Officials report on the city budget, part {k}",
            url=f"https://outlet{k}.example/story",
        )
        for k in range(count)
    ]
