"""Restart-proof storyboards: SIGKILLed while shot 2 renders, a storyboard is finished by a new
process (``veo-magic resume ID`` or ``Client.resume_storyboard``) without creating shot 0, 1 or
2 again; the film is made from the clips on disk and the one the relay finished meanwhile."""

from __future__ import annotations

import sys
import time

import pytest

import veo_magic as veo
from tests.reliability.support import KEY, kill_half_way, resume_in_cli, resuming_client
from veo_magic.jobs.journal import Journal
from veo_magic.media.probe import probe
from veo_magic.simulator import Simulator

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX")]

WORDS = ("rises", "loops", "lands")
# A child that starts a three-shot storyboard and waits for it; the test kills it half way.
RUN_BOARD = f"""
import sys, veo_magic as veo
base_url, out, tag = sys.argv[1:4]
client = veo.Client(base_url=base_url, protocol="videos", output_dir=out, poll_interval=(0.05, 0.3))
board = client.storyboard([f"a kite {{word}} ({{tag}})" for word in {WORDS!r}])
print(board.id, flush=True)
board.wait()
"""


def shot_row(journal: Journal, board_id: str, index: int):
    board = journal.get_storyboard(board_id)
    job = board["shots"][index]["job"] if board else None
    return journal.get(job) if job else None


def kill_during_shot_2(sim: Simulator, out, tag: str) -> str:
    args = [sim.base_url + "/v1", str(out), tag]
    board_id, row = kill_half_way(
        RUN_BOARD, args, out, lambda journal, key: shot_row(journal, key, 2), timeout=60
    )
    assert sim.tasks[row["task_id"]].phase() in ("queued", "running"), "killed half way"
    assert row["status"] in ("queued", "running") and row["files"] == []
    return board_id


@pytest.mark.parametrize("resumer", ["cli", "client"])
def test_a_killed_storyboard_is_finished_without_paying_twice(slow_sim, tmp_path, resumer):
    out = tmp_path / "out"
    tag = f"{resumer} {time.monotonic_ns()}"
    before = slow_sim.accepted_creates
    board_id = kill_during_shot_2(slow_sim, out, tag)
    assert slow_sim.accepted_creates == before + 3  # every shot was created once
    kept = [shot_row(Journal(out), board_id, k)["files"] for k in (0, 1)]

    if resumer == "cli":
        film, stderr = resume_in_cli(slow_sim, board_id, out, timeout=120)
        assert "shot 2: succeeded" in stderr
    else:
        with resuming_client(slow_sim, out) as client:
            board = client.resume_storyboard(board_id).wait(timeout=120)
        film = str(board.film)
        assert [job.prompt for job in board.jobs] == [f"a kite {w} ({tag})" for w in WORDS]

    assert slow_sim.accepted_creates == before + 3  # no shot created again
    journal = Journal(out)
    row = journal.get_storyboard(board_id)
    assert row["status"] == "succeeded" and row["film"] == film
    assert [shot_row(journal, board_id, k)["files"] for k in (0, 1)] == kept
    assert shot_row(journal, board_id, 2)["status"] == "succeeded"
    clips = [probe(shot_row(journal, board_id, k)["files"][0]) for k in range(3)]
    assert abs(probe(film).seconds - sum(c.seconds for c in clips)) <= 0.2


def test_resuming_a_finished_storyboard_sends_nothing(make_client, relay, tmp_path):
    board = make_client("create").storyboard(["a boat sets sail", "it reaches port"])
    board.wait(timeout=60)
    requests = len(relay.requests)
    with resuming_client(relay, tmp_path / "out") as again:
        resumed = again.resume_storyboard(board.id)
        assert resumed.wait(timeout=5).film == board.film
        assert [job.id for job in resumed.jobs] == [job.id for job in board.jobs]
        assert len(relay.requests) == requests


def test_an_unknown_storyboard_is_an_input_error(tmp_path):
    client = veo.Client(base_url="http://127.0.0.1:9/v1", api_key=KEY, output_dir=tmp_path)
    with pytest.raises(veo.VeoInputError, match="storyboard='nope' is not recorded"):
        client.resume_storyboard("nope")
