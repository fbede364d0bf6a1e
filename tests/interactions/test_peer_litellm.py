"""A gateway no one here wrote: LiteLLM's proxy (1.108.7) serving ``/v1beta/interactions`` with
the simulator as its upstream Gemini API, checked with plain httpx.

The config that works (the client side runs veo_magic's ``interactions`` protocol through it):

* ``model_list`` entries named as the Omni models, ``litellm_params.model: gemini/<name>``,
  ``api_base: <upstream, no /v1beta>``, ``api_key: <Google key>``: a **create** goes through the
  router, picks the deployment by the body's ``model`` and posts to ``{api_base}/v1beta/
  interactions`` (``?alt=sse`` when ``stream``) with ``x-goog-api-key`` and ``Api-Revision``.
* **get / cancel / delete carry no model**, so LiteLLM takes the upstream from its environment:
  ``GEMINI_API_BASE`` and ``GEMINI_API_KEY`` must name the same upstream and key.
* Clients authenticate to the proxy with ``Authorization: Bearer <LiteLLM key>``.
* ``GET …?stream=true`` is answered as plain JSON: LiteLLM forwards no query on get.
* ``DELETE`` answers LiteLLM's own ``{"success": true, "id": …}``, not Google's ``{}``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from interactions_helpers import EVENTS, KEY, video_body

from tests.litellm_proxy import litellm_environment, running_litellm
from tests.support import assert_clip, wait_until
from veo_magic.simulator import Simulator

pytestmark = pytest.mark.gateway

MASTER_KEY = "sk-gateway-master-5f1c9e"
CONFIG = """\
model_list:
  - model_name: gemini-omni-1.2-flash
    litellm_params:
      model: gemini/gemini-omni-1.2-flash
      api_base: {upstream}
      api_key: {key}
  - model_name: gemini-omni-1.1-flash
    litellm_params:
      model: gemini/gemini-omni-1.1-flash
      api_base: {upstream}
      api_key: {key}
router_settings:
  num_retries: 0
  disable_cooldowns: true
general_settings:
  master_key: {master_key}
"""


@dataclass
class Proxy:
    base_url: str
    upstream: Simulator

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.base_url}/v1beta",
            headers={"Authorization": f"Bearer {MASTER_KEY}"},
            timeout=30,
        )


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """LiteLLM in front of a plain-http simulator of its own (LiteLLM fetches no file links on
    this route, so no TLS is needed)."""
    with Simulator(generation_seconds=0.4) as upstream:
        config = CONFIG.format(upstream=upstream.base_url, key=KEY, master_key=MASTER_KEY)
        env = litellm_environment(
            GEMINI_API_BASE=upstream.base_url,  # get / cancel / delete find the upstream here
            GEMINI_API_KEY=KEY,
        )
        folder = tmp_path_factory.mktemp("litellm-interactions")
        with running_litellm(config, folder, env) as (base_url, _):
            yield Proxy(base_url, upstream)


@pytest.fixture
def gateway(proxy: Proxy) -> Iterator[httpx.Client]:
    proxy.upstream.requests.clear()
    with proxy.client() as client:
        yield client


def _done(gateway: httpx.Client, interaction_id: str) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        answer = gateway.get(f"interactions/{interaction_id}")
        assert answer.status_code == 200, answer.text
        return answer.json() if answer.json()["status"] != "in_progress" else None

    return wait_until(finished, timeout=30, interval=0.1)


def _video(body: dict[str, Any]) -> dict[str, Any] | None:
    items = [
        item
        for step in body.get("steps") or []
        if step["type"] == "model_output"
        for item in step["content"]
    ]
    return next((i for i in items if i["type"] == "video"), None)


def _upstream(proxy: Proxy, method: str, path: str) -> list[Any]:
    return [r for r in proxy.upstream.requests if r.method == method and r.path == path]


def test_create_and_get_pass_through_with_the_options(proxy, gateway):
    body = video_body(
        video={"aspect_ratio": "9:16", "duration": "4s"}, generation_config={"seed": 7}
    )
    started = gateway.post("interactions", json=body)
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "in_progress"
    done = _done(gateway, started.json()["id"])
    assert done["status"] == "completed"
    assert_clip(base64.b64decode(_video(done)["data"]), width=360, height=640, seconds=4)

    (create,) = _upstream(proxy, "POST", "/v1beta/interactions")
    assert create.headers["x-goog-api-key"] == "<redacted>"  # the key went in its header
    assert create.headers["api-revision"] == "2026-05-20"
    assert create.json["response_format"] == body["response_format"]  # the options, as sent
    assert create.json["generation_config"] == {"seed": 7}
    gets = _upstream(proxy, "GET", f"/v1beta/interactions/{done['id']}")
    assert gets and all(r.headers["x-goog-api-key"] == "<redacted>" for r in gets)
    assert all("key" not in r.query for r in proxy.upstream.requests)


def test_a_streamed_create_comes_back_as_data_lines(proxy, gateway):
    answer = gateway.post("interactions", json=video_body(background=False, stream=True))
    assert answer.status_code == 200
    lines = [line[6:] for line in answer.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"  # LiteLLM's own end marker
    events = [json.loads(line) for line in lines[:-1]]
    assert [e["event_type"] for e in events] == EVENTS
    assert events[3]["delta"]["type"] == "video"
    assert_clip(base64.b64decode(events[3]["delta"]["data"]), width=640, height=360)
    (create,) = _upstream(proxy, "POST", "/v1beta/interactions")
    assert create.query == {"alt": "sse"}


def test_get_with_stream_true_is_answered_as_json(proxy, gateway):
    started = gateway.post("interactions", json=video_body()).json()
    _done(gateway, started["id"])
    answer = gateway.get(f"interactions/{started['id']}", params={"stream": "true"})
    assert answer.headers["content-type"].startswith("application/json")
    upstream_gets = _upstream(proxy, "GET", f"/v1beta/interactions/{started['id']}")
    assert all(r.query == {} for r in upstream_gets)  # LiteLLM forwards no query on get


def test_a_second_turn_by_previous_interaction_id(proxy, gateway):
    first = _done(gateway, gateway.post("interactions", json=video_body("a red kite")).json()["id"])
    second = gateway.post(
        "interactions",
        json={
            "model": "gemini-omni-1.2-flash",
            "input": "make the kite blue",
            "previous_interaction_id": first["id"],
            "background": True,
        },
    )
    assert second.status_code == 200, second.text
    done = _done(gateway, second.json()["id"])
    assert done["status"] == "completed" and _video(done) is not None
    assert proxy.upstream.tasks[done["id"]].text == "make the kite blue"


def test_filtered_comes_back_completed_without_a_video(gateway):
    started = gateway.post("interactions", json=video_body("a kite [[sim:filtered]]")).json()
    done = _done(gateway, started["id"])
    assert done["status"] == "completed" and _video(done) is None


def test_cancel_and_delete(proxy, gateway):
    started = gateway.post("interactions", json=video_body("a kite [[sim:slow]]")).json()
    cancelled = gateway.post(f"interactions/{started['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert _upstream(proxy, "POST", f"/v1beta/interactions/{started['id']}/cancel")
    deleted = gateway.delete(f"interactions/{started['id']}")
    assert deleted.json() == {"success": True, "id": started["id"]}
    assert gateway.get(f"interactions/{started['id']}").status_code == 404


def test_googles_errors_keep_their_status(gateway):
    too_long = gateway.post(
        "interactions",
        json=video_body(model="gemini-omni-1.1-flash", video={"duration": "12s"}),
    )
    assert too_long.status_code == 400 and "3s to 10s" in too_long.text
    quota = gateway.post("interactions", json=video_body("a kite [[sim:quota]]"))
    assert quota.status_code == 429 and "RESOURCE_EXHAUSTED" in quota.text
