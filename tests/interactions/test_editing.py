"""Issue 19 on protocol="interactions": job.edit / job.extend / job.parent and the versions tree,
against the simulator's Interactions routes over loopback, with the request each step sent."""

from __future__ import annotations

import base64
import json

import pytest

import veo_magic as veo
from tests.support import assert_clip

CREATE = "/v1beta/interactions"


def _creates(relay):
    return [r for r in relay.requests if r.method == "POST" and r.path == CREATE]


@pytest.fixture
def omni(make_client, relay):
    relay.requests.clear()
    return lambda **options: make_client("interactions", **options)


def _first(client, prompt="a lighthouse at dusk", **options):
    options.setdefault("seconds", 3)
    options.setdefault("resolution", "360p")
    return client.generate(prompt, seed=7, **options)


def _corner(path, at=1.0):
    """The top-left pixel (RGB) of the frame at ``at`` s: the background, clear of any text."""
    import subprocess

    import imageio_ffmpeg

    raw = subprocess.run(
        [
            *(imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-ss", str(at), "-i", str(path)),
            *("-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"),
        ],
        capture_output=True,
        check=True,
    ).stdout
    return raw[:3]


def _shaded(edited, parent):
    """Whether ``edited`` is ``parent`` a shade darker (how the simulator draws an edit)."""
    return all(10 <= p - e <= 60 for e, p in zip(edited, parent, strict=True))


def test_an_edit_is_a_turn_that_resends_every_setting(omni, relay):
    client = omni()
    first = _first(client, orientation="portrait")
    edit = first.edit("make it night; keep everything else the same").wait(timeout=60)
    assert edit.status == "succeeded" and edit.parent is first
    assert edit.step == "edit" and edit.parent_id == first.id
    create = _creates(relay)[-1].json
    assert create["previous_interaction_id"] == first.task_id
    assert create["input"] == "make it night; keep everything else the same"
    assert create["generation_config"] == {"seed": 7, "video_config": {"task": "edit"}}
    assert create["response_format"] == {
        "type": "video",
        "aspect_ratio": "9:16",
        "duration": "3s",
        "resolution": "360p",
    }
    assert_clip(edit.videos[0], 360, 640, 3)
    assert edit.videos[0] != first.videos[0] and first.videos[0].is_file()  # nothing overwritten
    sidecar = json.loads(edit.videos[0].with_suffix(".json").read_text())
    assert sidecar["request"]["lineage"]["parent"] == first.id
    assert sidecar["prompt"] == "make it night; keep everything else the same"


def test_a_big_parent_clip_goes_through_the_files_api(omni, relay, monkeypatch):
    """Past the inline limit, a stateless edit uploads the parent's clip with the Files API's
    resumable upload (as google-genai's files.upload does) and sends its uri once ACTIVE."""
    from veo_magic.relays.protocols import interactions

    client = omni()
    first = _first(client)
    clip = first.videos[0].read_bytes()
    monkeypatch.setattr(interactions, "MAX_INLINE_VIDEO_BYTES", len(clip) - 1)  # just too big
    monkeypatch.setattr(interactions, "UPLOAD_CHUNK_BYTES", len(clip) // 2 + 1)  # two chunks
    edit = first.edit("make it snow [[sim:forgotten]]").wait(timeout=60)
    assert edit.status == "succeeded", edit.error
    uploads = [r for r in relay.requests if r.path == "/upload/v1beta/files"][-3:]
    assert [r.headers.get("x-goog-upload-command") for r in uploads] == [
        "start",
        "upload",
        "upload, finalize",
    ]
    assert uploads[0].headers["x-goog-upload-header-content-length"] == str(len(clip))
    assert all("x-goog-api-key" not in r.headers for r in uploads[1:])  # the URL is the credential
    _, video = _creates(relay)[-1].json["input"]
    assert set(video) == {"type", "mime_type", "uri"}  # no inline data
    file = video["uri"].rsplit("/", 1)[-1]
    assert bytes(relay.uploads[file].data) == clip and relay.uploads[file].active
    assert any("uploaded to the Files API" in note for note in edit.record["notes"])


def test_an_option_the_edit_names_replaces_the_parents(omni, relay):
    client = omni()
    first = _first(client)
    edit = client.edit(first, "now in the rain", seconds=4, seed=9).wait(timeout=60)
    create = _creates(relay)[-1].json
    assert create["response_format"]["duration"] == "4s"
    assert edit.record["lineage"]["total_seconds"] == 4  # the whole clip is the edit's length
    assert create["generation_config"]["seed"] == 9


def test_an_edit_renders_from_its_parents_frames(omni):
    client = omni()
    first = _first(client)
    edit = first.edit("make it night").wait(timeout=60)
    other = _first(client, "make it night!")  # a new clip: a background of its own
    parent, edited, fresh = (_corner(j.videos[0]) for j in (first, edit, other))
    assert _shaded(edited, parent)  # the edit is drawn over the parent's own frames
    assert not _shaded(fresh, parent)


def test_an_extension_continues_the_clip(omni, relay):
    client = omni()
    first = _first(client)
    longer = first.extend(seconds=4, prompt="the light sweeps out to sea").wait(timeout=60)
    create = _creates(relay)[-1].json
    assert create["generation_config"]["video_config"] == {"task": "extend"}
    assert create["response_format"]["duration"] == "4s"
    assert create["previous_interaction_id"] == first.task_id
    assert_clip(longer.videos[0], 640, 360, 7)  # the parent's 3 s, then 4 s more
    assert longer.record["lineage"]["total_seconds"] == 7


def test_extension_caps(omni, relay):
    client = omni()
    first = _first(client, seconds=15)
    sent = len(_creates(relay))
    with pytest.raises(veo.VeoInputError, match="30 s at most"):
        first.extend(seconds=10).wait(timeout=60).extend(seconds=10)
    assert len(_creates(relay)) == sent + 1  # the refused one sent nothing
    with pytest.raises(veo.VeoInputError, match="3–10 s a call"):
        first.extend(seconds=12)


def test_google_forgot_the_interaction_so_the_edit_goes_stateless(omni, relay):
    client = omni()
    first = _first(client)
    edit = first.edit("make it snow [[sim:forgotten]]").wait(timeout=60)
    refused, resent = _creates(relay)[-2:]
    assert refused.json["previous_interaction_id"] == first.task_id
    assert "previous_interaction_id" not in resent.json
    text, video = resent.json["input"]
    assert text == {"type": "text", "text": "make it snow [[sim:forgotten]]"}
    assert video["type"] == "video" and video["mime_type"] == "video/mp4"
    assert base64.b64decode(video["data"]) == first.videos[0].read_bytes()
    assert resent.json["generation_config"]["video_config"] == {"task": "edit"}
    assert edit.status == "succeeded"
    assert any("no longer knows" in note for note in edit.record["notes"])
    assert any("no longer knows" in n for n in client.jobs(1)[0]["request"]["notes"])


def test_an_edit_after_a_restart_chains_to_the_journalled_interaction(omni, relay):
    first = _first(omni())
    again = omni()  # a new process: a new client on the same output folder
    resumed = again.resume(first.task_id)
    assert resumed.status == "succeeded"  # its clip is on disk: nothing fetched, nothing charged
    edit = resumed.edit("add a red boat").wait(timeout=60)
    assert _creates(relay)[-1].json["previous_interaction_id"] == first.task_id
    assert edit.parent.id == first.id


def test_an_edit_in_a_new_process_chains_to_the_journalled_interaction(
    omni, relay, api_key, out_dir
):
    """A real restart: another Python process, with nothing but the output folder, resumes the
    clip by its task id and edits it; the turn names the journalled interaction."""
    import subprocess
    import sys

    first = _first(omni())
    script = (
        "import sys, veo_magic as veo\n"
        "c = veo.Client(api_key=sys.argv[1], base_url=sys.argv[2], protocol='interactions',"
        " output_dir=sys.argv[3], poll_interval=(0.05, 0.3))\n"
        "edit = c.resume(sys.argv[4]).edit('add a red boat').wait(timeout=60)\n"
        "print(edit.parent_id, edit.status, edit.videos[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, api_key, relay.base_url + "/v1", str(out_dir), first.task_id],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    parent, status, clip = done.stdout.split()
    assert (parent, status) == (first.id, "succeeded") and clip != str(first.videos[0])
    assert _creates(relay)[-1].json["previous_interaction_id"] == first.task_id


def test_versions_are_a_tree_that_survives_a_restart(omni):
    client = omni()
    first = _first(client)
    night = first.edit("make it night").wait(timeout=60)
    night.edit("add fog").wait(timeout=60)
    branch = first.edit("make it autumn").wait(timeout=60)  # an older version: a branch
    branch.extend(seconds=3).wait(timeout=60)
    tree = omni().versions(branch.id)  # a fresh client reads the journal
    assert [v.step for v in tree] == ["new", "edit", "edit", "edit", "extend"]
    assert tree.root.job_id == first.id
    assert [c.prompt for c in tree.root.children] == ["make it night", "make it autumn"]
    assert tree.depth(tree.root.children[1].children[0].job_id) == 2
    assert tree.spend == pytest.approx(sum(v.cost for v in tree)) and tree.spend > 0
    assert len({v.files[0] for v in tree}) == 5  # every version has its own file
    text = str(tree)
    assert "make it autumn" in text and "5 version(s)" in text


def test_an_edit_of_a_job_still_running_is_refused(omni):
    client = omni()
    running = client.submit("a slow lighthouse [[sim:slow]]", seconds=3, resolution="360p")
    with pytest.raises(veo.VeoInputError, match="wait for it to finish first"):
        running.edit("make it night")
    running.cancel()
    assert running._done.wait(10) and running.status == "cancelled"


def test_the_budget_guards_an_edit(omni):
    client = omni()
    first = _first(client)
    client.budget_usd = client.spend() + 0.01
    with pytest.raises(veo.VeoBudgetError):
        first.edit("make it night")
