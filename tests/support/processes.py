"""Background server processes for tests: start, wait until they answer, stop, show logs."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Mapping, Sequence


@dataclass
class ServerProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes]

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_until_answering(self, url: str, timeout: float) -> None:
        """Poll `url` until it answers with a status below 500, or fail with the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status < 500:
                        return
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{self.name} did not answer {url} in {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 15) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        self._log.close()


def start_server(
    name: str, command: Sequence[str], env: Mapping[str, str], log_dir: Path, cwd: Path
) -> ServerProcess:
    """Start `command` in its own process group, output to `log_dir/<name>.log` (unbuffered, so
    a test reading the log sees everything written so far)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        list(command),
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    return ServerProcess(name, process, log_path, log)
