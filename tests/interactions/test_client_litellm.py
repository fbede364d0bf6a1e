"""``protocol="interactions"`` through LiteLLM's proxy (1.108.7, a gateway no one here wrote) to
the simulator's Interactions routes, with the config README's gateway section gives
(``test_peer_litellm.py`` starts it and checks the proxy itself with plain httpx).

What LiteLLM does with veo_magic's requests: the create goes through the router by the body's
``model``; ``GET /v1beta/interactions/{id}`` carries no model, so the upstream comes from the
proxy's environment (``GEMINI_API_BASE``, ``GEMINI_API_KEY``), and the query (``?stream=true``)
is dropped: the proxy answers JSON, and veo_magic polls. veo_magic's key for the proxy travels
in ``x-goog-api-key``, which LiteLLM accepts as its own key on its Google routes.
"""

from __future__ import annotations

import pytest
from test_peer_litellm import MASTER_KEY, proxy  # noqa: F401 - the module's LiteLLM fixture

import veo_magic as veo
from tests.support import assert_clip

pytestmark = pytest.mark.gateway


@pytest.fixture
def through(proxy, tmp_path):  # noqa: F811 - the fixture imported above
    proxy.upstream.requests.clear()
    clients = []

    def make(**options):
        client = veo.Client(
            base_url=proxy.base_url,
            api_key=MASTER_KEY,
            protocol="interactions",
            output_dir=tmp_path / "out",
            poll_interval=(0.05, 0.3),
            **options,
        )
        clients.append(client)
        return client

    yield make, proxy.upstream
    for client in clients:
        client.close()


def _creates(upstream):
    return [r for r in upstream.requests if r.method == "POST" and r.path == "/v1beta/interactions"]


def test_text_through_litellm(through):
    make, upstream = through
    job = make().generate("a kite seen through a gateway", seconds=3, resolution="360p")
    assert job.status == "succeeded", job.error
    assert_clip(job.videos[0], 640, 360, 3)
    (create,) = _creates(upstream)
    assert create.json["model"] == "gemini-omni-1.2-flash"  # LiteLLM strips its gemini/ prefix
    assert create.json["background"] is True and create.json["store"] is True
    # LiteLLM sends its own key upstream, never the student's.
    assert create.headers.get("x-goog-api-key") == "<redacted>"
    gets = [r for r in upstream.requests if r.method == "GET"]
    assert gets and all(r.query == {} for r in gets)  # the proxy drops ?stream=true: polled


def test_options_through_litellm(through):
    make, upstream = through
    job = make().generate(
        "a portrait kite",
        model="gemini-omni-1.1-flash",
        orientation="portrait",
        seconds=4,
        seed=11,
        resolution="360p",
    )
    assert job.status == "succeeded", job.error
    assert_clip(job.videos[0], 360, 640, 4)
    (create,) = _creates(upstream)
    assert create.json["model"] == "gemini-omni-1.1-flash"
    assert create.json["response_format"] == {
        "type": "video",
        "aspect_ratio": "9:16",
        "duration": "4s",
        "resolution": "360p",
    }
    assert create.json["generation_config"] == {
        "seed": 11,
        "video_config": {"task": "text_to_video"},
    }


def test_filtered_through_litellm(through):
    make, upstream = through
    job = make().submit("[[sim:filtered]] a kite", seconds=3, resolution="360p")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=60)
    assert "withheld by Google's safety filter" in job.error and job.recovery is None
    assert len(_creates(upstream)) == 1


def test_an_edit_and_an_extension_through_litellm(through):
    """LiteLLM forwards previous_interaction_id and the task; a 404 for a forgotten interaction
    reaches us as Google said it, so the stateless resend works through the proxy too."""
    make, upstream = through
    client = make()
    first = client.generate("a kite over the dunes", seconds=3, resolution="360p", seed=3)
    edit = first.edit("make it night").wait(timeout=90)
    assert edit.status == "succeeded", edit.error
    create = _creates(upstream)[-1].json
    assert create["previous_interaction_id"] == first.task_id
    assert create["generation_config"] == {"seed": 3, "video_config": {"task": "edit"}}
    longer = edit.extend(seconds=3).wait(timeout=90)
    assert_clip(longer.videos[0], 640, 360, 6)
    forgotten = first.edit("add snow [[sim:forgotten]]").wait(timeout=90)
    assert forgotten.status == "succeeded", forgotten.error
    resent = _creates(upstream)[-1].json
    assert "previous_interaction_id" not in resent and resent["input"][1]["type"] == "video"
