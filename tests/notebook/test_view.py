"""JobView: a pure function of the job's state, redrawn by one refresh loop, budgeted, escaped.

The clock is injected and the refresh loop is driven by hand (``Refresher(start=False)``), so
nothing here sleeps: "a second later" is ``clock.advance(1)`` followed by a tick.
"""

from __future__ import annotations

import threading

import pytest

from veo_magic._events import Completed, Downloaded, Failed, Progress, Submitted
from veo_magic.jobs.job import Job
from veo_magic.notebook.job_view import FINAL_MESSAGES, MAX_MESSAGES, JobView, view_state
from veo_magic.notebook.refresh import CLOCKS_PER_TICK, TICK, Budget, Refresher

EVIL = "<img src=x onerror=alert(1)>"


class Clock:
    """A clock the test moves: ``time.time`` for the view, ``time.monotonic`` for its budget."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def loop():
    """A refresh loop that ticks only when the test says."""
    return Refresher(start=False)


@pytest.fixture
def make_view(clock, loop):
    def make(job=None, **kwargs):
        kwargs.setdefault("clips", lambda _bundle: None)
        return JobView(job, clock=clock, budget=Budget(clock), loop=loop, **kwargs)

    return make


def make_job(prompt="a red fox in snow", **record):
    base = {
        "prompt": prompt,
        "model": "veo-3.1",
        "wire_model": "veo-3.1-landscape",
        "orientation": "landscape",
        "seconds": 8,
        "n": 1,
        "estimated_cost": 0.25,
    }
    return Job(protocol="chat", record={**base, **record}, simulated=True)


def on_the_jobs_thread(*calls):
    """Apply events from another thread, as the background loop does."""
    thread = threading.Thread(target=lambda: [call() for call in calls])
    thread.start()
    thread.join()


def values(view):
    return [
        view.header.value,
        view.status.value,
        view.cancel_button.description,
        view.cancel_button.tooltip,
    ]


def parts(view):
    """The model ids of the widgets a view updates."""
    return {w.model_id for w in (view.header, view.bar, view.status, view.cancel_button)}


def busiest_second(stamps):
    """The most timestamps in any one second (sliding)."""
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, at in enumerate(stamps):
        while at - stamps[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.fixture
def stamped(monkeypatch, clock):
    """Every comm message widgets send, stamped with the test's clock."""
    import ipywidgets

    messages: list[dict] = []

    def send(self, msg, buffers=None):
        messages.append({"model": self.model_id, "at": clock.now, **msg})

    monkeypatch.setattr(ipywidgets.Widget, "_send", send)
    return messages


# -- what it shows -------------------------------------------------------------------------------


def test_the_state_is_a_pure_function_of_the_job(clock):
    job = make_job()
    job._apply(Submitted("t"))
    job.started_at = clock.now
    first = view_state(job, now=clock.now)
    assert view_state(job, now=clock.now) == first
    job._apply(Progress(40.0, message="rendering"))
    later = view_state(job, now=clock.now + 61)
    assert later["bar"]["value"] == 40 and "1:01" in later["status"]["value"]
    assert "rendering" in later["status"]["value"]


def test_a_retry_shows_in_the_status_until_the_next_news(clock):
    from veo_magic._events import Retrying

    job = make_job()
    job._apply(Submitted("t"))
    job._apply(Progress(40.0, message="rendering"))
    job._apply(Retrying("relay busy (HTTP 429), retrying in 4 s (2/7)"))
    status = view_state(job, now=clock.now)["status"]["value"]
    assert "relay busy (HTTP 429), retrying in 4 s (2/7)" in status and "rendering" not in status
    job._apply(Retrying(None))  # the retried request went through
    assert "rendering" in view_state(job, now=clock.now)["status"]["value"]


def test_initial_state_shows_the_request(make_view):
    view = make_view(make_job())
    assert "a red fox in snow" in view.header.value
    assert "veo-3.1-landscape" in view.header.value
    assert "landscape" in view.header.value and "8 s" in view.header.value
    assert "$0.25" in view.header.value and "simulated" in view.header.value
    assert view.bar.value == 0 and not view.cancel_button.disabled


def test_not_simulated_has_no_badge(make_view):
    job = Job(protocol="chat", record={"prompt": "x", "model": "veo-3.1"}, simulated=False)
    assert "simulated" not in make_view(job).header.value


def test_progress_message_and_success(mp4, make_view, loop, clock):
    job = make_job()
    seen = []
    view = make_view(job, clips=seen.append)
    on_the_jobs_thread(
        lambda: job._apply(Submitted("task-7")),
        lambda: job._apply(Progress(42.5, message="rendering <b>frames</b>")),
    )
    assert view.bar.value == 0  # nothing is drawn between ticks
    loop.redraw_all()
    assert view.bar.value == 42
    assert "42%" in view.status.value and "running" in view.status.value
    assert "rendering &lt;b&gt;frames&lt;/b&gt;" in view.status.value
    poster = mp4.with_suffix(".jpg")
    poster.write_bytes(b"\xff\xd8\xff")  # the runner makes it before Downloaded
    on_the_jobs_thread(
        lambda: job._apply(Downloaded(0, mp4, "http://relay/v.mp4", mp4.stat().st_size, poster)),
    )
    page = seen[-1]["text/html"]  # the clip is shown as soon as it is on disk
    assert "<video" in page and 'src="veo_outputs/clip.mp4"' in page
    assert '<img src="veo_outputs/clip.jpg"' in page
    assert seen[-1]["text/plain"] == str(mp4)
    on_the_jobs_thread(lambda: job._apply(Completed("succeeded")))
    assert view.bar.value == 100 and view.bar.bar_style == "success"  # at once, no tick
    assert view.cancel_button.disabled
    assert "1 clip saved" in view.status.value
    assert len(seen) == 1  # the clip is not published again at the end


def test_failure_names_the_task_and_the_resume_command(make_view):
    job = make_job()
    view = make_view(job)
    on_the_jobs_thread(
        lambda: job._apply(Submitted("video_<abc>")),
        lambda: job._apply(Failed("content policy <refused>", task_id="video_<abc>")),
        lambda: job._apply(Completed("failed", error="content policy <refused>")),
    )
    assert view.bar.bar_style == "danger"
    assert "content policy &lt;refused&gt;" in view.status.value
    assert "%veo resume video_&lt;abc&gt;" in view.status.value
    assert "failed" in view.status.value


def test_a_resumable_failure_says_so_once_in_the_notebooks_words(make_view):
    job = make_job()
    view = make_view(job)
    job._apply(Submitted("task_<9>"))
    job.recovery = "resume"
    job._apply(Completed("failed", error="HTTP 503 from GET /v1/videos/task_9"))
    text = view.status.value
    assert f"task_&lt;9&gt; is not lost: resume it with `%veo resume {job.id}`" in text
    assert text.count("resume") == 2 and "client.resume" not in text and "veo-magic" not in text


def test_failure_without_a_task_id_says_so(make_view):
    job = make_job()
    view = make_view(job)
    on_the_jobs_thread(lambda: job._apply(Completed("failed", error="stream cut")))
    assert "nothing to resume" in view.status.value


def test_prompt_and_server_text_are_never_markup(make_view, loop):
    job = make_job(prompt=EVIL, wire_model=EVIL)
    job.id = EVIL
    view = make_view(job, label=EVIL)
    on_the_jobs_thread(
        lambda: job._apply(Submitted(EVIL)),
        lambda: job._apply(Progress(10, message=EVIL)),
    )
    loop.redraw_all()
    assert "&lt;img" in view.status.value
    on_the_jobs_thread(lambda: job._apply(Completed("failed", error=EVIL)))
    assert view.bar.bar_style == "danger"
    for value in values(view):
        assert "<img" not in value
    assert view.header.value.count("&lt;img src=x onerror=alert(1)&gt;") >= 3


def test_cancel_button_cancels_the_job(make_view, loop, clock):
    class Future:
        cancelled = False

        def cancel(self):
            Future.cancelled = True
            return True

    job = make_job()
    job._future = Future()
    view = make_view(job)
    view.cancel_button.click()
    assert Future.cancelled and view.cancel_button.disabled  # at once, no tick
    assert view.cancel_button.description == "Cancelling…"
    on_the_jobs_thread(lambda: job._apply(Progress(5.0)))  # an update meanwhile keeps it so
    clock.advance(TICK)
    loop.redraw_all()
    assert view.bar.value == 5
    assert view.cancel_button.disabled and view.cancel_button.description == "Cancelling…"
    on_the_jobs_thread(lambda: job._apply(Completed("cancelled", error="cancelled by the user")))
    assert view.bar.bar_style == "warning"
    assert "Cancelled" in view.status.value
    assert view.cancel_button.disabled and view.cancel_button.description == "Cancel"


# -- the budget ----------------------------------------------------------------------------------


def test_at_most_ten_messages_a_second_final_state_included(make_view, loop, clock, stamped):
    job = make_job()
    view = make_view(job)
    mine = parts(view)
    stamped.clear()
    job._apply(Submitted("t"))
    for i in range(100):  # 50 progress events a second with a new message each, 2 s long
        job._apply(Progress(i, message=f"step {i}"))
        clock.advance(0.02)
        if i % 20 == 19:  # the refresh loop's ticks, TICK apart
            loop.redraw_all()
    loop.redraw_all()
    bar = [m for m in stamped if m["model"] == view.bar.model_id and "value" in m["state"]]
    assert bar[-1]["state"]["value"] == 99  # the last value always goes out
    assert "step 99" in view.status.value
    job._apply(Completed("succeeded"))  # at once: no waiting for the budget
    assert view.bar.value == 100 and view.bar.bar_style == "success"
    stamps = [m["at"] for m in stamped if m["model"] in mine]
    assert busiest_second(stamps) <= MAX_MESSAGES, busiest_second(stamps)
    assert len(bar) >= 3  # still moving: a few updates a second
    # nothing is sent for a trait that did not change
    before = len(stamped)
    loop.redraw_all()
    assert len(stamped) == before


def test_the_final_state_fits_in_the_budget_after_a_burst(make_view, loop, clock, stamped):
    job = make_job()
    view = make_view(job)
    mine = parts(view)
    job._apply(Submitted("t"))
    for i in range(20):  # every tick has news, and the header, bar and text all change
        job._apply(Progress(i * 4, message=f"step {i}"))
        job.record = {**job.record, "wire_model": f"veo-3.1-v{i}"}
        loop.redraw_all()
        clock.advance(0.1)
    job._apply(Completed("failed", error="the relay gave up"))
    assert view.bar.bar_style == "danger" and "the relay gave up" in view.status.value
    stamps = [m["at"] for m in stamped if m["model"] in mine]
    assert busiest_second(stamps) <= MAX_MESSAGES, busiest_second(stamps)
    clock.advance(1)
    before = len(stamped)
    loop.redraw_all()  # the view has left the loop: nothing after the end
    assert len(stamped) == before and len(loop) == 0


def test_the_budget_keeps_room_for_the_final_state(clock):
    budget = Budget(clock)
    assert budget.allows(MAX_MESSAGES - FINAL_MESSAGES)
    assert not budget.allows(MAX_MESSAGES - FINAL_MESSAGES + 1)
    budget.spend(MAX_MESSAGES - FINAL_MESSAGES)
    assert not budget.allows(1)
    clock.advance(1.3)  # the window has passed
    assert budget.allows(MAX_MESSAGES - FINAL_MESSAGES)


def test_a_progress_update_is_two_messages(make_view, loop, clock, stamped):
    job = make_job()
    view = make_view(job)
    job._apply(Submitted("t"))
    loop.redraw_all()
    stamped.clear()
    job._apply(Progress(50, message="halfway"))
    loop.redraw_all()
    assert view.bar.value == 50
    assert {m["model"] for m in stamped} == {view.bar.model_id, view.status.model_id}
    assert len(stamped) == 2


def test_updates_stop_after_the_end(make_view, loop, clock, stamped):
    job = make_job()
    view = make_view(job)
    assert len(loop) == 1
    on_the_jobs_thread(lambda: job._apply(Completed("succeeded")))
    assert len(loop) == 0
    stamped.clear()
    clock.advance(5)
    loop.redraw_all()
    assert [m for m in stamped if m["model"] in parts(view)] == []


def test_elapsed_ticks_while_nothing_happens(make_view, loop, clock):
    job = make_job()
    view = make_view(job)
    job.started_at = clock.now  # as Submitted does, at the test's time
    job._apply(Submitted("t"))
    loop.redraw_all()
    assert "0:00 · running" in view.status.value
    clock.advance(1)
    loop.redraw_all()
    assert "0:01 · running" in view.status.value
    clock.advance(1)
    loop.redraw_all()
    assert "0:02 · running" in view.status.value


def test_one_loop_for_every_view_and_few_clock_messages(make_view, loop, clock, stamped):
    views = []
    for _ in range(48):
        job = make_job()
        job._apply(Submitted("t"))
        job.started_at = clock.now
        views.append(make_view(job))
    assert len(loop) == 48
    loop.redraw_all()
    stamped.clear()
    statuses = {v.status.model_id for v in views}
    ticks = round(5 / TICK)  # five seconds of ticks, the clocks moving all along
    for _ in range(ticks):
        clock.advance(TICK)
        loop.redraw_all()
    sent = [m for m in stamped if m["model"] in statuses]
    assert len(sent) <= CLOCKS_PER_TICK * ticks, len(sent)
    # in turn: every view's clock still moves
    assert len({m["model"] for m in sent}) == 48
    views[0].job._apply(Progress(30))  # news is never held back by the others' clocks
    clock.advance(TICK)
    stamped.clear()
    loop.redraw_all()
    assert views[0].bar.value == 30
    for view in views:
        view.close()
    assert len(loop) == 0


def test_waiting_view_then_attach(make_view):
    view = make_view(None, label="style=noir")
    assert "waiting" in view.status.value and view.cancel_button.disabled
    assert "style=noir" in view.header.value
    view.not_started("budget <exceeded>")
    assert "budget &lt;exceeded&gt;" in view.status.value
    job = make_job()
    view.attach(job)
    assert "a red fox" in view.header.value


def test_a_queued_job_in_a_gallery_says_it_waits_for_a_slot(make_view):
    view = make_view(make_job(), waiting_text="waiting for a free slot")
    assert "waiting for a free slot" in view.status.value


# -- clips ---------------------------------------------------------------------------------------


def test_embedded_clip_is_published_once_with_its_poster(mp4, make_view):
    from veo_magic.media.stills import poster_for

    poster = poster_for(mp4)
    job = make_job()
    seen = []
    make_view(job, embed=True, clips=seen.append)
    job._apply(Downloaded(0, mp4, "u", 1, poster))
    on_the_jobs_thread(lambda: job._apply(Completed("succeeded")))
    assert len(seen) == 1
    assert 'src="data:video/mp4;base64,' in seen[0]["text/html"]
    assert 'poster="data:image/jpeg;base64,' in seen[0]["text/html"]


def test_clips_show_one_by_one_in_order(make_mp4, tmp_path, make_view):
    first = make_mp4(tmp_path / "veo_outputs" / "a.mp4", seconds=0.5)
    second = make_mp4(tmp_path / "veo_outputs" / "b.mp4", seconds=0.5)
    job = make_job(n=2)
    seen = []
    make_view(job, clips=seen.append)
    job._apply(Downloaded(1, second, "u2", 1))  # the second link came back first
    assert seen[-1]["text/plain"] == str(second)
    job._apply(Downloaded(0, first, "u1", 1))
    assert seen[-1]["text/plain"] == f"{first}\n{second}"


def test_a_view_attached_to_a_finished_job_shows_it_all(mp4, make_view):
    job = make_job()
    job._apply(Downloaded(0, mp4, "u", 1))
    job._apply(Completed("succeeded"))
    seen = []
    view = make_view(job, clips=seen.append)
    assert view.bar.value == 100 and seen and "<video" in seen[0]["text/html"]


def test_view_with_its_own_output_widget(mp4, clock, loop):
    job = make_job()
    view = JobView(job, clock=clock, loop=loop)  # as the form does: an Output widget inside
    job._apply(Downloaded(0, mp4, "u", 1))
    job._apply(Completed("succeeded"))
    out = view.children[-1]
    assert out.outputs and "<video" in out.outputs[0]["data"]["text/html"]


def test_repr_is_short(make_view):
    view = make_view(make_job(prompt="x" * 5000))
    assert len(repr(view)) < 80


@pytest.mark.parametrize("n", [1, 2])
def test_header_counts_clips(make_view, n):
    view = make_view(make_job(n=n))
    assert ("2 clips" in view.header.value) == (n == 2)


def test_the_shape_follows_the_clip_when_none_was_asked(make_view):
    """Google's default clip is landscape: the view says what the clip is, not "portrait"."""
    job = make_job(orientation=None, pixel_size="1280x720")
    assert "landscape" in make_view(job).header.value
    assert "portrait" in make_view(make_job(orientation=None, pixel_size="720x1280")).header.value
