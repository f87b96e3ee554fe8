"""The web app as a separate uvicorn process, for the tests and benchmarks that need a real one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def start_web_process(
    port: int,
    env: Mapping[str, str] | None = None,
    *,
    workers: int = 1,
    factory: str = "leadrouter.runtime:create_web_app",
) -> subprocess.Popen[bytes]:
    """`uvicorn --factory leadrouter.runtime:create_web_app` on 127.0.0.1:`port`, permessage-deflate
    off; `env` is laid over this process's environment.

    Another `factory` (importable from the repository root) runs under the very same server settings:
    the board benchmark's bare broadcast floor uses that.
    """
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            factory,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--ws-per-message-deflate",
            "false",
            "--workers",
            str(workers),
        ],
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def wait_until_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    """Return once `url`/healthz answers 200; raise if the process exits or the time runs out.

    A cold start imports the model runtime and the explainer (about 5 s on a quiet machine); the
    limit leaves room for a machine busy with other work."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"web process exited with {process.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"web process did not become ready within {timeout:.0f} s")
