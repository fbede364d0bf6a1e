"""JobView: it follows a Job's events (sent from another thread), budgeted, escaped."""

import asyncio
import threading
import time

import pytest

from veo_magic._events import Completed, Downloaded, Failed, Progress, Submitted
from veo_magic._job import Job
from veo_magic.notebook import view as view_module
from veo_magic.notebook.display import ClipArea
from veo_magic.notebook.view import MAX_MESSAGES, TICKS_PER_SECOND, JobView

EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture(autouse=True)
def fresh_clock():
    """Views whose jobs never end (most here) would stay on the shared clock: drop them."""
    view_module._ticker.clear()
    yield
    view_module._ticker.clear()


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


def in_thread(*calls):
    thread = threading.Thread(target=lambda: [call() for call in calls])
    thread.start()
    thread.join()


def until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


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
    best, start = 0, 0
    for end, at in enumerate(stamps):
        while at - stamps[start] > 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.fixture
def stamped(monkeypatch):
    """Every comm message widgets send, with the time it went."""
    import ipywidgets

    messages: list[dict] = []

    def send(self, msg, buffers=None):
        messages.append({"model": self.model_id, "at": time.monotonic(), **msg})

    monkeypatch.setattr(ipywidgets.Widget, "_send", send)
    return messages


@pytest.fixture
def slow_poster(monkeypatch):
    """poster_for that takes 0.3 s (as ffmpeg may under load); records the threads it ran on."""
    real = view_module.poster_for
    threads: list[str] = []

    def poster_for(video, **kwargs):
        threads.append(threading.current_thread().name)
        time.sleep(0.3)
        return real(video, **kwargs)

    monkeypatch.setattr(view_module, "poster_for", poster_for)
    return threads


def test_initial_state_shows_the_request():
    view = JobView(make_job())
    assert "a red fox in snow" in view.header.value
    assert "veo-3.1-landscape" in view.header.value
    assert "landscape" in view.header.value and "8 s" in view.header.value
    assert "$0.25" in view.header.value and "simulated" in view.header.value
    assert view.bar.value == 0 and not view.cancel_button.disabled


def test_not_simulated_has_no_badge():
    job = Job(protocol="chat", record={"prompt": "x", "model": "veo-3.1"}, simulated=False)
    assert "simulated" not in JobView(job).header.value


def test_progress_message_and_success(mp4):
    job = make_job()
    seen = []
    view = JobView(job, clips=ClipArea(seen.append))
    in_thread(
        lambda: job._apply(Submitted("task-7")),
        lambda: job._apply(Progress(42.5, message="rendering <b>frames</b>")),
    )
    assert until(lambda: view.bar.value == 42)
    assert "42%" in view.status.value and "running" in view.status.value
    assert "rendering &lt;b&gt;frames&lt;/b&gt;" in view.status.value
    in_thread(
        lambda: job._apply(Downloaded(0, mp4, "http://relay/v.mp4", mp4.stat().st_size)),
        lambda: job._apply(Completed("succeeded")),
    )
    assert until(lambda: seen)
    assert view.bar.value == 100 and view.bar.bar_style == "success"
    assert view.cancel_button.disabled
    page = seen[-1]["text/html"]
    assert "<video" in page and 'src="veo_outputs/clip.mp4"' in page
    assert seen[-1]["text/plain"] == str(mp4)
    assert '<img src="veo_outputs/clip.jpg"' in page  # the poster frame, made on a worker
    assert until(lambda: mp4.with_suffix(".jpg").exists())
    assert "1 clip saved" in view.status.value


def test_failure_names_the_task_and_the_resume_command():
    job = make_job()
    view = JobView(job, clips=ClipArea(lambda _: None))
    in_thread(
        lambda: job._apply(Submitted("video_<abc>")),
        lambda: job._apply(Failed("content policy <refused>", task_id="video_<abc>")),
        lambda: job._apply(Completed("failed", error="content policy <refused>")),
    )
    assert until(lambda: view.bar.bar_style == "danger")
    assert "content policy &lt;refused&gt;" in view.status.value
    assert "%veo resume video_&lt;abc&gt;" in view.status.value
    assert "failed" in view.status.value


def test_failure_without_a_task_id_says_so():
    job = make_job()
    view = JobView(job, clips=ClipArea(lambda _: None))
    in_thread(lambda: job._apply(Completed("failed", error="stream cut")))
    assert until(lambda: "nothing to resume" in view.status.value)


def test_prompt_and_server_text_are_never_markup():
    job = make_job(prompt=EVIL, wire_model=EVIL)
    job.id = EVIL
    view = JobView(job, label=EVIL, clips=ClipArea(lambda _: None))
    in_thread(
        lambda: job._apply(Submitted(EVIL)),
        lambda: job._apply(Progress(10, message=EVIL)),
    )
    time.sleep(0.15)
    in_thread(lambda: job._apply(Progress(11, message=EVIL)))
    assert until(lambda: "&lt;img" in view.status.value)
    in_thread(lambda: job._apply(Completed("failed", error=EVIL)))
    assert until(lambda: view.bar.bar_style == "danger")
    for value in values(view):
        assert "<img" not in value
    assert view.header.value.count("&lt;img src=x onerror=alert(1)&gt;") >= 3


def test_cancel_button_cancels_the_job():
    class Future:
        cancelled = False

        def cancel(self):
            Future.cancelled = True
            return True

    job = make_job()
    job._future = Future()
    view = JobView(job, clips=ClipArea(lambda _: None))
    view.cancel_button.click()
    assert Future.cancelled and view.cancel_button.disabled
    assert view.cancel_button.description == "Cancelling…"
    in_thread(lambda: job._apply(Progress(5.0)))  # an update meanwhile keeps it so
    assert until(lambda: view.bar.value == 5)
    assert view.cancel_button.disabled and view.cancel_button.description == "Cancelling…"
    in_thread(lambda: job._apply(Completed("cancelled", error="cancelled by the user")))
    assert until(lambda: view.bar.bar_style == "warning")
    assert "Cancelled" in view.status.value
    assert view.cancel_button.disabled and view.cancel_button.description == "Cancel"


def test_at_most_ten_messages_a_second_final_state_included(stamped):
    job = make_job()
    view = JobView(job, clips=ClipArea(lambda _: None))
    mine = parts(view)
    stamped.clear()

    def burst():  # 50 progress events a second with a new message each, as a chatty relay
        job._apply(Submitted("t"))
        for i in range(100):
            job._apply(Progress(i, message=f"step {i}"))
            time.sleep(0.02)

    in_thread(burst)
    time.sleep(0.5)  # the trailing update
    bar = [m for m in stamped if m["model"] == view.bar.model_id and "value" in m["state"]]
    assert bar[-1]["state"]["value"] == 99  # the last value always goes out
    assert "step 99" in view.status.value
    in_thread(lambda: job._apply(Completed("succeeded")))  # at once: no waiting for the budget
    assert view.bar.value == 100 and view.bar.bar_style == "success"
    ours = [m for m in stamped if m["model"] in mine]
    stamps = [m["at"] for m in ours]
    assert busiest_second(stamps) <= MAX_MESSAGES, busiest_second(stamps)
    span = stamps[-1] - stamps[0]
    assert len(ours) / span <= MAX_MESSAGES * 0.75, (len(ours), span)
    assert len(bar) >= 3  # still moving: a few updates a second
    # nothing is sent for a trait that did not change
    before = len(stamped)
    view._render()
    assert len(stamped) == before


def test_final_state_right_after_a_burst_stays_in_budget(stamped):
    job = make_job()
    view = JobView(job, clips=ClipArea(lambda _: None))
    mine = parts(view)

    def burst_then_end():
        job._apply(Submitted("t"))
        for i in range(20):
            job._apply(Progress(i * 4, message=f"step {i}"))
            time.sleep(0.01)
        job._apply(Completed("failed", error="the relay gave up"))

    in_thread(burst_then_end)
    assert view.bar.bar_style == "danger" and "the relay gave up" in view.status.value
    time.sleep(0.5)  # a flush scheduled before the end sends nothing after it
    stamps = [m["at"] for m in stamped if m["model"] in mine]
    assert busiest_second(stamps) <= MAX_MESSAGES, busiest_second(stamps)


def test_a_progress_update_is_two_messages(stamped):
    job = make_job()
    view = JobView(job, clips=ClipArea(lambda _: None))
    in_thread(lambda: job._apply(Submitted("t")))
    time.sleep(0.5)  # past the pacing
    stamped.clear()
    in_thread(lambda: job._apply(Progress(50, message="halfway")))
    assert until(lambda: view.bar.value == 50)
    assert {m["model"] for m in stamped} == {view.bar.model_id, view.status.model_id}
    assert len(stamped) == 2


def test_updates_stop_after_the_end(sent):
    job = make_job()
    view = JobView(job, clips=ClipArea(lambda _: None))
    in_thread(lambda: job._apply(Completed("succeeded")))
    assert until(lambda: view._finished)
    sent.clear()
    time.sleep(1.3)  # past one elapsed-time tick
    assert [m for m in sent if m["model"] in parts(view)] == []
    assert not any(v is view for v in view_module._ticker._views)


def test_elapsed_ticks_while_nothing_happens():
    job = make_job()
    view = JobView(job, clips=ClipArea(lambda _: None))
    in_thread(lambda: job._apply(Submitted("t")))
    assert until(lambda: "0:00 · running" in view.status.value)
    assert until(lambda: "0:01 · running" in view.status.value, timeout=3)
    assert until(lambda: "0:02 · running" in view.status.value, timeout=3)
    job.cancel()


def test_one_clock_for_every_view_at_most_sixteen_messages_a_second(stamped):
    views = []
    for _ in range(48):
        job = make_job()
        job._apply(Submitted("t"))
        views.append(JobView(job, clips=ClipArea(lambda _: None)))
    assert len(view_module._ticker) == 48
    time.sleep(1.2)  # the first firing
    stamped.clear()
    time.sleep(3.0)
    statuses = {v.status.model_id for v in views}
    ticks = [m for m in stamped if m["model"] in statuses]
    assert len(ticks) <= TICKS_PER_SECOND * 3 + 2, len(ticks)
    # 48 views: each one refreshed every 48/16 = 3 s, so the clocks still move
    assert len({m["model"] for m in ticks}) >= 40
    for view in views:
        view.close()
    assert len(view_module._ticker) == 0


def test_waiting_view_then_attach():
    view = JobView(None, label="style=noir", clips=ClipArea(lambda _: None))
    assert "waiting" in view.status.value and view.cancel_button.disabled
    assert "style=noir" in view.header.value
    view.not_started("budget <exceeded>")
    assert "budget &lt;exceeded&gt;" in view.status.value
    job = make_job()
    view.attach(job)
    assert "a red fox" in view.header.value


def test_finish_from_the_main_thread_is_idempotent(mp4):
    job = make_job()
    seen = []
    view = JobView(job, clips=ClipArea(seen.append))
    job._apply(Downloaded(0, mp4, "u", 1))
    job._apply(Completed("succeeded"))
    view.finish()
    view.finish()
    time.sleep(0.2)
    assert len(seen) == 1 and "<img" in seen[0]["text/html"]


def test_the_jobs_loop_never_waits_for_the_poster(mp4, slow_poster):
    job = make_job()
    seen = []
    view = JobView(job, clips=ClipArea(seen.append))
    job._apply(Downloaded(0, mp4, "u", 1))
    started = time.monotonic()
    in_thread(lambda: job._apply(Completed("succeeded")))  # as the loop does: listeners run
    assert time.monotonic() - started < 0.2
    assert len(seen) == 1 and '<img src="veo_outputs/clip.jpg"' in seen[0]["text/html"]
    assert not mp4.with_suffix(".jpg").exists()  # named at once, made on a worker thread
    assert until(lambda: view.wait_for_posters(0))
    assert mp4.with_suffix(".jpg").exists()
    assert slow_poster and all(name.startswith("veo_magic-poster") for name in slow_poster)
    time.sleep(0.1)
    assert len(seen) == 1  # the same markup: a video being played is not replaced


def test_a_clip_left_without_a_poster_is_published_again(mp4, monkeypatch):
    from veo_magic.notebook import display

    for module in (view_module, display):  # no ffmpeg
        monkeypatch.setattr(module, "poster_for", lambda video, **kwargs: None)
    job = make_job()
    seen = []
    view = JobView(job, clips=ClipArea(seen.append))
    job._apply(Downloaded(0, mp4, "u", 1))
    in_thread(lambda: job._apply(Completed("succeeded")))
    view.finish()
    assert len(seen) == 2
    assert "<img" in seen[0]["text/html"] and "<img" not in seen[1]["text/html"]


def test_a_waiting_cell_gets_the_poster_before_it_goes_on(mp4, slow_poster):
    job = make_job()
    seen = []
    view = JobView(job, clips=ClipArea(seen.append))
    job._apply(Downloaded(0, mp4, "u", 1))
    in_thread(lambda: job._apply(Completed("succeeded")))
    view.finish()  # what --wait and gallery.wait() call once the job has ended
    assert "<img" in seen[-1]["text/html"] and mp4.with_suffix(".jpg").exists()


def test_await_job_goes_on_once_the_poster_is_in(mp4, slow_poster, monkeypatch):
    monkeypatch.setattr(view_module._cells, "running", True)
    job = make_job()
    seen = []

    async def cell():
        view = JobView(job, clips=ClipArea(seen.append))  # made in the cell: on its loop
        job._apply(Downloaded(0, mp4, "u", 1))
        threading.Timer(0.05, lambda: job._apply(Completed("succeeded"))).start()
        await job
        return view

    view = asyncio.run(cell())
    assert view._kernel_loop is not None
    assert seen and "<img" in seen[-1]["text/html"]
    assert mp4.with_suffix(".jpg").exists()


def test_no_cell_running_holds_nothing_back(mp4, slow_poster, monkeypatch):
    monkeypatch.setattr(view_module._cells, "running", False)
    job = make_job()
    seen = []

    async def cell():
        JobView(job, clips=ClipArea(seen.append))
        job._apply(Downloaded(0, mp4, "u", 1))
        threading.Timer(0.05, lambda: job._apply(Completed("succeeded"))).start()
        started = time.monotonic()
        await job
        return time.monotonic() - started

    assert asyncio.run(cell()) < 0.25
    assert until(lambda: "<img" in seen[-1]["text/html"])


def test_embedded_clip_is_published_once_with_its_poster(mp4):
    job = make_job()
    seen = []
    view = JobView(job, embed=True, clips=ClipArea(seen.append))
    job._apply(Downloaded(0, mp4, "u", 1))
    in_thread(lambda: job._apply(Completed("succeeded")))
    view.finish()
    time.sleep(0.2)
    assert len(seen) == 1
    assert 'src="data:video/mp4;base64,' in seen[0]["text/html"]
    assert 'poster="data:image/jpeg;base64,' in seen[0]["text/html"]


def test_a_poster_already_made_goes_out_at_once(mp4):
    from veo_magic.notebook.display import poster_for

    poster_for(mp4)
    job = make_job()
    seen = []
    view = JobView(job, clips=ClipArea(seen.append))
    job._apply(Downloaded(0, mp4, "u", 1))
    in_thread(lambda: job._apply(Completed("succeeded")))
    assert len(seen) == 1 and "<img" in seen[0]["text/html"]
    assert view._poster_future is None


def test_view_with_its_own_output_widget(mp4):
    job = make_job()
    view = JobView(job)  # as the form does: clips go to an Output widget inside the view
    job._apply(Downloaded(0, mp4, "u", 1))
    job._apply(Completed("succeeded"))
    view.finish()
    out = view.children[-1]
    assert out.outputs and "<video" in out.outputs[0]["data"]["text/html"]
    assert "<img" in out.outputs[0]["data"]["text/html"]


def test_repr_is_short():
    view = JobView(make_job(prompt="x" * 5000))
    assert len(repr(view)) < 80


@pytest.mark.parametrize("n", [1, 2])
def test_header_counts_clips(n):
    view = JobView(make_job(n=n))
    assert ("2 clips" in view.header.value) == (n == 2)


def test_finish_without_an_ended_job_returns_at_once():
    waiting = JobView(None, label="later", clips=ClipArea(lambda _: None))
    running = JobView(make_job(), clips=ClipArea(lambda _: None))
    started = time.monotonic()
    waiting.finish()  # as gallery.finish() does for a variant that never started
    running.finish()
    assert time.monotonic() - started < 0.1
