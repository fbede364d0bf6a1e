"""The OAuth token is a secret like the key: it travels only in ``Authorization: Bearer``.

Jobs that succeed (inline and from Cloud Storage), are filtered, are refused (another project),
refresh their token and crash are run with google-auth's real sign-in, then every token the
simulator issued is searched for in every place a secret could end up: errors, tracebacks,
reprs, log records, the journal's raw files, the sidecars.
"""

from __future__ import annotations

import json
import logging
import traceback

import httpx
import pytest

import veo_magic as veo
from veo_magic.jobs.journal import JOURNAL_NAME
from veo_magic.relays import GoogleAuth, GoogleSignIn, Relay
from veo_magic.relays.protocols import vertex
from veo_magic.requests import VideoRequest
from veo_magic.simulator import vertex as simulated


def issued(sim) -> list[str]:
    return list(simulated._world(sim._state).tokens)


def finish(job) -> BaseException | None:
    try:
        job.wait(timeout=60)
    except veo.VeoError as exc:
        return exc
    return None


def test_the_token_is_nowhere_but_the_authorization_header(
    vertex_client, google, out_dir, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)  # everything: veo_magic, httpx, httpcore, google.auth, …
    client = vertex_client()
    jobs = [
        client.submit("a clean run"),
        client.submit("to a bucket", storage_uri="gs://veo-outputs/leaks/"),
        client.submit("filtered [[sim:refuse]]"),
        client.submit("quota [[sim:quota]]"),
    ]
    outcomes = [finish(job) for job in jobs]
    client.google_auth()._credentials.expiry = None  # google-auth: no expiry known
    client.google_auth()._credentials.token = None  # a refresh on the next request
    jobs.append(client.submit("after a refresh"))
    outcomes.append(finish(jobs[-1]))

    def explode(body):
        raise RuntimeError(f"something odd while holding {client.google_auth().token.reveal()}")

    read = vertex.read_vertex_operation
    monkeypatch.setattr(vertex, "read_vertex_operation", explode)
    jobs.append(client.submit("a crash"))
    outcomes.append(finish(jobs[-1]))
    monkeypatch.setattr(vertex, "read_vertex_operation", read)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "someone-elses-project")
    other = vertex_client()
    jobs.append(other.submit("the wrong project"))
    outcomes.append(finish(jobs[-1]))

    tokens = issued(google)
    assert len(tokens) >= 3  # the first, the refreshed one, the other client's
    assert [j.status for j in jobs] == ["succeeded"] * 2 + ["failed"] * 2 + ["succeeded"] + [
        "failed"
    ] * 2
    assert jobs[-2].error.startswith("internal error: RuntimeError: something odd while holding")

    def assert_clean(where: str, text: str | bytes) -> None:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        for token in tokens:
            assert token not in text, f"the token leaked into {where}"
            assert token.removeprefix("ya29.") not in text, f"the token leaked into {where}"

    for exc in outcomes:
        if exc is not None:
            assert_clean("an exception", str(exc))
            assert_clean("a traceback", "".join(traceback.format_exception(exc)))
    for each in (client, other):
        assert_clean("a client", repr(each) + str(each) + repr(each.google_auth()))
        relay = each._runner.relay
        assert relay is not None
        assert_clean("a relay", repr(relay) + repr(vars(relay)) + repr(relay.http.headers))
    for job in jobs:
        assert_clean("a job", repr(job) + str(job) + repr(job.error) + json.dumps(job.record))
    assert any(r.name == "httpx" for r in caplog.records), "httpx's request log was captured"
    assert_clean("the log", caplog.text)
    for record in caplog.records:
        assert_clean(f"a {record.name} log record", record.getMessage() + (record.exc_text or ""))
    client.journal.close()
    other.journal.close()
    raw = [p for p in out_dir.iterdir() if p.name.startswith(JOURNAL_NAME)]
    assert raw
    for path in raw:
        assert_clean(path.name, path.read_bytes())
    sidecars = list(out_dir.glob("*.json"))
    assert len(sidecars) == 3
    for path in sidecars:
        assert_clean(path.name, path.read_bytes())
    for entry in google.requests:
        assert_clean("the simulator's log", json.dumps(entry.headers) + entry.path)


class _Credentials:
    """Credentials already holding a valid token (google-auth's interface, nothing refreshed)."""

    token = "ya29.a-token-only-google-should-see-0123456789"
    valid = True


@pytest.mark.anyio
async def test_an_error_that_echoes_the_token_is_redacted():
    def echo(request: httpx.Request) -> httpx.Response:
        said = f"Token {request.headers['authorization'][7:]} is not allowed here."
        body = {"error": {"code": 403, "message": said, "status": "PERMISSION_DENIED"}}
        return httpx.Response(403, json=body)

    auth = GoogleAuth(GoogleSignIn(_Credentials(), "veo-test"), location="us-central1")
    transport = httpx.MockTransport(echo)
    relay = Relay(
        httpx.AsyncClient(
            transport=transport, base_url="https://aiplatform.googleapis.com", auth=auth
        ),
        httpx.AsyncClient(transport=transport),
        secret=auth.token,
    )
    request = VideoRequest.build("a fox", protocol="vertex")
    with pytest.raises(veo.VeoAPIError) as info:
        async for _ in vertex.VertexAdapter(relay).run(request):
            pass
    text = (
        str(info.value) + repr(info.value.detail) + "".join(traceback.format_exception(info.value))
    )
    assert _Credentials.token not in text and "is not allowed here" in text
    await relay.http.aclose()
    await relay.public.aclose()
