"""Guarantee 1: at most one accepted create per job, on every protocol.

A create is re-sent only when the relay provably did not take it (connection refused, 429, 503
naming no task); a 5xx or a timeout after the request left fails the job saying the task may
exist and how to check. Every test counts the simulator's accepted creates.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from stamina.instrumentation import RetryDetails, get_on_retry_hooks, set_on_retry_hooks

import veo_magic as veo
from tests.reliability.support import CREATE_PATHS, KEY, PROTOCOLS
from tests.support import SHORT_TIMEOUT, assert_saved_clip, free_port
from veo_magic.relays.http import Relay
from veo_magic.relays.protocols import adapter_for
from veo_magic.simulator import Simulator


@pytest.mark.retry_mode(waits=True)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_429_is_retried_after_retry_after_and_one_task_is_made(
    make_client, relay, ledger, out_dir, protocol, retries
):
    relay.set_scenario("rate_limit")  # 429 + Retry-After: 1 on the first 2 creates
    client = make_client(protocol)
    started = time.monotonic()
    job = client.generate("a fox in the rain")
    elapsed = time.monotonic() - started
    assert_saved_clip(job.videos[0], out_dir)
    posts = ledger.sent("POST", CREATE_PATHS[protocol])
    assert [r.status for r in posts] == [429, 429, 200]
    assert ledger.creates == 1
    assert [r.wait_for for r in retries] == [1.0, 1.0]  # the server's delay, not our backoff
    assert elapsed >= 2.0, "two Retry-After: 1 answers must cost at least two seconds"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_503_naming_no_task_is_retried_and_one_task_is_made(
    make_client, relay, ledger, out_dir, protocol
):
    relay.set_scenario("busy_then_ok")  # 503 upstream unavailable twice, then accepted
    job = make_client(protocol).generate("a heron at dawn")
    assert_saved_clip(job.videos[0], out_dir)
    assert [r.status for r in ledger.sent("POST", CREATE_PATHS[protocol])] == [503, 503, 200]
    assert ledger.creates == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_relay_that_sells_no_such_model_now_ends_the_job_at_once(
    make_client, relay, ledger, protocol
):
    """new-api's 503 model_not_found "No available channel for model …" (NEWAPI.md) is not
    retried: the job ends after one create, saying what the relay lists now."""
    client = make_client(protocol)
    assert client.offer() is not None  # read while the relay still listed Veo
    relay.set_models(["sora-2", "gpt-4o-mini"])  # then its admin dropped the Veo channels
    relay.set_scenario("no_channel")
    job = client.submit("a heron at dusk")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    assert len(ledger.sent("POST", CREATE_PATHS[protocol])) == 1 and ledger.creates == 0
    assert job.error.startswith(f"This relay sells no {job.model} now: it has no channel")
    assert "No available channel for model" in job.error  # the relay's own words, quoted
    assert "It lists these video models now: sora-2." in job.error
    assert job.recovery is None and not job.may_charge
    assert len(ledger.sent("GET", "/v1/models")) == 2  # before the first create, and after it


@pytest.mark.retry_mode(waits=True)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_connection_refused_is_retried_until_the_relay_is_up(tmp_path, protocol, retries):
    port = free_port()  # nothing listens here yet: the first create is refused
    late = Simulator(generation_seconds=0.3, port=port)
    # The relay comes up once a refusal has been seen and its retry scheduled, not after a guess
    # at how long the client takes to get there.
    starter = threading.Thread(target=late.start)

    def start_relay(_details: RetryDetails) -> None:
        if starter.ident is None:
            starter.start()

    saved = get_on_retry_hooks()
    set_on_retry_hooks([*saved, start_relay])
    client = veo.Client(
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key=KEY,
        protocol=protocol,
        output_dir=tmp_path,
        poll_interval=(0.05, 0.3),
    )
    try:
        job = client.generate("a lighthouse, late")
        assert_saved_clip(job.videos[0], tmp_path)
        assert late.accepted_creates == 1
        assert len([r for r in late.requests if r.path == CREATE_PATHS[protocol]]) == 1
        assert retries and all(isinstance(r.caused_by, httpx.ConnectError) for r in retries)
    finally:
        set_on_retry_hooks(saved)
        if starter.ident:
            starter.join()
        client.close()
        late.stop()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_5xx_after_the_task_exists_is_not_retried(make_client, ledger, protocol):
    client = make_client(protocol)
    job = client.submit("a storm [[sim:server_error_after_accept]]")
    with pytest.raises(veo.VeoGenerationError) as info:
        job.wait(timeout=30)
    assert ledger.creates == 1 and len(ledger.sent("POST", CREATE_PATHS[protocol])) == 1
    assert job.error.startswith(
        "The create request reached the relay, but the relay answered HTTP 5"
    )
    for words in ("may have started the task", "Check the relay's dashboard"):
        assert words in job.error
    # How to act is each front end's, in its own syntax, once: Python's exception, the CLI's.
    assert str(info.value).startswith("The create request reached the relay")
    for words in ("client.resume('TASK_ID')", f"local job {job.id}"):
        assert words in str(info.value)
    cli = job.next_step(lambda ref: f"`veo-magic resume {ref}`")
    assert "veo-magic resume TASK_ID" in cli and f"local job {job.id}" in cli
    assert "veo-magic" not in job.error and "client.resume" not in job.error
    # It may be billed, so the budget counts it.
    row = client.journal.get(job.id)
    assert row["status"] == "failed" and row["may_charge"] is True
    assert client.spend() == pytest.approx(job.estimated_cost)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_timeout_after_send_is_not_retried(make_client, ledger, protocol):
    # Task protocols time out on the read; the chat stream's head gets the idle watchdog.
    client = make_client(protocol, timeout=SHORT_TIMEOUT, idle_timeout=SHORT_TIMEOUT)
    job = client.submit("a slow relay [[sim:create_timeout]]")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    # The relay answers the held create after HANG_SECONDS; "no answer came" says the client
    # gave up first (an answer would have made the job), with no clock to race a loaded machine.
    assert ledger.creates == 1 and len(ledger.sent("POST", CREATE_PATHS[protocol])) == 1
    assert job.error.startswith("The create request reached the relay, but no answer came")
    assert "may have started the task" in job.error
    assert client.journal.get(job.id)["may_charge"] is True


@pytest.mark.parametrize(
    ("protocol", "tag", "status"),
    [(p, "server_error_after_accept", 502 if p == "videos" else 500) for p in PROTOCOLS]
    + [(p, "create_timeout", None) for p in PROTOCOLS],
)
def test_adapters_raise_task_uncertain(make_client, ledger, protocol, tag, status):
    """The semantics under the job's message: ``VeoTaskUncertainError``, a ``VeoAPIError``."""
    client = make_client(protocol, timeout=SHORT_TIMEOUT, idle_timeout=SHORT_TIMEOUT)
    request = client.request(f"an uncertain create [[sim:{tag}]]")

    async def run() -> None:
        relay = client._connection.open()
        try:
            async for _ in adapter_for(protocol)(relay).run(request):
                pass
        finally:
            await relay.http.aclose()
            await relay.public.aclose()

    with pytest.raises(veo.VeoTaskUncertainError) as info:
        asyncio.run(run())
    assert isinstance(info.value, veo.VeoAPIError)
    assert info.value.status_code == status
    assert ledger.creates == 1 and len(ledger.sent("POST", CREATE_PATHS[protocol])) == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_refusals_before_a_task_are_certain_and_not_retried(make_client, ledger, protocol):
    job = make_client(protocol).submit("no credit [[sim:quota]]")
    with pytest.raises(veo.VeoGenerationError):
        job.wait(timeout=30)
    assert job.error.startswith(
        f"HTTP 403 from POST {CREATE_PATHS[protocol]}: user quota is not enough"
    )
    assert "may have started" not in job.error
    assert ledger.creates == 0 and len(ledger.sent("POST", CREATE_PATHS[protocol])) == 1


def test_a_429_that_names_a_task_is_not_retried():
    """A 429/503 proves nothing was taken only while it names no task; one that does is uncertain."""
    calls = []

    def handler(request):
        calls.append(request)
        body = {"id": "task_already_made", "error": {"message": "slow down"}}
        return httpx.Response(429, json=body, headers={"Retry-After": "0"})

    async def create():
        transport = httpx.MockTransport(handler)
        async with httpx.AsyncClient(transport=transport, base_url="http://relay.test") as http:
            await Relay(http, http).create("POST", "/v1/videos", json={"prompt": "x"})

    with pytest.raises(veo.VeoTaskUncertainError) as info:
        asyncio.run(create())
    assert len(calls) == 1
    assert info.value.task_id == "task_already_made" and info.value.status_code == 429
    assert "It named task task_already_made" in str(info.value)
