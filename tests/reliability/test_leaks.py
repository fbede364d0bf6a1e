"""Guarantee 6: no leaks, no injection.

The key travels only in the ``Authorization`` header. Jobs that succeed, fail, meet HTTP errors
and crash are run with a distinctive key, and every place a key could end up is searched for it
and for its ``sk-``-less core. Downloads follow only http(s), drop the key on another host, cap
their size, check the content type and the ``ftyp`` box, and never name a file after server data.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import traceback
from pathlib import Path

import pytest

import veo_magic as veo
from tests.reliability.support import CORE, KEY, PROTOCOLS
from tests.support import SHORT_TIMEOUT, assert_saved_clip
from veo_magic.jobs.journal import JOURNAL_NAME
from veo_magic.relays.protocols import polling

NEEDLES = (KEY, CORE)
# the clip, its sidecar, its poster frame and thumbnail
OUR_NAME = re.compile(r"^\d{8}-\d{6}_[a-z0-9-]+_[0-9a-f]{6}(-\d+)?\.(mp4|json|jpg|thumb\.jpg)$")


def assert_clean(where: str, text: str | bytes) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    for needle in NEEDLES:
        assert needle not in text, f"the key leaked into {where}"


def finish(job) -> BaseException | None:
    try:
        job.wait(timeout=30)
    except veo.VeoError as exc:
        return exc
    return None


def test_the_key_is_nowhere_but_the_authorization_header(
    make_client, relay, ledger, out_dir, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)  # everything: veo_magic, httpx, httpcore, stamina, the rest
    clients = {p: make_client(p) for p in PROTOCOLS}
    # Only the job whose point is a timeout has a short one, on a client of its own: under load
    # a short timeout would fail the clean runs this test counts.
    clients["idle"] = make_client("chat", idle_timeout=SHORT_TIMEOUT)
    jobs = []
    for protocol in PROTOCOLS:
        client = clients[protocol]
        jobs += [
            client.submit(f"a clean run on {protocol}"),  # success
            client.submit(f"refused on {protocol} [[sim:refuse]]"),  # failure
            client.submit(f"unauthorised on {protocol} [[sim:auth]]"),  # HTTP 401
            client.submit(f"no credit on {protocol} [[sim:quota]]"),  # HTTP 403
            client.submit(f"uncertain on {protocol} [[sim:server_error_after_accept]]"),  # HTTP 5xx
        ]
    jobs.append(clients["chat"].submit("a cut stream [[sim:stream_cut]]"))
    jobs.append(clients["idle"].submit("a silent stream [[sim:stream_idle]]"))
    outcomes = [finish(job) for job in jobs]

    # An exception inside the job whose text holds the key: the worst case for redaction.
    def explode(body):
        raise RuntimeError(f"relay sent something odd while we held {KEY}")

    monkeypatch.setattr(polling, "read_task", explode)
    crashed = clients["videos"].submit("a crash")
    outcomes.append(finish(crashed))
    jobs.append(crashed)
    assert crashed.error.startswith("internal error: RuntimeError: relay sent something odd")

    assert [j.status for j in jobs].count("succeeded") == 3
    assert all(o is not None for o, j in zip(outcomes, jobs, strict=True) if j.status == "failed")

    # Every exception message and traceback.
    for exc in outcomes:
        if exc is not None:
            assert_clean("an exception", str(exc))
            assert_clean("a traceback", "".join(traceback.format_exception(exc)))
    # Every repr and str of what a user holds.
    for client in clients.values():
        assert_clean("a client", repr(client) + str(client))
        assert client._runner.relay is not None
        assert_clean(
            "a relay",
            repr(client._runner.relay)
            + str(client._runner.relay)
            + repr(vars(client._runner.relay)),
        )
        request = client.request("a fox")
        assert_clean("a request", repr(request) + str(request) + json.dumps(request.describe()))
    for job in jobs:
        assert_clean("a job", repr(job) + str(job) + repr(job.error) + json.dumps(job.record))
    # Every log record, as formatted by a handler and as raw message.
    assert any(r.name == "httpx" for r in caplog.records), "httpx's request log was captured"
    assert any(r.name == "veo_magic" and r.levelno == logging.ERROR for r in caplog.records)
    assert_clean("the log", caplog.text)
    for record in caplog.records:
        assert_clean(f"a {record.name} log record", record.getMessage() + (record.exc_text or ""))
    # The journal, read raw (database, WAL and shared-memory files), and the sidecars.
    for client in clients.values():
        client.journal.close()
    raw = [p for p in out_dir.iterdir() if p.name.startswith(JOURNAL_NAME)]
    assert raw
    for path in raw:
        assert_clean(path.name, path.read_bytes())
    sidecars = list(out_dir.glob("*.json"))
    assert len(sidecars) == 3
    for path in sidecars:
        assert_clean(path.name, path.read_bytes())
    # The relay saw the key in the Authorization header only, and its log keeps it redacted.
    seen = ledger.requests
    assert len(seen) > 20
    for entry in seen:
        assert_clean("the simulator's log", json.dumps(dataclasses.asdict(entry), default=str))
        if entry.path.startswith("/v1/"):
            assert entry.auth_present and entry.auth_bearer
            assert entry.headers["authorization"] == "<redacted>"
        for where in (entry.path, json.dumps(entry.query)):
            assert "sk-" not in where
    assert ledger.creates == 12  # success, refusal, uncertain on three protocols; cut; idle; crash


def test_a_key_in_a_base_url_never_reaches_a_message(relay):
    for url in (
        f"https://{KEY}@relay.example/v1",
        f"https://relay.example/v1?key={KEY}",
        f"{KEY}",
        f"ftp://relay.example/{KEY}",
    ):
        with pytest.raises(veo.VeoInputError) as info:
            veo.Client(base_url=url, api_key=KEY)
        assert_clean("a base_url error", str(info.value) + repr(info.value.value))
        assert_clean("its traceback", "".join(traceback.format_exception(info.value)))


# -- downloads ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("tag", "scheme"), [("redirect_file", "file"), ("redirect_ftp", "ftp")])
def test_a_redirect_to_another_scheme_is_refused(make_client, ledger, out_dir, tag, scheme):
    job = make_client("videos").submit(f"to {scheme} [[sim:{tag}]]")
    assert isinstance(finish(job), veo.VeoGenerationError)
    assert "refused a redirect from " in job.error and "to a non-http(s) location" in job.error
    assert not list(out_dir.glob("*.mp4")) and not list(out_dir.glob("*.part"))
    assert ledger.creates == 1


def test_a_redirect_to_another_host_drops_the_key(make_client, ledger, out_dir):
    job = make_client("videos").generate("elsewhere [[sim:redirect_other_host,passthrough]]")
    assert_saved_clip(job.videos[0], out_dir)
    files = [r for r in ledger.requests if r.path.startswith("/files/")]
    assert [r.status for r in files] == [302, 200]
    relay_host, other_host = (r.headers["host"] for r in files)
    assert relay_host.startswith("127.0.0.1:") and other_host.startswith("localhost:")
    assert files[0].auth_present, "the relay's own host gets the key"
    assert not files[1].auth_present and "authorization" not in files[1].headers
    assert ledger.creates == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_size_cap_is_enforced(make_client, ledger, out_dir, protocol):
    job = make_client(protocol, max_video_bytes=10_000).submit(f"too big on {protocol}")
    assert isinstance(finish(job), veo.VeoGenerationError)
    assert "over the 10,000-byte cap" in job.error
    assert not list(out_dir.glob("*.mp4")) and not list(out_dir.glob("*.part"))
    assert ledger.creates == 1


@pytest.mark.parametrize(
    ("tag", "words"),
    [
        ("html_download", "answered 'text/html' instead of a video"),
        ("not_mp4", "is not an MP4 (no 'ftyp' box at the start); not saved"),
    ],
)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_what_is_not_a_video_is_refused(make_client, ledger, out_dir, protocol, tag, words):
    job = make_client(protocol).submit(f"not a video on {protocol} [[sim:{tag}]]")
    assert isinstance(finish(job), veo.VeoGenerationError)
    assert words in job.error
    assert not list(out_dir.glob("*.mp4")) and not list(out_dir.glob("*.part"))
    assert ledger.creates == 1


@pytest.mark.parametrize("protocol", ["videos", "create"])
def test_hostile_task_ids_and_filenames_stay_out_of_paths(make_client, out_dir, protocol):
    escapes_before = set(Path("/tmp").glob("veo-escape*"))
    client = make_client(protocol)
    job = client.generate(f"hostile on {protocol} [[sim:hostile_ids]]")
    assert ".." in job.task_id  # kept exactly as the relay sent it
    assert client.journal.get(job.id)["task_id"] == job.task_id
    sidecar = assert_saved_clip(job.videos[0], out_dir)
    assert sidecar["task_id"] == job.task_id
    for path in out_dir.rglob("*"):
        assert path.parent == out_dir
        assert OUR_NAME.match(path.name) or path.name.startswith(JOURNAL_NAME), path.name
    assert set(Path("/tmp").glob("veo-escape*")) == escapes_before
