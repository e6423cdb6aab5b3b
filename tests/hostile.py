"""Run newsweave in a subprocess and measure what it cost: wall time and peak memory.

The hostile-input tests assert generous bounds (a busy 2-core machine must not fail them):
the point is to tell seconds and megabytes from minutes and gigabytes. The child also runs
under an address-space ceiling well above the bound, so a regression fails the test with a
MemoryError instead of taking the machine down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Bounds from issue 13: any input of 10 MB or less within these.
SECONDS = 60.0
MEGABYTES = 1_000.0
_CEILING_BYTES = 4 * 1024**3  # the child dies of MemoryError past this, well over the bound

_WRAPPER = r"""
import json, os, resource, runpy, sys
ceiling, report_fd = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
mode, target = sys.argv[3], sys.argv[4]
sys.argv = [target] + sys.argv[5:]
code = 0
try:
    if mode == "module":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        exec(compile(open(target).read(), target, "exec"), {"__name__": "__main__"})
except SystemExit as stop:
    code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
finally:
    peak_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    with os.fdopen(report_fd, "w") as out:
        out.write(json.dumps({"peak_kb": peak_kb, "code": code}))
sys.exit(code)
"""


@dataclass(frozen=True)
class Cost:
    """What one bounded run printed and cost."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float

    def within(self, seconds: float = SECONDS, megabytes: float = MEGABYTES) -> bool:
        """True when the run stayed inside both bounds."""
        return self.seconds <= seconds and self.peak_mb <= megabytes

    def __str__(self) -> str:
        tail = self.stderr.strip().splitlines()[-5:]
        return f"exit {self.code}, {self.seconds:.1f} s, {self.peak_mb:.0f} MB; stderr: {tail}"


def _run(
    mode: str, target: str, args: list[str], env: dict[str, str] | None, timeout: float
) -> Cost:
    read_end, write_end = os.pipe()
    child_env = {**os.environ, **(env or {})}
    start = time.monotonic()
    try:
        command = [sys.executable, "-c", _WRAPPER, str(_CEILING_BYTES), str(write_end)]
        proc = subprocess.run(
            [*command, mode, target, *args],
            capture_output=True,
            text=True,
            env=child_env,
            timeout=timeout,
            # the child writes its measurements to this pipe, apart from stdout and stderr
            pass_fds=(write_end,),
        )
    finally:
        os.close(write_end)
    seconds = time.monotonic() - start
    with os.fdopen(read_end) as handle:
        raw = handle.read()
    measured = json.loads(raw) if raw else {"peak_kb": 0, "code": proc.returncode}
    return Cost(
        code=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        seconds=seconds,
        peak_mb=measured["peak_kb"] / 1024,
    )


def run_cli(
    args: list[str], *, env: dict[str, str] | None = None, timeout: float = 3 * SECONDS
) -> Cost:
    """`newsweave ARGS` in a subprocess; the timeout is a backstop well over the bound."""
    return _run("module", "newsweave", args, env, timeout)


def run_script(
    path: Path, args: list[str] = (), *, env: dict[str, str] | None = None,
    timeout: float = 3 * SECONDS,
) -> Cost:  # fmt: skip
    """A Python file in a subprocess, measured the same way."""
    return _run("script", str(path), list(args), env, timeout)
