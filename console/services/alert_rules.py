"""Console-managed alert rules: evaluated against Prometheus, alerts through the pipeline.

Every `interval` seconds (15–30), each rule that is not paused is evaluated with an instant
query (`GET /api/v1/query`) on the first configured Prometheus. A rule is breached when any
sample of its query compares true with its threshold; once breached for its duration, an
alert titled `<query> <operator> <threshold> for <duration>` is raised through the writer,
exactly like an alert from an integration; when no longer breached (or paused, or deleted)
it is resolved. A failed query changes nothing, so a flapping Prometheus raises nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import operator as op
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from console.admin.settings import load_settings
from console.charts.prometheus import MetricsError, get_json
from console.engine.pipeline import AlertResult, Source, Submission
from console.ingest.normalized import Action, NormalizedAlert
from console.models import AlertRule
from console.services.loop_tasks import cancel_and_wait
from console.store import Store

log = logging.getLogger(__name__)
DEFAULT_INTERVAL = 20.0
SOURCE = Source(None, "Console alert rules")
COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": op.gt,
    ">=": op.ge,
    "<": op.lt,
    "<=": op.le,
    "==": op.eq,
    "!=": op.ne,
}

Submit = Callable[[Submission], Awaitable[list[AlertResult]]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule as read from the store."""

    id: int
    query: str
    operator: str
    threshold: float
    for_seconds: int
    severity: str


def duration_text(seconds: int) -> str:
    """`90` → `1m30s`; `0` → `0s`."""
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def rule_title(rule: Rule) -> str:
    """`<query> <operator> <threshold> for <duration>`."""
    return f"{rule.query} {rule.operator} {rule.threshold:g} for {duration_text(rule.for_seconds)}"


def fingerprint(rule_id: int) -> str:
    """The same for every notification of one rule."""
    return hashlib.sha1(f"console-alert-rule:{rule_id}".encode(), usedforsecurity=False).hexdigest()


def breached(rule: Rule, body: Any) -> float | None:
    """The first sample value that breaches the rule, or None."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise MetricsError("unexpected answer to an instant query")
    result = data.get("result")
    if data.get("resultType") == "scalar":
        result = [{"value": result}]
    for sample in result or []:
        value = float(sample["value"][1])
        if not math.isnan(value) and COMPARE[rule.operator](value, rule.threshold):
            return value
    return None


class RuleEvaluator:
    """Evaluates the stored rules in a loop; `run_once` for one pass (tests)."""

    def __init__(self, store: Store, submit: Submit, *, interval: float = DEFAULT_INTERVAL) -> None:
        self.store = store
        self.submit = submit
        self.interval = interval
        self.pending: dict[int, datetime] = {}  # breached since, not yet for long enough
        self.firing: dict[int, Rule] = {}
        self.unknown = True  # after a start, resolve what a previous run may have raised
        self._task: asyncio.Task[None] | None = None

    def _read(self) -> tuple[list[Rule], str]:
        with self.store.read() as session:
            settings = load_settings(session)
            rows = session.query(AlertRule).order_by(AlertRule.id).all()
            rules = [
                Rule(r.id, r.query, r.operator, r.threshold, r.for_seconds, r.severity)
                for r in rows
                if not r.paused
            ]
        urls = [str(u) for u in settings.get("prometheus_urls") or []]
        return rules, urls[0].rstrip("/") if urls else ""

    async def run_once(self, now: datetime | None = None) -> list[AlertResult]:
        """One pass over every rule; the pipeline's results for what it raised or resolved."""
        moment = now or datetime.now(UTC)
        rules, base = await asyncio.to_thread(self._read)
        alerts: list[NormalizedAlert] = []
        active = {rule.id for rule in rules}
        for rule_id in list(self.firing):
            if rule_id not in active:  # paused or deleted
                alerts.append(self._resolve(self.firing.pop(rule_id), moment))
        for rule_id in list(self.pending):
            if rule_id not in active:
                del self.pending[rule_id]
        if base:
            async with httpx.AsyncClient(timeout=10, follow_redirects=False) as client:
                for rule in rules:
                    alert = await self._evaluate(client, base, rule, moment)
                    if alert is not None:
                        alerts.append(alert)
        self.unknown = False
        if not alerts:
            return []
        return await self.submit(Submission(SOURCE, alerts))

    async def _evaluate(
        self, client: httpx.AsyncClient, base: str, rule: Rule, moment: datetime
    ) -> NormalizedAlert | None:
        try:
            body = await get_json(client, f"{base}/api/v1/query", {"query": rule.query})
            value = breached(rule, body)
        except (MetricsError, KeyError, TypeError, ValueError, IndexError) as exc:
            log.warning("alert rule %s not evaluated: %s", rule.id, exc)
            return None
        if value is None:
            self.pending.pop(rule.id, None)
            if rule.id in self.firing or self.unknown:
                self.firing.pop(rule.id, None)
                return self._resolve(rule, moment)
            return None
        since = self.pending.setdefault(rule.id, moment)
        if rule.id in self.firing or moment - since < timedelta(seconds=rule.for_seconds):
            return None
        self.firing[rule.id] = rule
        return self._trigger(rule, since, value, base)

    def _trigger(self, rule: Rule, since: datetime, value: float, base: str) -> NormalizedAlert:
        graph = f"{base}/graph?g0.expr={quote(rule.query, safe='')}"
        return NormalizedAlert(
            title=rule_title(rule),
            action=Action.TRIGGER,
            started_at=since,
            severity=rule.severity,
            fingerprint=fingerprint(rule.id),
            description=f"Value {value:g} at the last evaluation.",
            monitoring_tool="Prometheus",
            full_query=rule.query,
            payload={"generatorURL": graph, "rule_id": rule.id},
        )

    def _resolve(self, rule: Rule, moment: datetime) -> NormalizedAlert:
        return NormalizedAlert(
            title=rule_title(rule),
            action=Action.RESOLVE,
            started_at=moment,
            ended_at=moment,
            severity=rule.severity,
            fingerprint=fingerprint(rule.id),
            monitoring_tool="Prometheus",
            full_query=rule.query,
        )

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad pass must not end evaluation
                log.exception("alert rule evaluation failed")
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        """Evaluate every `interval` seconds on the running loop."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Stop evaluating."""
        await cancel_and_wait(self._task)
        self._task = None
