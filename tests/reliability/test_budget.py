"""Guarantee 4: the budget guard refuses, before any request, a submission that would pass it."""

from __future__ import annotations

import pytest

import veo_magic as veo
from tests.reliability.support import PROTOCOLS


def money(value: float) -> str:
    return f"${value:.2f}"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_submission_past_the_budget_is_refused_before_any_request(
    make_client, relay, ledger, protocol
):
    probe = make_client(protocol)
    estimate = probe.request("a fox").estimated_cost
    assert estimate > 0
    budget = estimate * 1.5  # room for one clip, not two
    client = make_client(protocol, budget_usd=budget)
    first = client.generate(f"the first fox on {protocol}")
    assert first.status == "succeeded" and client.spend() == pytest.approx(estimate)
    seen, rows = len(relay.requests), len(client.jobs())
    with pytest.raises(veo.VeoBudgetError) as info:
        client.submit(f"the second fox on {protocol}")
    message = str(info.value)
    assert message.startswith(f"budget {money(budget)} would be passed: ")
    assert f"{money(estimate)} spent so far" in message
    assert f"{money(estimate)} for this request" in message
    assert isinstance(info.value, veo.VeoInputError) and info.value.field == "budget_usd"
    assert len(relay.requests) == seen, "the refusal sent nothing"
    assert len(client.jobs()) == rows, "and recorded no job"
    assert ledger.creates == 1


def test_the_budget_comes_from_the_environment(make_client, relay, monkeypatch):
    monkeypatch.setenv("VEO_BUDGET_USD", "0.01")
    client = make_client("videos")
    assert client.budget_usd == 0.01
    estimate = client.request("a fox").estimated_cost
    seen = len(relay.requests)
    with pytest.raises(veo.VeoBudgetError) as info:
        client.submit("a fox")
    assert str(info.value).startswith(
        f"budget $0.01 would be passed: $0.00 spent so far + {money(estimate)} for this request"
    )
    assert len(relay.requests) == seen


def test_a_zero_budget_refuses_everything(make_client, relay):
    client = make_client("chat", budget_usd=0)
    seen = len(relay.requests)
    with pytest.raises(veo.VeoBudgetError, match=r"\$0\.00 spent so far \+ \$\d+\.\d\d for this"):
        client.submit("anything")
    assert len(relay.requests) == seen


def test_spend_counts_what_may_be_billed_and_not_what_the_relay_refused(make_client, ledger):
    client = make_client("videos")
    estimate = client.request("x").estimated_cost
    refused = client.submit("refused [[sim:refuse]]")
    with pytest.raises(veo.VeoGenerationError):
        refused.wait(timeout=30)
    assert client.spend() == 0  # relays refund a task they failed
    uncertain = client.submit("uncertain [[sim:server_error_after_accept]]")
    with pytest.raises(veo.VeoGenerationError):
        uncertain.wait(timeout=30)
    assert client.spend() == pytest.approx(estimate)  # it may exist, so it may be billed
    guarded = make_client("videos", budget_usd=estimate * 1.5)
    with pytest.raises(veo.VeoBudgetError, match="spent so far"):
        guarded.submit("one more")
    assert ledger.creates == 2
