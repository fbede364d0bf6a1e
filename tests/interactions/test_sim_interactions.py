"""The simulator's Interactions API (Gemini Omni), over loopback with plain httpx.

The shapes it must hold to are Google's recorded answers (vercel/ai's ``video-response-format``
fixtures, 2026-08-28) and google-genai 3.6.1's types; ``test_peer_genai3.py`` runs the SDK itself
against the same routes.
"""

from __future__ import annotations

import base64

import pytest
from interactions_helpers import EVENTS, KEY, REVISION, finished, sse_events, video_body

from tests.support import assert_clip


def _create(api, body, **kwargs):
    answer = api.post("interactions", json=body, **kwargs)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _clip(body):
    (output,) = [s for s in body["steps"] if s["type"] == "model_output"]
    (item,) = output["content"]
    return item


def test_background_create_answers_in_progress_then_get_gives_the_clip(api, google):
    started = _create(api, video_body(video={"aspect_ratio": "9:16"}), headers=REVISION)
    assert started["status"] == "in_progress"
    assert started["object"] == "interaction" and started["model"] == "gemini-omni-1.2-flash"
    assert "steps" not in started and started["id"]

    done = finished(api, started["id"])
    assert done["status"] == "completed"
    assert [s["type"] for s in done["steps"]] == ["thought", "model_output"]
    item = _clip(done)
    assert set(item) == {"type", "mime_type", "data"}
    assert (item["type"], item["mime_type"]) == ("video", "video/mp4")
    assert_clip(base64.b64decode(item["data"]), width=360, height=640, seconds=3)
    assert done["usage"]["output_tokens_by_modality"][0]["modality"] == "video"
    # The key came in its header, and never in the URL.
    assert all("key" not in r.query for r in google.requests)


def test_the_event_stream_has_the_recorded_names_and_resumes_after_an_event_id(api):
    started = _create(api, video_body())
    with api.stream("GET", f"interactions/{started['id']}", params={"stream": "true"}) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        events = sse_events(answer.read().decode())
    assert [e["event_type"] for e in events] == EVENTS
    assert [e["event_id"] for e in events] == ["1", "2", "3", "4", "5", "6"]
    assert events[0]["interaction"]["status"] == "in_progress"
    assert events[3]["delta"]["type"] == "video" and events[3]["delta"]["data"]
    assert events[5]["interaction"]["status"] == "completed"
    assert "steps" not in events[5]["interaction"]  # as recorded: the clip came in step.delta

    again = api.get(
        f"interactions/{started['id']}", params={"stream": "true", "last_event_id": "3"}
    )
    assert [e["event_id"] for e in sse_events(again.text)] == ["4", "5", "6"]


@pytest.mark.parametrize("how", ["body", "alt=sse"])
def test_create_can_stream_itself(api, how):
    body = video_body(background=False)
    if how == "body":
        body["stream"] = True
        answer = api.post("interactions", json=body)
    else:  # LiteLLM's way: ?alt=sse
        answer = api.post("interactions", json=body, params={"alt": "sse"})
    assert answer.status_code == 200
    assert [e["event_type"] for e in sse_events(answer.text)] == EVENTS


def test_a_plain_create_holds_until_the_interaction_ends(api):
    done = _create(api, video_body(background=False))
    assert done["status"] == "completed" and _clip(done)["data"]


def test_the_key_is_checked_as_google_checks_it(google):
    import httpx

    url = f"{google.base_url}/v1beta/interactions"
    none = httpx.post(url, json=video_body())
    assert none.status_code == 403 and none.json()["error"]["status"] == "PERMISSION_DENIED"
    bearer = httpx.post(url, json=video_body(), headers={"Authorization": f"Bearer {KEY}"})
    assert bearer.status_code == 401 and bearer.json()["error"]["status"] == "UNAUTHENTICATED"
    in_url = httpx.post(url, json=video_body(), params={"key": KEY})
    assert in_url.status_code == 400 and "x-goog-api-key" in in_url.json()["error"]["message"]
    assert google.accepted_creates == 0 or all(r.status != 200 for r in google.requests)


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"model": "gemini-omni-9-flash"}, 404, "not found"),
        ({"model": "veo-3.1-generate-preview"}, 404, "no longer available"),
        ({"model": "gemini-omni-flash-preview"}, 404, "no longer available"),
        ({"model": "gemini-omni-1.1-flash", "video": {"duration": "12s"}}, 400, "3s to 10s"),
        ({"video": {"duration": "16s"}}, 400, "3s to 15s"),
        ({"video": {"duration": "6"}}, 400, '"6s"'),
        ({"video": {"resolution": "2k"}}, 400, "4k"),
        ({"video": {"aspect_ratio": "1:1"}}, 400, "16:9"),
        ({"negative_prompt": "rain"}, 400, 'Unknown name "negative_prompt"'),
        ({"generation_config": {"video_config": {"task": "dance"}}}, 400, "text_to_video"),
        ({"previous_interaction_id": "nobodysinteraction"}, 404, "not found"),
    ],
)
def test_a_bad_create_gets_googles_error(api, google, change, status, words):
    before = set(google.tasks)  # the session simulator's: other tests' tasks stay
    answer = api.post("interactions", json=video_body(**change))
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == status
    assert error["status"] == {400: "INVALID_ARGUMENT", 404: "NOT_FOUND"}[status]
    assert words in error["message"]
    assert set(google.tasks) == before  # refused before anything started


def test_one_video_a_turn(api):
    body = video_body()
    body["response_format"] = [body["response_format"], {"type": "video", "duration": "4s"}]
    answer = api.post("interactions", json=body)
    assert answer.status_code == 400 and "one video" in answer.json()["error"]["message"]
    body["response_format"] = body["response_format"][:1]  # vercel sends a one-entry list
    assert api.post("interactions", json=body).status_code == 200


def test_lengths_follow_the_model(api):
    long = _create(api, video_body(video={"duration": "15s"}))
    assert long["status"] == "in_progress"  # 1.2 takes 15 s; 1.1 stops at 10 s (above)


def test_omni_on_the_predict_route_says_use_interactions(api):
    answer = api.post(
        "models/gemini-omni-1.2-flash:predictLongRunning", json={"instances": [{"prompt": "x"}]}
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "This model only supports Interactions API."


def test_a_second_turn_edits_the_stored_interaction(api, google):
    first = finished(api, _create(api, video_body("a red kite"))["id"])
    second = _create(
        api,
        {
            "model": "gemini-omni-1.2-flash",
            "input": "make the kite blue",
            "previous_interaction_id": first["id"],
            "background": True,
            "generation_config": {"video_config": {"task": "edit"}},
        },
    )
    assert second["previous_interaction_id"] == first["id"]
    done = finished(api, second["id"])
    clip = base64.b64decode(_clip(done)["data"])
    assert_clip(clip, width=640, height=360, seconds=3)  # the first turn's shape and length
    assert google.tasks[second["id"]].text == "make the kite blue"

    extended = finished(
        api,
        _create(
            api,
            video_body(
                "and then it lands",
                previous_interaction_id=first["id"],
                generation_config={"video_config": {"task": "extend"}},
            ),
        )["id"],
    )
    assert_clip(base64.b64decode(_clip(extended)["data"]), seconds=6)


def test_an_unstored_interaction_cannot_be_continued(api):
    done = _create(api, video_body(background=False, store=False))
    assert done["status"] == "completed"
    again = api.post("interactions", json=video_body(previous_interaction_id=done["id"]))
    assert again.status_code == 404
    assert api.post("interactions", json=video_body(store=False)).status_code == 400  # background


def test_uri_delivery_goes_through_the_files_api(api, google):
    done = finished(api, _create(api, video_body(video={"delivery": "uri"}))["id"])
    item = _clip(done)
    assert set(item) == {"type", "mime_type", "uri"}
    file_id = item["uri"].rsplit("/files/", 1)[1]
    states = [api.get(f"files/{file_id}").json()["state"] for _ in range(2)]
    assert states == ["PROCESSING", "ACTIVE"]
    meta = api.get(f"files/{file_id}").json()
    assert meta["name"] == f"files/{file_id}" and meta["mimeType"] == "video/mp4"
    data = api.get(f"files/{file_id}:download", params={"alt": "media"})
    assert data.status_code == 200 and data.headers["content-type"] == "video/mp4"
    assert int(meta["sizeBytes"]) == len(data.content)
    assert_clip(data.content, width=640, height=360, seconds=3)
    assert api.get(f"files/{file_id}:download").status_code == 400  # alt=media is required


def test_the_uri_delivery_scenario_overrides_inline(api):
    done = finished(api, _create(api, video_body("[[sim:uri_delivery]] a kite"))["id"])
    assert "uri" in _clip(done)


def test_filtered_completes_without_a_video(api):
    done = finished(api, _create(api, video_body("a kite [[sim:filtered]]"))["id"])
    assert done["status"] == "completed"
    items = [i for s in done["steps"] if s["type"] == "model_output" for i in s["content"]]
    assert [i["type"] for i in items] == ["text"] and items[0]["text"]
    stream = api.get(f"interactions/{done['id']}", params={"stream": "true"})
    deltas = [e["delta"] for e in sse_events(stream.text) if e["event_type"] == "step.delta"]
    assert [d["type"] for d in deltas] == ["text"]


@pytest.mark.parametrize(
    ("tag", "status"),
    [
        ("failed", "failed"),
        ("refuse", "failed"),
        ("incomplete", "incomplete"),
        ("budget_exceeded", "budget_exceeded"),
        ("completed_no_video", "completed"),
    ],
)
def test_endings(api, tag, status):
    done = finished(api, _create(api, video_body(f"a kite [[sim:{tag}]]"))["id"])
    assert done["status"] == status
    if status == "failed":
        (error,) = done["errors"]
        assert isinstance(error["code"], str) and error["message"]
    assert not any(s["type"] == "model_output" for s in done.get("steps", []))
    events = sse_events(api.get(f"interactions/{done['id']}", params={"stream": "true"}).text)
    assert events[-1]["event_type"] == "interaction.completed"
    assert events[-1]["interaction"]["status"] == status


@pytest.mark.parametrize(
    ("tag", "status", "google_status", "words"),
    [
        ("quota", 429, "RESOURCE_EXHAUSTED", "quota"),
        ("retired", 404, "NOT_FOUND", "gemini-omni-1.2-flash is no longer available"),
    ],
)
def test_refused_creates(api, google, tag, status, google_status, words):
    before = google.accepted_creates
    answer = api.post("interactions", json=video_body(f"a kite [[sim:{tag}]]"))
    assert answer.status_code == status
    error = answer.json()["error"]
    assert error["status"] == google_status and words in error["message"]
    assert google.accepted_creates == before  # nothing started, nothing charged


def test_slow_renders_take_five_times_as_long(api, google):
    started = _create(api, video_body("a kite [[sim:slow]]"))
    task = google.tasks[started["id"]]
    assert task.generation_seconds == 5 * google.generation_seconds


def test_cancel_and_delete(api):
    started = _create(api, video_body("a kite [[sim:slow]]"))
    cancelled = api.post(f"interactions/{started['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api.get(f"interactions/{started['id']}").json()["status"] == "cancelled"
    events = sse_events(api.get(f"interactions/{started['id']}", params={"stream": "true"}).text)
    assert [e["event_type"] for e in events][-2:] == [
        "interaction.status_update",
        "interaction.completed",
    ]
    assert api.delete(f"interactions/{started['id']}").json() == {}
    gone = api.get(f"interactions/{started['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["status"] == "NOT_FOUND"
