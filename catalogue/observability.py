"""What operators see: structured logs with a request id, and Prometheus metrics.

Logs: every record (the service's own, the server's, the libraries') goes out through structlog,
one JSON object per line when LOG_FORMAT=json (the default) or as readable lines with
LOG_FORMAT=console. Each request is logged once when it ends: request id, method, route template,
status, latency, and the user id of a signed-in caller (never a token or a name). The request id is
the proxy's ``X-Request-ID`` when the request came through a trusted proxy (TRUSTED_PROXIES),
otherwise a new one; it is sent back in ``X-Request-ID`` and is bound to every record logged while
the request is handled.

Metrics: prometheus-client; with several workers each writes its figures to files in
PROMETHEUS_MULTIPROC_DIR (`catalogue serve` sets it up) and /metrics sums them across workers.
Gauges of the outbox are read from the database when scraped, so they are the same whichever worker
answers."""

from __future__ import annotations

import functools
import logging
import os
import random
import re
import sys
import time
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

log = structlog.get_logger("catalogue.requests")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")

# --- logs ---------------------------------------------------------------------------------------

_configured: tuple[str, str] | None = None


def _drop_color(logger, name, event: dict) -> dict:
    event.pop("color_message", None)  # the server's coloured copy of the message
    return event


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Route every logger through one structlog formatter on stderr (idempotent per level/format)."""
    global _configured
    if _configured == (level, fmt):
        return
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_color],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name("catalogue")
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != "catalogue"] + [handler]
    root.setLevel(level)
    # the server's own loggers write through ours (its access log is replaced by the request log)
    for name in ("uvicorn", "uvicorn.error", "granian"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    _configured = (level, fmt)


# --- metrics ------------------------------------------------------------------------------------

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("catalogue_http_requests_total", "HTTP requests answered, by route template and status",
                   ["method", "route", "status"])
LATENCY = Histogram("catalogue_http_request_duration_seconds", "Time to answer a request, by route template",
                    ["method", "route"], buckets=LATENCY_BUCKETS)
WORKFLOW_ACTIONS = Counter("catalogue_workflow_actions_total", "Workflow actions on cases, by action and outcome",
                           ["action", "outcome"])
NOTIFICATIONS = Counter("catalogue_notifications_delivered_total",
                        "E-mail delivery attempts from the outbox, by result (sent, retry, failed)", ["result"])
SEARCH_CACHE = Counter("catalogue_search_cache_total", "Searches answered from kept answers (hit) or computed (miss)",
                       ["result"])


def search_cache(hit: bool) -> None:
    SEARCH_CACHE.labels("hit" if hit else "miss").inc()


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    status = getattr(exc, "status_code", 500)
    if status in (409, 412, 428):
        return "conflict"
    if status in (401, 403, 404):
        return "refused"
    return "invalid" if 400 <= status < 500 else "error"


def counted_action(fn):
    """Count a workflow action (``fn(case_id, request, ...)``) by its action and outcome."""
    @functools.wraps(fn)
    async def wrapper(case_id, request, *args, **kwargs):
        try:
            result = await fn(case_id, request, *args, **kwargs)
        except BaseException as exc:
            WORKFLOW_ACTIONS.labels(getattr(request, "action", "?")[:40], _outcome(exc)).inc()
            raise
        WORKFLOW_ACTIONS.labels(getattr(request, "action", "?")[:40], "ok").inc()
        return result
    return wrapper


class OutboxCollector:
    """The outbox's rows by delivery state and the age of the oldest waiting one, read at scrape."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.oldest: float | None = None

    async def refresh(self) -> None:
        from workflows.tables import Notification

        self.rows = await Notification.raw("SELECT delivery, COUNT(*) AS n FROM notification GROUP BY delivery")
        oldest = await Notification.select(Notification.created_at).where(
            Notification.delivery.is_in(["pending", "sending"])).order_by(Notification.id).limit(1)
        self.oldest = None
        if oldest:
            import datetime

            stamp = oldest[0]["created_at"]
            if isinstance(stamp, str):
                stamp = datetime.datetime.fromisoformat(stamp)
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=datetime.timezone.utc)
            self.oldest = max(0.0, (datetime.datetime.now(datetime.timezone.utc) - stamp).total_seconds())

    def collect(self):
        backlog = GaugeMetricFamily("catalogue_outbox_notifications", "Outbox rows by delivery state "
                                    "(pending and sending: the backlog; failed: given up)", labels=["delivery"])
        for row in self.rows:
            backlog.add_metric([row["delivery"]], row["n"])
        yield backlog
        age = GaugeMetricFamily("catalogue_outbox_oldest_waiting_seconds",
                                "Age of the oldest e-mail still waiting to be sent (0 when none)")
        age.add_metric([], self.oldest or 0.0)
        yield age


async def render_metrics() -> tuple[bytes, str]:
    """The exposition text: this worker's figures (or, with PROMETHEUS_MULTIPROC_DIR, every
    worker's, summed) and the outbox read now."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    outbox = OutboxCollector()
    await outbox.refresh()
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Proxy(REGISTRY))
    registry.register(outbox)
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Proxy:
    def __init__(self, registry) -> None:
        self.registry = registry

    def collect(self):
        yield from self.registry.collect()


def prepare_multiprocess_dir(var_dir) -> str:
    """A fresh directory for the workers' metric files (old files would add up a dead run)."""
    import shutil
    from pathlib import Path

    path = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or Path(var_dir) / "metrics")
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


# --- the request middleware ---------------------------------------------------------------------


class RequestObservation:
    """ASGI wrapper around the whole app: a request id, one log line and the metrics per request."""

    def __init__(self, app, settings) -> None:
        self.app = app
        self.settings = settings

    def _request_id(self, scope) -> str:
        from catalogue.security.ratelimit import _in

        client = scope.get("client")
        if self.settings.trusted_proxies and client and _in(client[0], self.settings.trusted_proxies):
            for name, value in scope.get("headers", ()):
                if name == b"x-request-id":
                    text = value.decode("latin-1").strip()
                    if _REQUEST_ID.match(text):
                        return text
        return f"{random.getrandbits(128):032x}"  # an id, not a secret (uuid4 reads os.urandom: 60 µs here)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._request_id(scope)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or ("unmatched" if status == 404 else "other")
            method = scope.get("method", "")
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            user = scope.get("user")
            user_id = getattr(user, "user_id", None)
            log.info("request", method=method, route=route, status=status,
                     latency_ms=round(elapsed * 1000, 2), user_id=user_id)
            structlog.contextvars.unbind_contextvars("request_id")
