"""Load benchmark of the reader: requests per second and latency of one page on 127.0.0.1.

    .venv/bin/python scripts/load_web.py [--duration 20] [--connections 32] [--tool auto|wrk|python]

Builds a data directory from the demo reports (unless --home is given), starts
`newsweave serve` on a free port of 127.0.0.1, and loads the story page with wrk (if installed:
`apt-get install -y wrk`) or with the asyncio generator below, each in its own process. On a
machine with two or more cores the server is pinned to core 0 and the generator to core 1, so
the generator does not take the server's CPU. Every request loop is bounded in time and only
ever talks to 127.0.0.1. Exits 1 if the goals (--min-rps, --max-p99-ms, no errors) are missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HOST = "127.0.0.1"
DEMO_THRESHOLD = 0.34  # keeps the five demo reports in one story


@dataclass(frozen=True)
class Result:
    """What one load run measured."""

    tool: str
    path: str
    connections: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def build_demo_home(home: Path) -> None:
    """Ingest the bundled demo reports into a data directory."""
    from importlib.resources import files

    from newsweave.config import Settings
    from newsweave.pipeline.library import ingest
    from newsweave.stories.clustering import StorySettings

    demo = Path(str(files("newsweave") / "demo"))
    run = ingest([demo], Settings(home=home), StorySettings(threshold=DEMO_THRESHOLD))
    if not run.briefs:
        raise SystemExit(f"the demo made no brief: {run.failures}")


def pin(pid: int, cpu: int) -> None:
    """Keep a process on one CPU, when the machine has more than one."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(pid, {cpu})


def start_server(home: Path, port: int) -> subprocess.Popen[bytes]:
    """`newsweave serve` in its own process, answering once it is up."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from newsweave.cli import main; main()",
            "--home",
            str(home),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    pin(server.pid, 0)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"newsweave serve exited: {server.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("newsweave serve did not start within 30 s")


def get(port: int, path: str) -> tuple[int, bytes]:
    """One GET on a fresh connection: status and body."""
    import http.client

    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _ms(text: str) -> float:
    """A wrk duration ("812.00us", "3.5ms", "1.02s") in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"cannot read wrk duration {text!r}")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(port: int, path: str, connections: int, seconds: int) -> Result:
    """Load with wrk (one thread) and read its report."""
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "2s",
        f"http://{HOST}:{port}{path}",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    pin(process.pid, 1)
    out, _ = process.communicate(timeout=seconds + 30)
    percent = {p: _ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)$", out, re.MULTILINE)}
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    elapsed = re.search(r"requests in ([\d.]+\w+),", out).group(1)  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    max_ms = _ms(re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    return Result(
        tool="wrk",
        path=path,
        connections=connections,
        seconds=_ms(elapsed) / 1000,
        requests=requests,
        errors=errors,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=percent["50"],
        p90_ms=percent["90"],
        p99_ms=percent["99"],
        max_ms=max_ms,
    )


async def _client(port: int, path: str, deadline: float, times: list[float]) -> int:
    """One keep-alive connection sending GETs until the deadline; returns its error count."""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()
    errors = 0
    reader = writer = None
    while time.perf_counter() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            assert reader is not None
            start = time.perf_counter()
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
            length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            if length is None:
                raise ValueError("no content-length")
            await asyncio.wait_for(reader.readexactly(int(length.group(1))), 2)
            times.append(time.perf_counter() - start)
            if head[9:12] != b"200":
                errors += 1
        except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError):
            errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()
    return errors


def _generate(
    port: int, path: str, connections: int, seconds: int, out: multiprocessing.Queue
) -> None:  # type: ignore[type-arg]
    """The asyncio generator's process: run the clients, send back timings and errors."""
    pin(0, 1)

    async def main() -> tuple[list[float], int]:
        times: list[float] = []
        deadline = time.perf_counter() + seconds
        errors = await asyncio.gather(
            *(_client(port, path, deadline, times) for _ in range(connections))
        )
        return times, sum(errors)

    started = time.perf_counter()
    times, errors = asyncio.run(main())
    out.put((times, errors, time.perf_counter() - started))


def run_python(port: int, path: str, connections: int, seconds: int) -> Result:
    """Load with the asyncio generator in a separate process."""
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    worker = multiprocessing.Process(
        target=_generate, args=(port, path, connections, seconds, queue)
    )
    worker.start()
    times, errors, elapsed = queue.get(timeout=seconds + 60)
    worker.join()
    times.sort()

    def pct(p: float) -> float:
        return 1000 * times[min(len(times) - 1, int(p * len(times)))] if times else float("nan")

    return Result(
        tool="python",
        path=path,
        connections=connections,
        seconds=elapsed,
        requests=len(times),
        errors=errors,
        rps=len(times) / elapsed,
        p50_ms=pct(0.50),
        p90_ms=pct(0.90),
        p99_ms=pct(0.99),
        max_ms=1000 * times[-1] if times else float("nan"),
    )


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="A data directory (default: the demo, built).")
    parser.add_argument("--path", help="The path to load (default: the first story's page).")
    parser.add_argument("--duration", type=int, default=20, help="Seconds of load (max 120).")
    parser.add_argument("--connections", type=int, default=32, help="Concurrent connections.")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--min-rps", type=float, default=500.0)
    parser.add_argument("--max-p99-ms", type=float, default=100.0)
    parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
    args = parser.parse_args()
    seconds = max(1, min(120, args.duration))
    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
    with tempfile.TemporaryDirectory(prefix="newsweave-load-") as scratch:
        home = args.home
        if home is None:
            home = Path(scratch) / "home"
            build_demo_home(home)
        port = free_port()
        server = start_server(home, port)
        try:
            path = args.path
            if path is None:
                status, body = get(port, "/api/stories?limit=1")
                stories = json.loads(body)["stories"] if status == 200 else []
                if not stories:
                    raise SystemExit("no story to load: ingest reports first")
                path = stories[0]["links"]["page"]
            status, body = get(port, path)
            if status != 200:
                raise SystemExit(f"GET {path} answered {status}")
            for _ in range(50):  # warm the cache and the connection paths
                get(port, path)
            runner = run_wrk if tool == "wrk" else run_python
            result = runner(port, path, args.connections, seconds)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    if args.json:
        print(json.dumps(asdict(result), indent=1))
    else:
        print(
            f"{result.tool}: GET {result.path} ({len(body)} bytes), {result.connections} "
            f"connections, {result.seconds:.1f} s, {os.cpu_count()} cores\n"
            f"requests {result.requests}, errors {result.errors}, {result.rps:.0f} req/s, "
            f"p50 {result.p50_ms:.2f} ms, p90 {result.p90_ms:.2f} ms, "
            f"p99 {result.p99_ms:.2f} ms, max {result.max_ms:.2f} ms"
        )
    met = result.rps >= args.min_rps and result.p99_ms < args.max_p99_ms and not result.errors
    print(
        f"goal (>= {args.min_rps:.0f} req/s, p99 < {args.max_p99_ms:.0f} ms, no errors): "
        + ("met" if met else "MISSED")
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
