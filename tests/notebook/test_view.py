"""JobView: it follows a Job's events (sent from another thread), throttled, escaped."""

import threading
import time

import pytest

from veo_magic._events import Completed, Downloaded, Failed, Progress, Submitted
from veo_magic._job import Job
from veo_magic.notebook.display import ClipArea
from veo_magic.notebook.view import MAX_RATE, JobView

EVIL = "<img src=x onerror=alert(1)>"


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
        view.detail.value,
        view.cancel_button.description,
        view.cancel_button.tooltip,
    ]


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
    assert "rendering &lt;b&gt;frames&lt;/b&gt;" in view.detail.value
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
    assert "1 clip saved" in view.detail.value


def test_failure_names_the_task_and_the_resume_command():
    job = make_job()
    view = JobView(job, clips=ClipArea(lambda _: None))
    in_thread(
        lambda: job._apply(Submitted("video_<abc>")),
        lambda: job._apply(Failed("content policy <refused>", task_id="video_<abc>")),
        lambda: job._apply(Completed("failed", error="content policy <refused>")),
    )
    assert until(lambda: view.bar.bar_style == "danger")
    assert "content policy &lt;refused&gt;" in view.detail.value
    assert "%veo resume video_&lt;abc&gt;" in view.detail.value
    assert "failed" in view.status.value


def test_failure_without_a_task_id_says_so():
    job = make_job()
    view = JobView(job, clips=ClipArea(lambda _: None))
    in_thread(lambda: job._apply(Completed("failed", error="stream cut")))
    assert until(lambda: "nothing to resume" in view.detail.value)


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
    assert until(lambda: "&lt;img" in view.detail.value)
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
    in_thread(lambda: job._apply(Completed("cancelled", error="cancelled by the user")))
    assert until(lambda: view.bar.bar_style == "warning")
    assert "Cancelled" in view.detail.value


def test_throttle_at_most_ten_a_second_and_final_state_sent(sent):
    job = make_job()
    view = JobView(job, clips=ClipArea(lambda _: None))
    sent.clear()
    start = time.monotonic()

    def burst():
        job._apply(Submitted("t"))
        for i in range(1000):
            job._apply(Progress(i / 10.0))
            time.sleep(0.0005)

    in_thread(burst)
    elapsed = time.monotonic() - start
    time.sleep(0.3)  # the trailing flush
    bar_updates = [
        m for m in sent if m["model"] == view.bar.model_id and "value" in m.get("state", {})
    ]
    allowed = int(elapsed * MAX_RATE) + 3
    assert 2 <= len(bar_updates) <= allowed, (len(bar_updates), elapsed)
    assert bar_updates[-1]["state"]["value"] == 99  # the last value always goes out
    in_thread(lambda: job._apply(Completed("succeeded")))
    assert until(lambda: view.bar.value == 100)
    # nothing is sent for a trait that did not change
    before = len(sent)
    view._render()
    assert len(sent) == before


def test_updates_stop_after_the_end(sent):
    job = make_job()
    view = JobView(job, clips=ClipArea(lambda _: None))
    in_thread(lambda: job._apply(Completed("succeeded")))
    assert until(lambda: view._finished)
    sent.clear()
    time.sleep(1.3)  # past one elapsed-time tick
    mine = {
        w.model_id for w in (view.header, view.bar, view.status, view.detail, view.cancel_button)
    }
    assert [m for m in sent if m["model"] in mine] == []


def test_elapsed_ticks_while_nothing_happens():
    job = make_job()
    view = JobView(job, clips=ClipArea(lambda _: None))
    in_thread(lambda: job._apply(Submitted("t")))
    assert until(lambda: "0:00 · running" in view.status.value)
    assert until(lambda: "0:01 · running" in view.status.value, timeout=3)
    job.cancel()


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
    assert until(lambda: len(seen) >= 1)
    time.sleep(0.2)
    assert len(seen) == 1


def test_view_with_its_own_output_widget(mp4):
    job = make_job()
    view = JobView(job)  # as the form does: clips go to an Output widget inside the view
    job._apply(Downloaded(0, mp4, "u", 1))
    job._apply(Completed("succeeded"))
    view.finish()
    out = view.children[-1]
    assert out.outputs and "<video" in out.outputs[0]["data"]["text/html"]


def test_repr_is_short():
    view = JobView(make_job(prompt="x" * 5000))
    assert len(repr(view)) < 80


@pytest.mark.parametrize("n", [1, 2])
def test_header_counts_clips(n):
    view = JobView(make_job(n=n))
    assert ("2 clips" in view.header.value) == (n == 2)
