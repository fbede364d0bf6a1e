"""Issue 19 on the relays: no relay documents an edit or an extension of a Veo clip, so both are
refused before anything is sent, naming the routes that can; a clip of a relay's own Omni name
is edited by the relay's remix of it (``POST /v1/videos/{id}/remix``)."""

from __future__ import annotations

import pytest

import veo_magic as veo
from tests.support import assert_clip


@pytest.mark.parametrize("protocol", ["chat", "videos", "create"])
def test_relays_refuse_edits_and_extensions_naming_googles_routes(make_client, relay, protocol):
    client = make_client(protocol)
    first = client.generate("a lighthouse at dusk")
    sent = len(relay.requests)
    with pytest.raises(veo.VeoInputError, match="interactions") as edit:
        first.edit("make it night")
    assert edit.value.field == "edit"
    with pytest.raises(veo.VeoInputError, match="vertex") as extend:
        first.extend()
    assert extend.value.field == "extend"
    assert len(relay.requests) == sent and len(client.jobs()) == 1


def test_a_job_not_made_by_a_client_says_how_to_edit_it():
    job = veo.Job(protocol="interactions")
    with pytest.raises(RuntimeError, match=r"client\.edit"):
        job.edit("make it night")


def test_a_relays_omni_clip_is_edited_by_its_remix(make_client, relay):
    client = make_client("videos")
    first = client.generate("a lighthouse at dusk", model="omni-fast", seconds=4)
    edit = first.edit("make it night").wait(timeout=60)
    assert edit.status == "succeeded", edit.error
    (remix,) = [r for r in relay.requests if r.path.endswith("/remix")]
    assert remix.path == f"/v1/videos/{first.task_id}/remix"
    assert remix.json == {"prompt": "make it night"}  # OpenAI's CreateVideoRemixBody, no more
    assert relay.tasks[edit.task_id].remixed_from == first.task_id
    assert edit.parent is first and edit.step == "edit"
    assert_clip(edit.videos[0], *map(int, first.record["pixel_size"].split("x")), 4)
    assert [v.step for v in edit.versions()] == ["new", "edit"]


def test_a_remix_takes_the_prompt_alone(make_client, relay):
    first = make_client("videos").generate("a lighthouse at dusk", model="omni-fast", seconds=4)
    sent = len(relay.requests)
    with pytest.raises(veo.VeoInputError, match="takes only the prompt") as refused:
        first.edit("make it night", seconds=8)
    assert refused.value.field == "seconds" and len(relay.requests) == sent
    with pytest.raises(veo.VeoInputError, match="vertex"):
        first.extend()  # no relay documents an extension
