"""Storyboards end to end on the simulator, on every protocol that takes a first frame.

What is checked is what a person would: each later shot's create request carries an image whose
pixels are the previous clip's last frame (decoded independently here), the film is as long as
its shots less one frame a cut, a retry re-creates only the shots it must (counted by the
simulator's accepted creates), and bad input is refused before any request.
"""

from __future__ import annotations

import io
import json

import imageio_ffmpeg
import pytest
from PIL import Image, ImageChops, ImageStat

import veo_magic as veo
from veo_magic.media.probe import probe
from veo_magic.simulator import Simulator

FIRST_FRAME_PROTOCOLS = ("chat", "videos", "create", "gemini")
MAX_PIXEL_DIFFERENCE = 1.0  # mean absolute difference, 0-255: the handoff is lossless


def last_frame_of(clip) -> Image.Image:
    reader = imageio_ffmpeg.read_frames(str(clip))
    meta = next(reader)
    frame = None
    for frame in reader:  # noqa: B007 - the last one is wanted
        pass
    assert frame is not None
    return Image.frombytes("RGB", meta["size"], frame)


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


def task_for(sim: Simulator, job):
    """The simulator's task for ``job`` (chat streams name none: found by the prompt's text)."""
    if job.task_id and job.task_id in sim.tasks:
        return sim.tasks[job.task_id]
    matches = [t for t in sim.tasks.values() if t.text == job.prompt]
    assert len(matches) == 1, [t.text for t in matches]
    return matches[0]


def shots(tag: str, count: int = 3) -> list[str]:
    words = ["a fox wakes in its den", "the fox steps out into snow", "the fox runs away"]
    return [f"{words[i % 3]} ({tag} {i})" for i in range(count)]


@pytest.mark.parametrize("protocol", FIRST_FRAME_PROTOCOLS)
def test_three_shots_chained_by_their_last_frames(make_client, relay, tag, protocol):
    client = make_client(protocol)
    before = relay.accepted_creates
    board = veo.storyboard(shots(tag), client=client, continuity="last-frame")
    assert len(board.jobs) == 3 and board.film is None
    assert board.wait(timeout=120) is board
    assert board.status == "succeeded" and relay.accepted_creates == before + 3
    assert [job.status for job in board.jobs] == ["succeeded"] * 3

    differences = []
    for k in (1, 2):
        task = task_for(relay, board.jobs[k])
        sent = [image for image in task.images if image.role == "first"]
        assert len(sent) == 1 and sent[0].data, task.images
        previous = last_frame_of(board.jobs[k - 1].videos[0])
        image = Image.open(io.BytesIO(sent[0].data))
        assert image.size == previous.size  # at the clip's own resolution
        differences.append(mean_difference(image, previous))
        # ...and saved beside the clip it came from
        assert (
            board.jobs[k - 1]
            .videos[0]
            .with_name(board.jobs[k - 1].videos[0].stem + ".last.png")
            .is_file()
        )
    assert max(differences) < MAX_PIXEL_DIFFERENCE, differences
    assert not task_for(relay, board.jobs[0]).images  # shot 0 starts from nothing

    film = probe(board.film)
    clips = [probe(job.videos[0]) for job in board.jobs]
    assert abs(film.seconds - sum(c.seconds for c in clips)) <= 0.1 * 2
    assert (film.width, film.height) == (clips[0].width, clips[0].height)
    assert film.audio_codec is not None
    sidecar = json.loads(board.film.with_suffix(".json").read_text())
    assert sidecar["cuts"] == 2 and sidecar["trimmed_frames"] == 2
    assert [s["task_id"] for s in sidecar["shots"]] == [job.task_id for job in board.jobs]
    assert [s["prompt"] for s in sidecar["shots"]] == shots(tag)
    assert sidecar["estimated_cost"] == pytest.approx(sum(j.estimated_cost for j in board.jobs))


def test_the_first_shot_may_start_from_the_users_image(make_client, relay, tag, tmp_path):
    from tests.images import write_png

    start = write_png(tmp_path / "start.png", color=(10, 200, 30))
    board = veo.storyboard(
        shots(tag, 2), client=make_client("videos"), first_frame=str(start)
    ).wait(timeout=120)
    first = [i for i in task_for(relay, board.jobs[0]).images if i.role == "first"]
    assert first and first[0].data == start.read_bytes()


def test_extend_makes_each_shot_the_clip_so_far(make_client, relay, tag):
    board = veo.storyboard(shots(tag), client=make_client("gemini"), continuity="extend")
    board.wait(timeout=120)
    lengths = [probe(job.videos[0]).seconds for job in board.jobs]
    assert lengths == pytest.approx([8, 15, 22], abs=0.1)
    extends = [task_for(relay, job).request["extends"] for job in board.jobs]
    assert extends == [None, board.jobs[0].task_id, board.jobs[1].task_id]
    # Google returns the whole video each time: the film is the last shot's clip.
    assert probe(board.film).seconds == pytest.approx(22, abs=0.1)


def test_extend_on_omni_is_a_turn_of_each_shots_interaction(make_client, relay, tag):
    """On ``interactions`` each later shot is Gemini Omni's extension of the shot before: a new
    turn of its interaction, as long as the shot's own ``seconds``; the film is the last clip."""
    board = veo.storyboard(
        [
            f"a lighthouse at dusk ({tag})",
            {"prompt": "the beam sweeps the sea", "seconds": 4},
            "fog",
        ],
        client=make_client("interactions"),
        continuity="extend",
        seconds=3,
        resolution="360p",
    )
    assert board.estimated_cost == pytest.approx(sum(j.estimated_cost for j in board.jobs))
    board.wait(timeout=120)
    assert board.status == "succeeded", [j.error for j in board.jobs]
    lengths = [probe(job.videos[0]).seconds for job in board.jobs]
    assert lengths == pytest.approx([3, 7, 10], abs=0.1)
    ids = [job.task_id for job in board.jobs]
    bodies = [
        r.json for r in relay.requests if r.method == "POST" and r.path == "/v1beta/interactions"
    ]
    first = next(b for b in bodies if tag in str(b.get("input")))
    turns = [
        first,
        *(next(b for b in bodies if b.get("previous_interaction_id") == i) for i in ids[:2]),
    ]
    assert [t["generation_config"]["video_config"]["task"] for t in turns] == [
        "text_to_video",
        "extend",
        "extend",
    ]
    assert [t["response_format"]["duration"] for t in turns] == ["3s", "4s", "3s"]
    assert all(t["response_format"]["resolution"] == "360p" for t in turns)  # resent each turn
    assert [j.parent_id for j in board.jobs] == [None, board.jobs[0].id, board.jobs[1].id]
    assert probe(board.film).seconds == pytest.approx(10, abs=0.1)


def test_independent_shots_render_at_once_and_join_whole(make_client, relay, tag):
    board = veo.storyboard(shots(tag), client=make_client("videos"), continuity="none", seconds=4)
    board.wait(timeout=120)
    tasks = [task_for(relay, job) for job in board.jobs]
    assert all(not t.images for t in tasks)
    started = sorted(t.created_at for t in tasks)
    finished = min(t.finished_at for t in tasks)
    assert started[-1] < finished  # all three were under way before the first one ended
    assert probe(board.film).seconds == pytest.approx(12, abs=0.1)


def test_per_shot_options(make_client, relay, tag):
    board = veo.storyboard(
        [shots(tag)[0], {"prompt": shots(tag)[1], "seconds": 4, "negative_prompt": "people"}],
        client=make_client("videos"),
        seconds=6,
    ).wait(timeout=120)
    assert [job.record["seconds"] for job in board.jobs] == [6, 4]
    assert [job.record["negative_prompt"] for job in board.jobs] == [None, "people"]
    assert [probe(job.videos[0]).seconds for job in board.jobs] == pytest.approx([6, 4], abs=0.1)


def test_retry_renders_that_shot_and_the_ones_after_it(make_client, relay, tag):
    board = veo.storyboard(shots(tag), client=make_client("videos")).wait(timeout=120)
    first_film, kept = board.film, board.jobs[0]
    before = relay.accepted_creates
    board.retry(1, prompt=f"the fox leaps out into snow ({tag})")
    board.wait(timeout=120)
    assert relay.accepted_creates == before + 2  # shots 1 and 2, not shot 0
    assert board.jobs[0] is kept and board.shots[1].prompt.startswith("the fox leaps")
    assert board.film != first_film and board.film.exists() and first_film.exists()
    sent = next(i for i in task_for(relay, board.jobs[1]).images if i.role == "first")
    difference = mean_difference(Image.open(io.BytesIO(sent.data)), last_frame_of(kept.videos[0]))
    assert difference < MAX_PIXEL_DIFFERENCE
    # The journal points at the new takes: a new process would resume these.
    row = board.client.journal.get_storyboard(board.id)
    assert [s["job"] for s in row["shots"]] == [job.id for job in board.jobs]
    assert row["film"] == str(board.film) and row["status"] == "succeeded"


def test_retry_of_independent_shots_renders_that_shot_only(make_client, relay, tag):
    board = veo.storyboard(shots(tag), client=make_client("videos"), continuity="none")
    board.wait(timeout=120)
    before = relay.accepted_creates
    board.retry(1).wait(timeout=120)
    assert relay.accepted_creates == before + 1


def test_a_failed_shot_stops_the_chain_and_retry_goes_on(make_client, relay, tag):
    prompts = shots(tag)
    prompts[1] += " [[sim:refuse]]"
    client = make_client("videos")
    before = relay.accepted_creates
    board = veo.storyboard(prompts, client=client)
    with pytest.raises(veo.VeoGenerationError) as info:
        board.wait(timeout=120)
    assert "shot 1 failed" in str(info.value) and "board.retry(1)" in str(info.value)
    assert [job.status for job in board.jobs] == ["succeeded", "failed", "cancelled"]
    assert "not rendered" in board.jobs[2].error
    assert relay.accepted_creates == before + 2  # nothing was sent for shot 2
    assert board.film is None and board.status == "failed"
    assert client.journal.get(board.jobs[2].id)["status"] == "cancelled"

    board.retry(1, prompt=shots(tag)[1]).wait(timeout=120)
    assert board.status == "succeeded" and relay.accepted_creates == before + 4


def test_await_a_storyboard(make_client, tag):
    import asyncio

    client = make_client("create")

    async def main():
        return await veo.storyboard(shots(tag, 2), client=client)

    assert asyncio.run(main()).status == "succeeded"


def test_cancel_stops_every_shot(make_client, relay, tag):
    board = veo.storyboard(shots(tag), client=make_client("videos"))
    board.cancel()
    with pytest.raises(veo.VeoCancelledError):
        board.wait(timeout=30)
    assert all(job.status == "cancelled" for job in board.jobs)
    assert board.client.spend() == 0  # not one of them reached the relay


# -- bad input, before any request ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("protocol", "given", "options", "words"),
    [
        ("videos", ["a fox", ""], {}, "shot 1: prompt='' is empty"),
        ("videos", ["a fox", {"prompt": "  "}], {}, "shot 1: prompt='  ' is empty"),
        ("videos", [], {}, "has no shot"),
        ("videos", "a fox", {}, "is a str, not a list of shots"),
        ("videos", ["a", "b"], {"continuity": "extend"}, "the videos protocol has no extension"),
        ("chat", ["a", "b"], {"continuity": "extend"}, "the chat protocol has no extension"),
        ("gemini", ["a", "b"], {"continuity": "extend", "model": "veo-3.0"}, "only Veo 3.1"),
        ("gemini", ["a"], {"continuity": "extend", "model": "veo-3.0"}, "only Veo 3.1"),
        ("gemini", ["a", {"prompt": "b", "seconds": 4}], {"continuity": "extend"}, "adds 7 s"),
        (
            "interactions",
            ["a", "b", "c", "d"],
            {"continuity": "extend", "seconds": 10},
            "shot 3: extend='shot 2' cannot extend a 30 s clip",
        ),
        ("interactions", ["a", {"prompt": "b", "seconds": 2}], {"continuity": "extend"}, "3–10"),
        ("videos", ["a", {"prompt": "b", "seconds": 5}], {}, "shot 1: seconds=5"),
        ("chat", ["a", {"prompt": "b", "seconds": 4}], {}, "shot 1: seconds=4"),
        ("videos", ["a", {"prompt": "b", "first_frame": "x.png"}], {}, "shot 0's last frame"),
        ("videos", ["a", "b"], {"n": 2}, "one clip"),
        ("videos", ["a", "b"], {"continuity": "sideways"}, "continuity='sideways'"),
        (
            "videos",
            ["a", {"prompt": "b", "extend": "https://x/y"}],
            {},
            "is the storyboard's to set",
        ),
        ("create", ["a", "b"], {"references": ["x.png"]}, "references"),
    ],
)
def test_bad_input_is_refused_before_any_request(
    make_client, relay, tmp_path, protocol, given, options, words
):
    from tests.images import write_png

    if "references" in options:
        options = {"references": [str(write_png(tmp_path / "x.png"))]}
    client = make_client(protocol)
    requests = len(relay.requests)
    with pytest.raises(veo.VeoInputError) as info:
        veo.storyboard(given, client=client, **options)
    assert words in str(info.value)
    assert len(relay.requests) == requests
    assert client.jobs() == []


def test_the_budget_guard_sees_the_whole_storyboard(make_client, relay):
    client = make_client("videos", budget_usd=0.6)  # one shot fits, three do not
    requests = len(relay.requests)
    with pytest.raises(veo.VeoBudgetError) as info:
        veo.storyboard(["a", "b", "c"], client=client)
    assert "this storyboard of 3 shots" in str(info.value)
    assert len(relay.requests) == requests
