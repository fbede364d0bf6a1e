"""The storyboard's timeline: a pure function of the storyboard, redrawn within a budget, static
at the end with the film; and ``%%veo --storyboard``, ``%veo resume``, ``%veo retry``."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from IPython.core.error import UsageError

from veo_magic._events import Completed, Downloaded, Progress, Submitted
from veo_magic.jobs.job import Job
from veo_magic.notebook.magics import VeoCellError
from veo_magic.notebook.refresh import MAX_MESSAGES, WINDOW, Budget, Refresher
from veo_magic.notebook.timeline import TimelineView, final_bundle, timeline_state
from veo_magic.storyboards.board import Shot, Storyboard

EVIL = "<img src=x onerror=alert(1)>"


def make_board(states, *, continuity="last-frame", prompt=EVIL):
    """A storyboard of fake jobs, one per state: nothing runs, the view only reads."""
    client = SimpleNamespace(simulated=True, protocol="videos")
    shots = [Shot(f"{prompt} {k}") for k in range(len(states))]
    board = Storyboard(client, shots, continuity)  # type: ignore[arg-type]
    board.jobs = [Job(protocol="videos", record={"prompt": s.prompt, "estimated_cost": 0.25},
                      simulated=True) for s in shots]  # fmt: skip
    board.status = "running"
    for job, state in zip(board.jobs, states, strict=True):
        if state in ("running", "succeeded", "failed"):
            job._apply(Submitted(task_id=f"task-{job.id}"))
            job._apply(Progress(40.0))
        if state == "succeeded":
            job._apply(Completed("succeeded"))
        elif state == "failed":
            job._apply(Completed("failed", error=f"refused {EVIL}"))
    return board


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


# -- the pure function --------------------------------------------------------------------------


def test_state_shows_each_shot_and_escapes_every_prompt():
    board = make_board(["succeeded", "running", "queued"])
    state = timeline_state(board, now=board.jobs[1].created_at + 65)
    header = state["header"]["value"]
    assert "3 shots" in header and "last-frame" in header and "≈ $0.75" in header
    assert "simulated" in header and board.id in header
    cards = state["cards"]
    assert [c["bar"]["value"] for c in cards] == [100, 40, 0]
    assert [c["bar"]["bar_style"] for c in cards] == ["success", "", ""]
    assert "running · 40%" in cards[1]["html"]["value"]
    assert "waiting for the shot before" in cards[2]["html"]["value"]
    # Retry: on a shot that has ended, while the storyboard runs
    assert [c["retry"]["disabled"] for c in cards] == [False, True, True]
    assert "and the shots that continue from it" in cards[0]["retry"]["tooltip"]
    for card in cards:
        assert EVIL not in card["html"]["value"] and "&lt;img src=x" in card["html"]["value"]
    assert state["cancel"]["disabled"] is False


def test_a_failed_storyboard_says_which_shot_and_why():
    board = make_board(["succeeded", "failed", "cancelled"])
    board.status, board.error = "failed", f"shot 1 failed: refused {EVIL}"
    state = timeline_state(board, now=0)
    assert "shot 1 failed" in state["header"]["value"] and EVIL not in state["header"]["value"]
    assert all(c["retry"]["disabled"] for c in state["cards"])  # the live view has ended
    assert "refused &lt;img" in state["cards"][1]["html"]["value"]
    assert state["cancel"]["disabled"] is True


def test_final_bundle_shows_the_cards_the_film_and_how_to_retry(make_mp4):
    board = make_board(["succeeded", "succeeded"])
    clips = [make_mp4(Path("veo_outputs") / f"shot{k}.mp4") for k in range(2)]
    for job, clip in zip(board.jobs, clips, strict=True):
        poster = clip.with_suffix(".jpg")
        poster.write_bytes(b"\xff\xd8\xff fake jpeg")
        job._apply(Downloaded(0, clip, "http://x", clip.stat().st_size, poster))
    board.film = make_mp4(Path("veo_outputs/storyboards/film.mp4"))
    board.status = "succeeded"
    bundle = final_bundle(board)
    page = bundle["text/html"]
    assert 'src="veo_outputs/storyboards/film.mp4"' in page
    for clip in clips:
        assert f'src="veo_outputs/{clip.name}"' in page  # each shot plays on its own too
    assert page.count('poster="data:image/jpeg;base64,') == 2
    assert f"%veo retry {board.id} 0" in page
    assert EVIL not in page and "application/vnd.jupyter.widget-view+json" not in bundle
    plain = bundle["text/plain"]
    for job in board.jobs:
        assert f"job {job.id} succeeded 100%" in plain
    assert "film.mp4" in plain


# -- the widget ---------------------------------------------------------------------------------


def test_redraws_stay_within_the_message_budget(sent):
    board = make_board(["running"] * 6)
    clock, loop = Clock(), Refresher(start=False)
    view = TimelineView(board, clock=clock, budget=Budget(clock), loop=loop)
    sent.clear()
    times = []
    for tick in range(40):  # every shot moves at every tick: far more than the budget allows
        for job in board.jobs:
            job._apply(Progress(40.0 + tick))
        before = len(sent)
        loop.redraw_all()
        times += [clock.now] * (len(sent) - before)
        clock.now += 0.1
    assert times, "nothing was redrawn"
    for start in times:
        in_window = [t for t in times if start <= t < start + WINDOW]
        assert len(in_window) <= MAX_MESSAGES
    # In the end every card shows where its shot is, and the view leaves the refresh loop.
    board.status = "succeeded"
    view._on_board(board)
    assert len(loop) == 0
    assert [card.bar.value for card in view.cards] == [79] * 6


def test_a_view_whose_output_is_replaced_sends_nothing_at_the_end(sent):
    board = make_board(["running"] * 3)
    clock, loop = Clock(), Refresher(start=False)
    view = TimelineView(board, clock=clock, budget=Budget(clock), loop=loop)
    finished = []
    view.when_final(finished.append)  # show_timeline's: the static final state replaces it
    sent.clear()
    board.status = "succeeded"
    view._on_board(board)
    assert finished == [view] and len(loop) == 0
    assert sent == []


def test_every_timeline_shares_one_set_of_layouts_and_styles():
    views = [TimelineView(make_board(["running"] * 3), loop=Refresher(start=False)) for _ in "ab"]
    shared = {id(w.layout) for v in views for c in v.cards for w in c.parts().values()}
    assert len(shared) == 3  # the text's, the bar's and the button's


# -- the magics ---------------------------------------------------------------------------------


@pytest.fixture
def shown(monkeypatch):
    """What the cell displays: each display(...) and every update of its handle."""
    import IPython.display

    outputs: list[dict] = []

    class Handle:
        def __init__(self, entry):
            self.entry = entry

        def update(self, bundle, raw=False):
            self.entry["updates"].append(bundle)

    def display(obj, *args, display_id=None, raw=False, **kwargs):
        entry = {"obj": obj, "updates": []}
        outputs.append(entry)
        return Handle(entry) if display_id else None

    monkeypatch.setattr(IPython.display, "display", display)
    return outputs


def cell(ip, line, body):
    return ip.run_cell_magic("veo", line, body)


BODY = """a paper boat on a {water}
---
>> --negative "people"
the boat drifts under a bridge
---
the boat reaches the sea
"""


def test_storyboard_cell_runs_to_the_film(ip, capsys, shown):
    ip.user_ns["water"] = "puddle"
    cell(ip, "--storyboard --wait --out board --protocol videos", BODY)
    board = ip.user_ns["board"]
    printed = capsys.readouterr().out
    assert "3 shots, continuity last-frame, estimated $0.75 in total (simulated" in printed
    assert board.status == "succeeded" and board.film.exists()
    assert board.shots[0].prompt == "a paper boat on a puddle"
    assert [job.record["negative_prompt"] for job in board.jobs] == [None, "people", None]
    (timeline,) = [o for o in shown if isinstance(o["obj"], TimelineView)]
    (final,) = timeline["updates"]  # once, when it ended: static HTML with the film
    assert board.film.name in final["text/html"] and 'data-status="succeeded"' in final["text/html"]


@pytest.mark.parametrize(
    ("line", "body", "words"),
    [
        ("--storyboard", "---", "shot 0: prompt is empty"),
        ("--storyboard", "a fox\n---\n   \n---\nthe fox runs", "shot 1: prompt is empty"),
        (
            "--storyboard --protocol videos",
            "a fox\n---\n>> --seconds 5\nthe fox runs",
            "shot 1: seconds='5'",
        ),
        ("--storyboard --continuity extend", "a fox\n---\nthe fox runs", "no extension"),
        ("--storyboard --continuity sideways", "a fox\n---\nb", "continuity='sideways'"),
        ("--continuity none", "a fox\n---\nb", "--continuity goes with --storyboard"),
        ("--storyboard --vary s=a,b", "a {s}\n---\nb", "do not combine"),
        ("--storyboard", "a {missing}\n---\nb", "no variable 'missing'"),
    ],
)
def test_storyboard_cell_refuses_bad_input_before_any_request(ip, line, body, words):
    from veo_magic.jobs.runner import started_jobs

    before = len(started_jobs())
    with pytest.raises(UsageError, match=words.replace("$", r"\$").replace("(", r"\(")):
        cell(ip, line, body)
    assert len(started_jobs()) == before


def test_resume_and_retry_a_storyboard_by_its_id(ip, shown):
    from veo_magic.simulator import shared_simulator

    cell(ip, "--storyboard --wait --out board --protocol create", "a kite rises\n---\nit falls")
    board = ip.user_ns["board"]
    creates = shared_simulator().accepted_creates
    ip.run_line_magic("veo", f"resume {board.id} --wait --out again")
    assert ip.user_ns["again"].film == board.film
    assert shared_simulator().accepted_creates == creates  # nothing was sent again
    ip.run_line_magic("veo", f"retry {board.id} 1 --wait --prompt 'it floats away'")
    assert shared_simulator().accepted_creates == creates + 1
    assert board.shots[1].prompt == "it floats away" and board.status == "succeeded"
    with pytest.raises(UsageError, match="allowed: 0 to 1"):
        ip.run_line_magic("veo", f"retry {board.id} 5")


def test_a_failed_shot_ends_the_waiting_cell_in_one_line(ip, shown):
    with pytest.raises(VeoCellError) as info:
        cell(ip, "--storyboard --wait --protocol videos", "a fox\n---\nit runs [[sim:refuse]]")
    (line,) = info.value._render_traceback_()
    assert "shot 1 failed" in line and "%veo retry" in line
