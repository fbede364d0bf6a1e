"""The interactions adapter's reading of Google's answers, with ``httpx.MockTransport`` (pure
parsing: what is sent, what each answer means). Behaviour over HTTP is in
``test_client_simulator.py``."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest

from tests.support import make_mp4
from veo_magic import VeoAPIError, VeoInputError, VeoTaskUncertainError
from veo_magic._events import Failed, Progress, Submitted, VideoReady
from veo_magic._secret import Secret
from veo_magic.config import Settings
from veo_magic.relays import KeyAuth, Relay, api_error
from veo_magic.relays.protocols.interactions import InteractionsAdapter, read_interaction
from veo_magic.relays.protocols.spill import Spill
from veo_magic.requests import VideoRequest

ID = "v1_abc123"
KEY = "AIza-parsing-key"


def _relay(handler) -> Relay:
    transport = httpx.MockTransport(handler)
    http = httpx.AsyncClient(
        base_url="https://generativelanguage.googleapis.com",
        auth=KeyAuth(Secret(KEY), header="x-goog-api-key"),
        transport=transport,
    )
    relay = Relay(http, httpx.AsyncClient(transport=transport), retry_attempts=2)

    async def no_wait(seconds: float) -> None:
        await asyncio.sleep(0)

    relay.sleep = no_wait  # type: ignore[method-assign]
    return relay


def _run(relay: Relay, request=None, **kwargs) -> list:
    async def go():
        adapter = InteractionsAdapter(relay)
        return [e async for e in adapter.run(request, **kwargs)]

    return asyncio.run(go())


def _sse(*events: dict) -> bytes:
    return b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events)


def _request(**options) -> VideoRequest:
    return VideoRequest.build(
        "a kite", protocol="interactions", model="gemini-omni-1.2-flash", **options
    )


def test_a_dropped_stream_is_opened_again_after_its_last_event_id(tmp_path):
    clip = make_mp4(tmp_path / "clip.mp4").read_bytes()
    b64 = base64.b64encode(clip).decode()
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, dict(request.url.params)))
        assert request.headers["x-goog-api-key"] == KEY and "authorization" not in request.headers
        if request.method == "POST":
            return httpx.Response(200, json={"id": ID, "status": "in_progress"})
        if "last_event_id" not in request.url.params:  # first connection: cut after event 2
            body = _sse(
                {
                    "event_type": "interaction.created",
                    "event_id": "1",
                    "interaction": {"id": ID, "status": "in_progress"},
                },
                {
                    "event_type": "interaction.status_update",
                    "event_id": "2",
                    "interaction_id": ID,
                    "status": "in_progress",
                },
            )
            return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})
        body = _sse(
            {
                "event_type": "step.start",
                "event_id": "3",
                "index": 0,
                "step": {"type": "model_output"},
            },
            {
                "event_type": "step.delta",
                "event_id": "4",
                "index": 0,
                "delta": {"type": "video", "mime_type": "video/mp4", "data": b64},
            },
            {"event_type": "step.stop", "event_id": "5", "index": 0},
            {
                "event_type": "interaction.completed",
                "event_id": "6",
                "interaction": {"id": ID, "status": "completed"},
            },
        )
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    events = _run(_relay(handler), _request(seconds=3))
    assert isinstance(events[0], Submitted) and events[0].task_id == ID
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress and all("our estimate" in p.message for p in progress)
    (ready,) = [e for e in events if isinstance(e, VideoReady)]
    assert ready.path is not None and ready.path.read_bytes() == clip
    assert [q for m, p, q in seen if m == "GET"] == [
        {"stream": "true"},
        {"stream": "true", "last_event_id": "2"},
    ]
    ready.path.unlink()


def test_json_where_a_stream_was_asked_falls_back_to_polling():
    polls = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json={"id": ID, "status": "in_progress"})
        polls.append(dict(request.url.params))
        if len(polls) < 3:
            return httpx.Response(200, json={"id": ID, "status": "in_progress"})
        return httpx.Response(200, json={"id": ID, "status": "completed", "steps": []})

    events = _run(_relay(handler), _request())
    assert polls == [{"stream": "true"}, {}, {}]
    (failed,) = [e for e in events if isinstance(e, Failed)]
    assert "withheld by Google's safety filter" in failed.message and ID in failed.message


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            {"status": "failed", "errors": [{"code": "INTERNAL", "message": "Render crashed."}]},
            "failed (INTERNAL): Render crashed.",
        ),
        ({"status": "cancelled"}, "cancelled"),
        ({"status": "incomplete"}, "before it finished"),
        ({"status": "budget_exceeded"}, "budget was exceeded"),
    ],
)
def test_each_ending_is_worded(body, words):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": ID, **body})

    events = _run(_relay(handler), task_id=ID)
    (failed,) = [e for e in events if isinstance(e, Failed)]
    assert words in failed.message and failed.task_id == ID


def test_a_stream_error_event_quotes_google():
    def handler(request: httpx.Request) -> httpx.Response:
        body = _sse({"event_type": "error", "error": {"code": "quota", "message": "No more."}})
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    (failed,) = [e for e in _run(_relay(handler), task_id=ID) if isinstance(e, Failed)]
    assert "No more." in failed.message and failed.code == "quota"


def test_a_create_answer_without_an_id_is_uncertain():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "in_progress"})

    with pytest.raises(VeoTaskUncertainError, match="no interaction id"):
        _run(_relay(handler), _request())


def test_a_hard_quota_on_create_is_sent_once():
    sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        error = {"code": 429, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED"}
        return httpx.Response(429, json={"error": error})

    with pytest.raises(VeoAPIError, match="waiting will not help"):
        _run(_relay(handler), _request())
    assert len(sent) == 1


def test_the_interactions_only_400_says_which_protocol():
    request = httpx.Request("POST", "https://g/v1beta/models/gemini-omni-1.2-flash:generateContent")
    response = httpx.Response(
        400,
        json={
            "error": {
                "code": 400,
                "message": "This model only supports Interactions API.",
                "status": "INVALID_ARGUMENT",
            }
        },
        request=request,
    )
    assert "use protocol interactions" in str(api_error(response))


def test_a_resumed_id_must_look_like_one():
    with pytest.raises(VeoInputError, match="not an interaction id"):
        _run(_relay(lambda r: httpx.Response(404)), task_id="models/x/operations/y")


def test_spill_decodes_escaped_base64_across_any_cut():
    clip = bytes(range(256)) * 300
    b64 = base64.b64encode(clip).decode().replace("/", "\\/")  # JSON may escape the slash
    text = json.dumps({"prompt": 'say \\"data\\": "no"', "x": 1})[:-1] + f', "data": "{b64}"}}'
    for size in (1, 3, 4096):
        spill = Spill()
        kept = (
            b"".join(spill.feed(text.encode()[i : i + size]) for i in range(0, len(text), size))
            + spill.close()
        )
        body = json.loads(kept)
        assert body["data"] == "@spill:0" and body["prompt"] == 'say \\"data\\": "no"'
        assert spill.files[0].read_bytes() == clip
        spill.discard()


def test_read_interaction_takes_the_clip_after_the_last_user_input():
    body = {
        "status": "completed",
        "steps": [
            {"type": "user_input", "content": [{"type": "text", "text": "a"}]},
            {"type": "model_output", "content": [{"type": "video", "uri": "files/old1"}]},
            {"type": "user_input", "content": [{"type": "text", "text": "b"}]},
            {"type": "model_output", "content": [{"type": "video", "uri": "files/new2"}]},
        ],
    }
    (clip,) = read_interaction(body).clips
    assert clip.uri == "files/new2"


def test_google_keys_count_on_interactions_and_config_says_which():
    env = {"GOOGLE_API_KEY": "AIza-from-google-var"}
    settings = Settings.load(environ=env, protocol="interactions")
    assert settings.key_from == "GOOGLE_API_KEY"
    assert settings.base_url == "https://generativelanguage.googleapis.com"
    assert settings.model == "gemini-omni-1.2-flash"
    env = {"GEMINI_API_KEY": "AIza-g", "VEO_BASE_URL": "https://proxy.example/v1beta"}
    settings = Settings.load(environ=env, protocol="interactions")
    assert (settings.key_from, settings.base_url) == ("GEMINI_API_KEY", "https://proxy.example")
    with pytest.raises(VeoInputError):  # a relay protocol takes only VEO_API_KEY
        Settings.load(environ={"GEMINI_API_KEY": "AIza-g", "VEO_BASE_URL": "https://r/v1"})
