"""Issue 19 on protocol="vertex": Veo's extension from the clip's bytes (+7 s), and an edit refused
before anything is sent, naming the route that edits (interactions)."""

from __future__ import annotations

import base64

import pytest
from vertex_helpers import submits

import veo_magic as veo
from tests.support import assert_clip


def test_extend_sends_the_parents_bytes_and_adds_seven_seconds(vertex_client, google):
    client = vertex_client()
    first = client.generate("a lighthouse at dusk", seconds=4)
    longer = first.extend(prompt="the beam sweeps the sea").wait(timeout=60)
    submit = submits(google)[-1].json
    (instance,) = submit["instances"]
    assert instance["prompt"] == "the beam sweeps the sea"
    assert instance["video"]["mimeType"] == "video/mp4"
    assert base64.b64decode(instance["video"]["bytesBase64Encoded"]) == first.videos[0].read_bytes()
    assert "durationSeconds" not in submit["parameters"]  # an extension always adds 7 s
    assert_clip(longer.videos[0], 1280, 720, 11)  # 4 s, then 7 s more
    assert longer.parent is first and longer.step == "extend"
    assert longer.record["lineage"]["total_seconds"] == 11
    assert longer.estimated_cost == pytest.approx(first.estimated_cost / 4 * 7)


def test_an_edit_on_vertex_is_refused_naming_interactions(vertex_client, google):
    first = vertex_client().generate("a lighthouse at dusk", seconds=4)
    sent = len(submits(google))
    with pytest.raises(veo.VeoInputError, match="interactions") as refused:
        first.edit("make it night")
    assert "Veo" in str(refused.value)
    assert len(submits(google)) == sent


def test_an_extension_asks_no_length_of_its_own(vertex_client, google):
    first = vertex_client().generate("a lighthouse at dusk", seconds=4)
    with pytest.raises(veo.VeoInputError, match="always adds 7 s"):
        first.extend(seconds=5)


def test_a_storyboard_extends_each_shot_from_the_clip_before(vertex_client, google):
    """``continuity="extend"`` on Vertex: each later shot sends the shot before's bytes."""
    client = vertex_client()
    board = veo.storyboard(
        [{"prompt": "a lighthouse at dusk", "seconds": 4}, "the beam sweeps the sea"],
        client=client,
        continuity="extend",
    ).wait(timeout=120)
    assert board.status == "succeeded", [j.error for j in board.jobs]
    (instance,) = submits(google)[-1].json["instances"]
    sent = base64.b64decode(instance["video"]["bytesBase64Encoded"])
    assert sent == board.jobs[0].videos[0].read_bytes()
    assert_clip(board.film, 1280, 720, 11)  # the film is the last clip: 4 s, then 7 s more
