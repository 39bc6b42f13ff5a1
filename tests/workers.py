"""Helpers for tests that run the service as real worker processes (no tests of its own):
`catalogue serve` started on one shared database, and an SMTP server that records what it accepts."""

from __future__ import annotations

import asyncio
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

CATALOGUE = str(Path(sys.executable).parent / "catalogue")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Worker:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no goodbye to the database."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def worker_env(settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"SIGNING_KEY", "SIGNING_KEY_FILE", "DEMO_MODE", "HOST", "PORT", "DATABASE_URL", "VAR_DIR",
                        "SMTP_HOST", "PROMETHEUS_MULTIPROC_DIR"}}
    env.update(DATABASE_URL=settings.database_url, VAR_DIR=str(settings.var_dir),
               SIGNING_KEY=settings.signing_key_pem, LOG_LEVEL="INFO", SCHEDULER_INTERVAL_SECONDS="0",
               DB_POOL_SIZE="4")
    env.update(extra)
    return env


def start_worker(settings, name: str, workers: int = 1, **extra: str) -> Worker:
    """Start one `catalogue serve` process on the test's database and wait until /ready says so."""
    port = free_port()
    log = Path(settings.var_dir) / f"worker-{name}.log"
    handle = log.open("w")
    process = subprocess.Popen([CATALOGUE, "serve", "--no-migrate", "--port", str(port), "--workers", str(workers)],
                               env=worker_env(settings, **extra), stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    worker = Worker(process, port, log)
    deadline = time.monotonic() + 90
    while True:
        assert process.poll() is None, worker.output()
        try:
            if httpx.get(f"{worker.url}/ready", timeout=2).status_code == 200:
                return worker
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"worker {name} did not become ready:\n{worker.output()}"
        time.sleep(0.1)  # polling for readiness, not waiting out a race


def wait_until(condition, timeout: float = 60, what: str = "the condition") -> None:
    """Poll ``condition`` (a state in another process, which cannot notify us) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


class Mailbox:
    """An SMTP server's handler that records the Message-ID of every message it accepts (a 250
    reply). With ``hold_at`` = n, the n-th message received is held without a reply until
    ``release`` is set, and then refused: a sender killed meanwhile never had it delivered."""

    def __init__(self, hold_at: int | None = None) -> None:
        self.hold_at = hold_at
        self.received = 0
        self.accepted: list[str] = []
        self.held = threading.Event()
        self.release = threading.Event()
        self.changed = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        with self.changed:
            self.received += 1
            number = self.received
        if number == self.hold_at:
            self.held.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
            return "451 4.3.0 Try again later"
        with self.changed:
            self.accepted.append(message["Message-ID"])
            self.changed.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 60) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.accepted) >= count, timeout)


class SmtpServer:
    def __init__(self, mailbox: Mailbox) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.controller = Controller(mailbox, hostname="127.0.0.1", port=self.port)
        self.mailbox = mailbox

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.mailbox.release.set()
        self.controller.stop()

    def env(self) -> dict[str, str]:
        return dict(SMTP_HOST="127.0.0.1", SMTP_PORT=str(self.port), SMTP_STARTTLS="false",
                    PUBLIC_BASE_URL="http://127.0.0.1", SMTP_FROM="katalog@fjordvik.kommune.no")
