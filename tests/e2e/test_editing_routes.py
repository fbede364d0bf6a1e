"""Issue 19 on the relays: no relay documents an edit or an extension of a Veo clip, so both are
refused before anything is sent, naming the routes that can."""

from __future__ import annotations

import pytest

import veo_magic as veo


@pytest.mark.parametrize("protocol", ["chat", "videos", "create"])
def test_relays_refuse_edits_and_extensions_naming_googles_routes(make_client, relay, protocol):
    client = make_client(protocol)
    first = client.generate("a lighthouse at dusk")
    sent = len(relay.requests)
    with pytest.raises(veo.VeoInputError, match="interactions") as edit:
        first.edit("make it night")
    assert edit.value.field == "edit"
    with pytest.raises(veo.VeoInputError, match="vertex") as extend:
        first.extend()
    assert extend.value.field == "extend"
    assert len(relay.requests) == sent and len(client.jobs()) == 1


def test_a_job_not_made_by_a_client_says_how_to_edit_it():
    job = veo.Job(protocol="interactions")
    with pytest.raises(RuntimeError, match=r"client\.edit"):
        job.edit("make it night")
