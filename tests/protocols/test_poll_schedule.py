"""The adaptive poll schedule, on a fake clock."""

from __future__ import annotations

import math

import pytest

from veo_magic.jobs.journal import Journal
from veo_magic.relays.protocols.polling import Pacing, PollSchedule, server_hint


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_first_delay_until_a_rate_is_known():
    clock = Clock()
    assert PollSchedule(1.0, 10.0, clock=clock).next_delay(None) == 2.0
    assert PollSchedule(0.5, 1.5, clock=clock).next_delay(0.0) == 1.5
    assert PollSchedule(3.0, 10.0, clock=clock).next_delay(0.0) == 3.0
    schedule = PollSchedule(1.0, 10.0, clock=clock)
    schedule.next_delay(10.0)
    clock.now = 2.0
    assert schedule.next_delay(10.0) == 2.0  # no movement yet: still no rate


def test_waits_half_the_remaining_time_clamped():
    clock = Clock()
    schedule = PollSchedule(1.0, 10.0, clock=clock)
    schedule.next_delay(0.0)
    clock.now = 2.0
    assert schedule.next_delay(10.0) == 9.0  # 5 %/s, 18 s left
    clock.now = 4.0
    assert schedule.next_delay(20.0) == 8.0
    capped = PollSchedule(1.0, 5.0, clock=clock)
    capped.next_delay(0.0)
    clock.now = 6.0
    assert capped.next_delay(10.0) == 5.0


def test_aims_at_the_predicted_end_then_polls_at_the_minimum():
    clock = Clock()
    schedule = PollSchedule(1.0, 10.0, clock=clock)
    schedule.next_delay(0.0)
    clock.now = 1.0
    assert schedule.next_delay(1.0) == 10.0  # 1 %/s, 99 s left: half, capped
    clock.now = 85.0
    assert schedule.next_delay(85.0) == pytest.approx(7.5)  # 15 s left: half of it
    clock.now = 98.5
    assert schedule.next_delay(98.5) == pytest.approx(1.55)  # 1.5 s left: just past the end
    clock.now = 99.6
    assert schedule.next_delay(99.6) == 1.0  # 0.4 s left: the minimum


def test_done_or_backwards_progress():
    clock = Clock()
    schedule = PollSchedule(0.5, 10.0, clock=clock)
    schedule.next_delay(0.0)
    clock.now = 10.0
    assert schedule.next_delay(100.0) == 0.5
    clock.now = 11.0
    assert schedule.next_delay(5.0) == 2.0  # went backwards: the estimate starts over


def test_server_hints_win():
    clock = Clock()
    schedule = PollSchedule(1.0, 10.0, clock=clock)
    assert schedule.next_delay(0.0, {"openai-poll-after-ms": "1500"}) == 1.5
    assert schedule.next_delay(0.0, {"Retry-After": "3"}) == 3.0
    assert schedule.next_delay(0.0, {"retry-after-ms": "250"}) == 0.25
    assert server_hint({"openai-poll-after-ms": "10000000"}) == 600.0
    assert server_hint({"openai-poll-after-ms": "soon"}) is None
    assert server_hint({}) is None and server_hint(None) is None


def simulate(
    duration: float, step: float | None, bounds: tuple[float, float]
) -> tuple[int, float, float]:
    """A linear job of ``duration`` s polled by the schedule: (polls, seconds, completion lag).

    ``step`` is the relay's progress granularity in percent (None: exact).
    """
    clock = Clock()
    schedule = PollSchedule(*bounds, clock=clock)
    delay = schedule.next_delay(0.0)  # the create answer
    polls = 0
    while True:
        clock.now += delay
        polls += 1
        if clock.now >= duration:
            return polls, clock.now, clock.now - duration
        exact = 100 * clock.now / duration
        delay = schedule.next_delay(exact if step is None else math.floor(exact / step) * step)


@pytest.mark.parametrize("step", [None, 0.1, 1.0])
@pytest.mark.parametrize("bounds", [(1.0, 10.0), (0.5, 10.0), (0.25, 5.0), (0.0, 10.0)])
def test_linear_60_second_job(step, bounds):
    """The benchmark target: at most one request per 2 s, the end noticed within about 0.5 s."""
    polls, seconds, lag = simulate(60.0, step, bounds)
    assert polls / seconds <= 0.5
    assert lag <= (0.75 if step == 1.0 else 0.25)


def test_linear_60_second_job_with_a_server_hint_is_the_servers_choice():
    clock = Clock()
    schedule = PollSchedule(1.0, 10.0, clock=clock)
    assert schedule.next_delay(50.0, {"openai-poll-after-ms": "1000"}) == 1.0


def test_an_expected_duration_stands_in_for_missing_progress():
    """The create protocol reports no progress: aim at the usual length, then back off gently."""
    now = [0.0]
    schedule = PollSchedule(0.5, 10.0, clock=lambda: now[0], expected=60.0)
    polls = []
    while now[0] < 60.0:
        delay = schedule.next_delay(None)
        now[0] += delay
        polls.append(now[0])
    assert polls[-1] - 60.0 <= 0.5  # the poll that finds it done lands just after the end
    assert len(polls) <= 15  # about one request per 4 s over a minute
    now[0] = 80.0  # overdue by 20 s: no hammering
    assert schedule.next_delay(None) == 5.0
    now[0] = 60.2  # a near miss (the job took a little longer than usual): look again soon
    assert schedule.next_delay(None) == 0.5


def test_the_journal_learns_how_long_a_relay_takes(tmp_path):
    """Each job's pacing starts from the median submit-to-done time of recent jobs there."""
    journal = Journal(tmp_path)
    assert journal.typical_seconds("https://relay.test") is None
    for job_id, seconds in (("a", 60.0), ("b", 70.0), ("c", 64.0)):
        journal.add({"id": job_id, "protocol": "create", "base_url": "https://relay.test",
                     "prompt": "p", "request": {}})  # fmt: skip
        journal.update(job_id, status="succeeded", ready_seconds=seconds)
    journal.add({"id": "d", "protocol": "create", "base_url": "https://other.test",
                 "prompt": "p", "request": {}})  # fmt: skip
    journal.update("d", status="succeeded", ready_seconds=5.0)
    assert journal.typical_seconds("https://relay.test") == pytest.approx(64.0)
    pacing = Pacing(0.5, 10.0, expected_seconds=journal.typical_seconds("https://relay.test"))
    assert pacing.schedule(clock=lambda: 0.0).next_delay(None) == 10.0
