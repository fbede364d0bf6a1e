"""The HTTP seam: error shapes -> VeoAPIError, and what may be retried (MockTransport units)."""

import json

import httpx
import pytest
import stamina

from veo_magic._exceptions import VeoAPIError, VeoTaskUncertainError
from veo_magic._secret import Secret
from veo_magic.relays.http import Relay, error_details, named_task, retry_after_seconds

KEY = "sk-test-abcdef123456"


@pytest.fixture(autouse=True)
def no_waits():
    stamina.set_testing(True, attempts=4)
    yield
    stamina.set_testing(False)


def relay_with(handler):
    transport = httpx.MockTransport(handler)
    http = httpx.AsyncClient(
        transport=transport,
        base_url="http://relay.test",
        headers={"Authorization": f"Bearer {KEY}"},
    )
    return Relay(http, httpx.AsyncClient(transport=transport), secret=Secret(KEY))


def response(status, body, **headers):
    return httpx.Response(
        status,
        content=json.dumps(body, ensure_ascii=False).encode(),
        headers={"content-type": "application/json", **headers},
        request=httpx.Request("POST", "http://relay.test/v1/videos"),
    )


@pytest.mark.parametrize(
    ("status", "body", "message", "code"),
    [
        (
            401,
            {
                "error": {
                    "message": "无效的令牌 (request id: 1)",
                    "type": "new_api_error",
                    "code": "",
                }
            },
            "无效的令牌",
            "new_api_error",
        ),
        (
            403,
            {
                "error": {
                    "message": "user quota is not enough",
                    "type": "new_api_error",
                    "code": "insufficient_user_quota",
                }
            },
            "user quota",
            "insufficient_user_quota",
        ),
        (
            400,
            {"code": "task_not_exist", "message": "task_not_exist", "data": None},
            "task_not_exist",
            "task_not_exist",
        ),
        (
            429,
            {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}},
            "Quota exceeded",
            "RESOURCE_EXHAUSTED",
        ),
        (402, {"error": "Insufficient balance"}, "Insufficient balance", None),
    ],
)
def test_error_shapes(status, body, message, code):
    got_message, got_code = error_details(response(status, body))
    assert message in got_message
    assert got_code == code


def test_error_details_plain_text():
    r = httpx.Response(
        502, text="Bad gateway from upstream", request=httpx.Request("GET", "http://x/")
    )
    assert error_details(r) == ("Bad gateway from upstream", None)


def test_retry_after_parsing():
    assert retry_after_seconds(httpx.Headers({"retry-after": "3"})) == 3.0
    assert retry_after_seconds(httpx.Headers({"retry-after-ms": "250"})) == 0.25
    assert retry_after_seconds(httpx.Headers({})) is None
    date = "Wed, 21 Oct 2099 07:28:00 GMT"
    assert retry_after_seconds(httpx.Headers({"retry-after": date})) > 1000


@pytest.mark.parametrize(
    ("status", "body", "named"),
    [
        (200, {"id": "video_1", "task_id": "other", "model": "sora-2"}, ("video_1", "sora-2")),
        (200, {"task_id": "task_Ab9", "status": "queued"}, ("task_Ab9", None)),
        (200, {"code": "success", "data": {"task_id": 42}}, ("42", None)),
        (429, {"task_id": "task_made", "error": {"message": "slow down"}}, ("task_made", None)),
        (503, {"id": "   ", "error": {"message": "busy"}}, None),
        (503, {"id": True, "error": "busy"}, None),
        (429, {"error": {"message": "slow down"}}, None),
        (503, "no channel", None),
    ],
)
def test_a_create_answer_and_an_error_answer_name_a_task_alike(status, body, named):
    assert named_task(response(status, body)) == named


@pytest.mark.anyio
async def test_create_retries_only_when_not_taken():
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) < 3:
            return response(
                429 if len(calls) == 1 else 503,
                {"error": {"message": "busy"}},
                **{"retry-after": "0"},
            )
        return response(200, {"id": "video_1"})

    relay = relay_with(handler)
    r = await relay.create("POST", "/v1/videos", json={})
    assert r.json()["id"] == "video_1"
    assert len(calls) == 3


@pytest.mark.anyio
async def test_create_is_not_retried_after_a_500():
    calls = []

    def handler(request):
        calls.append(request)
        return response(500, {"error": {"message": "upstream exploded"}})

    with pytest.raises(VeoAPIError) as info:
        await relay_with(handler).create("POST", "/v1/videos", json={})
    assert len(calls) == 1
    assert info.value.status_code == 500 and "upstream exploded" in str(info.value)


@pytest.mark.anyio
async def test_create_timeout_after_send_is_uncertain():
    calls = []

    def handler(request):
        calls.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(VeoTaskUncertainError) as info:
        await relay_with(handler).create("POST", "/v1/videos", json={})
    assert len(calls) == 1
    assert "may have started the task" in str(info.value)


@pytest.mark.anyio
async def test_create_connect_error_is_retried():
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        return response(200, {"id": "x"})

    await relay_with(handler).create("POST", "/v1/videos", json={})
    assert len(calls) == 2


@pytest.mark.anyio
async def test_fetch_retries_5xx_and_timeouts_then_maps_4xx():
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ReadTimeout("slow", request=request)
        if len(calls) == 2:
            return response(503, {"error": {"message": "busy"}})
        return response(404, {"code": "task_not_exist", "message": "task_not_exist", "data": None})

    with pytest.raises(VeoAPIError) as info:
        await relay_with(handler).fetch("GET", "/v1/videos/x", task_id="x")
    assert len(calls) == 3
    assert info.value.status_code == 404 and info.value.task_id == "x"


@pytest.mark.anyio
async def test_errors_never_carry_the_key():
    def handler(request):
        return response(401, {"error": {"message": f"bad token {KEY}"}})

    with pytest.raises(VeoAPIError) as info:
        await relay_with(handler).fetch("GET", "/v1/videos/x")
    assert KEY not in str(info.value)
    assert KEY[3:] not in str(info.value)
