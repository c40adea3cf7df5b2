"""The listener over real HTTP: every status code, auth form, limit and payload shape."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from console.admin import integrations as integrations_admin
from tests.conftest import FORMATS, Endpoint, RunningListener, add_integration, set_settings


def body(name: str) -> bytes:
    return (FORMATS / name).read_bytes()


def post(
    client: httpx.Client, endpoint: Endpoint, content: bytes | str, **headers: str
) -> httpx.Response:
    return client.post(endpoint.url, content=content, headers={**endpoint.headers, **headers})


def assert_json_error(response: httpx.Response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert fragment.lower() in error.lower(), error


def test_generic_alert_is_accepted_after_commit(client, endpoint, store):
    response = post(client, endpoint, body("generic-alert.json"))
    assert response.status_code == 200
    [result] = response.json()
    assert result["iid"] == 1
    assert result["title"] == "Checkout latency above 2s"
    assert result["outcome"] == "created"
    # 2xx means committed: a fresh reader sees it at once.
    from console.queries import list_alerts

    with store.read() as session:
        assert [a.iid for a in list_alerts(session)] == [1]


def test_basic_auth_with_empty_user(client, endpoint):
    creds = base64.b64encode(f":{endpoint.token}".encode()).decode()
    response = client.post(
        endpoint.url,
        content=body("generic-alert.json"),
        headers={"Authorization": f"Basic {creds}"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("authorization", "fragment"),
    [
        (None, "missing token"),
        ("Bearer", "missing token"),
        ("Bearer wrong-token", "invalid token"),
        ("Token abc", "missing token"),
        ("Basic !!!notbase64", "missing token"),
        ("Basic " + base64.b64encode(b"user-only").decode(), "missing token"),
    ],
)
def test_missing_or_wrong_token_is_401(client, endpoint, authorization, fragment):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.post(endpoint.url, content=body("generic-alert.json"), headers=headers)
    assert_json_error(response, 401, fragment)


def test_wrong_basic_password_is_401(client, endpoint):
    creds = base64.b64encode(b":not-the-token").decode()
    response = client.post(endpoint.url, content=b"{}", headers={"Authorization": f"Basic {creds}"})
    assert_json_error(response, 401, "invalid token")


def test_unknown_integration_is_404(client, endpoint, listener):
    url = f"{listener.base}/alerts/notify/x/0123456789abcdef.json"
    response = client.post(url, content=b"{}", headers=endpoint.headers)
    assert_json_error(response, 404, "no integration")


def test_path_without_json_suffix_is_404(client, endpoint):
    response = client.post(
        endpoint.url.removesuffix(".json"), content=b"{}", headers=endpoint.headers
    )
    assert_json_error(response, 404, ".json")


def test_inactive_integration_is_403(client, endpoint, store, listener):
    with store.write() as session:
        integrations_admin.set_active(session, endpoint.name, False)
    listener.refresh_integrations()
    response = post(client, endpoint, body("generic-alert.json"))
    assert_json_error(response, 403, "not active")


def test_regenerated_token_replaces_the_old_one(client, endpoint, store, listener):
    with store.write() as session:
        new_token = integrations_admin.regenerate_token(session, endpoint.name).token
    listener.refresh_integrations()
    assert_json_error(post(client, endpoint, b"{}"), 401, "invalid token")
    response = client.post(
        endpoint.url,
        content=body("generic-alert.json"),
        headers={"Authorization": f"Bearer {new_token}"},
    )
    assert response.status_code == 200


def test_body_over_one_mib_is_413_before_parsing(client, endpoint):
    huge = b'{"title": "' + b"x" * (1024 * 1024) + b'"}'
    assert_json_error(post(client, endpoint, huge), 413, "larger than")


def test_chunked_body_over_one_mib_is_413(client, endpoint):
    def chunks():
        yield b'{"title": "'
        for _ in range(1100):
            yield b"x" * 1024
        yield b'"}'

    response = client.post(endpoint.url, content=chunks(), headers=endpoint.headers)
    assert_json_error(response, 413, "larger than")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"{not json", "not valid JSON"),
        (b'{"title": "caf\xe9"}', "UTF-8"),
        (b"[" * 101 + b"]" * 101, "deeper than 100"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "deeper than 100"),
        (b"[1, 2, 3]", "JSON object"),
        (b'"a string"', "JSON object"),
        (b'{"title": "x", "hosts": [["nested"]]}', "hosts"),
        (b'{"title": {"an": "object"}}', "title"),
        (b'{"value": NaN}', "not valid JSON"),
    ],
)
def test_bad_bodies_are_400_with_a_reason(client, endpoint, content, fragment):
    assert_json_error(post(client, endpoint, content), 400, fragment)


def test_nesting_of_exactly_100_is_accepted(client, endpoint):
    nested = '{"title": "deep", "extra": ' + "[" * 99 + "]" * 99 + "}"
    assert post(client, endpoint, nested).status_code == 200


def test_alertmanager_version_other_than_4_is_422(client, endpoint):
    payload = json.loads(body("alertmanager-v4-firing.json"))
    payload["version"] = "3"
    assert_json_error(post(client, endpoint, json.dumps(payload)), 422, "version")


def test_alertmanager_body_missing_keys_is_400(client, endpoint):
    payload = json.loads(body("alertmanager-v4-firing.json"))
    del payload["groupKey"]
    assert_json_error(post(client, endpoint, json.dumps(payload)), 400, "groupKey")


def test_alertmanager_each_alert_is_one_alert(client, endpoint):
    payload = json.loads(body("alertmanager-v4-firing.json"))
    second = json.loads(json.dumps(payload["alerts"][0]))
    second["fingerprint"] = "0000000000000002"
    second["labels"]["instance"] = "db02:9100"
    payload["alerts"].append(second)
    response = post(client, endpoint, json.dumps(payload))
    assert response.status_code == 200
    assert [r["iid"] for r in response.json()] == [1, 2]
    resolved = post(client, endpoint, body("alertmanager-v4-resolved.json")).json()
    assert resolved[0]["outcome"] == "resolved" and resolved[0]["iid"] == 1


def test_pagerduty_event_answers_202(client, endpoint):
    response = post(client, endpoint, body("pagerduty-events-v2-trigger.json"))
    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "disk-db01",
    }
    resolve = {"routing_key": "x", "event_action": "resolve", "dedup_key": "disk-db01"}
    response = post(client, endpoint, json.dumps(resolve))
    assert response.status_code == 202 and response.json()["dedup_key"] == "disk-db01"


def test_recovery_without_open_alert_is_409(client, endpoint):
    response = post(client, endpoint, body("generic-alert-recovery.json"))
    assert_json_error(response, 409, "not open")


def test_unknown_route_and_method_are_json(client, listener, endpoint):
    assert_json_error(client.get(f"{listener.base}/nope"), 404, "no route")
    assert_json_error(client.get(endpoint.url), 405, "not allowed")


def test_healthz_reports_listener_and_store(client, listener):
    response = client.get(f"{listener.base}/healthz")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["store"]["ok"] is True
    assert health["listener"]["address"] == listener.base


def test_metrics_count_alerts_by_integration_and_outcome(client, endpoint, listener):
    post(client, endpoint, body("generic-alert.json"))
    post(client, endpoint, body("generic-alert.json"))
    text = client.get(f"{listener.base}/metrics").text
    assert (
        'incident_console_alerts_received_total{integration="monitoring",outcome="created"} 1'
        in text
    )
    assert (
        'incident_console_alerts_received_total{integration="monitoring",outcome="repeated"} 1'
        in text
    )
    assert "incident_console_ingest_latency_seconds_count 2" in text
    assert "incident_console_queue_depth 0" in text
    assert "incident_console_commit_batch_alerts_count" in text


def test_custom_mapping_reads_title_from_a_path(client, endpoint, store, listener):
    with store.write() as session:
        integrations_admin.set_mapping(
            session, endpoint.name, ["title=alert/name", "severity=alert/level"]
        )
    listener.refresh_integrations()
    payload = {"alert": {"name": "Queue depth high", "level": "warning"}, "fingerprint": "q"}
    [result] = post(client, endpoint, json.dumps(payload)).json()
    assert result["title"] == "Queue depth high"
    fallback = {"title": "Plain title", "fingerprint": "p"}
    [result] = post(client, endpoint, json.dumps(fallback)).json()
    assert result["title"] == "Plain title"


def test_incident_created_when_setting_is_on(client, endpoint, store):
    set_settings(store, create_incident="true")
    [result] = post(client, endpoint, body("generic-alert.json")).json()
    assert result["incident_iid"] == 1


def test_overload_answers_503_with_retry_after(store):
    """A tiny queue and a burst of concurrent posts: the excess gets 503 + Retry-After."""
    import asyncio

    busy = RunningListener(store, max_pending=1)
    try:
        point = _endpoint_on(store, busy)

        async def burst() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=10) as client:
                return await asyncio.gather(
                    *(
                        client.post(
                            point.url,
                            json={"title": f"storm {n}", "fingerprint": str(n)},
                            headers=point.headers,
                        )
                        for n in range(64)
                    )
                )

        refused: list[httpx.Response] = []
        for _ in range(5):
            responses = asyncio.run(burst())
            assert {r.status_code for r in responses} <= {200, 503}
            refused += [r for r in responses if r.status_code == 503]
            if refused:
                break
        assert refused, "no request was refused with a queue of one"
        assert refused[0].headers["Retry-After"] == "1"
        assert "overloaded" in refused[0].json()["error"]
        with httpx.Client(timeout=10) as client:
            later = client.post(
                point.url, json={"title": "after", "fingerprint": "z"}, headers=point.headers
            )
        assert later.status_code == 200
    finally:
        busy.stop()


def _endpoint_on(store, running: RunningListener) -> Endpoint:
    from tests.conftest import add_integration

    point = add_integration(store, running.base, name="busy")
    running.refresh_integrations()
    return point


def test_integration_added_while_running_works_at_once(client, store, listener):
    point = add_integration(store, listener.base, name="just-added")
    response = client.post(point.url, content=body("generic-alert.json"), headers=point.headers)
    assert response.status_code == 200


def test_setting_changed_while_running_applies_within_five_seconds(client, endpoint, store):
    import time

    post(client, endpoint, json.dumps({"title": "before", "fingerprint": "f0"}))
    set_settings(store, create_incident="true")
    deadline = time.monotonic() + 5
    n = 0
    while True:
        n += 1
        [result] = post(client, endpoint, json.dumps({"title": "x", "fingerprint": f"f{n}"})).json()
        if result["incident_iid"] is not None or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert result["incident_iid"] is not None
