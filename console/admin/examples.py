"""Example payloads a test alert starts from, one per integration type.

An HTTP endpoint gets a generic payload (GitLab's documented fields); a Prometheus
integration gets an Alertmanager webhook v4 body with one firing alert. Times are the
moment of the call, so a test alert reads as new.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def generic_example() -> dict[str, Any]:
    """A generic alert with every documented field."""
    return {
        "title": "Test alert: disk usage above 90%",
        "description": "Sent from the console's integration settings to check the endpoint.",
        "start_time": _now(),
        "service": "storage",
        "monitoring_tool": "Incident Console",
        "hosts": ["db-1.example.internal"],
        "severity": "low",
        "fingerprint": "incident-console-test-alert",
        "environment": "test",
    }


def alertmanager_example() -> dict[str, Any]:
    """An Alertmanager webhook v4 notification holding one firing alert."""
    labels = {"alertname": "TestAlert", "severity": "warning", "instance": "db-1:9100"}
    return {
        "version": "4",
        "groupKey": '{}:{alertname="TestAlert"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "incident-console",
        "groupLabels": {"alertname": "TestAlert"},
        "commonLabels": labels,
        "commonAnnotations": {"summary": "Test alert from the console"},
        "externalURL": "http://alertmanager.example.internal:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {
                    "title": "Test alert: disk usage above 90%",
                    "description": "Sent from the console's integration settings.",
                },
                "startsAt": _now(),
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": (
                    "http://prometheus.example.internal:9090/graph?"
                    "g0.expr=node_filesystem_avail_bytes+%3C+0.1&g0.tab=1"
                ),
                "fingerprint": "0123456789abcdef",
            }
        ],
    }


def example_for(kind: str) -> dict[str, Any]:
    """The example payload for an integration of type `kind`."""
    return alertmanager_example() if kind == "prometheus" else generic_example()


def example_text(kind: str) -> str:
    """The example as indented JSON text, ready for an editor."""
    return orjson.dumps(example_for(kind), option=orjson.OPT_INDENT_2).decode()
