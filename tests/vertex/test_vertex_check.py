"""``check`` on Vertex AI: the publisher model cards, read with the token of google-auth's own
sign-in (a service account whose ``token_uri`` is the simulator), and what is said when there
are no credentials or Google refuses them. Free GETs only; the token is never shown."""

from __future__ import annotations

from pathlib import Path

from veo_magic.relays.google_auth import SIGN_IN

CARDS = "/v1/publishers/google/models"


def questions(result) -> list[tuple[str, bool]]:
    return [(f.question, f.ok) for f in result.findings]


def test_vertex_reads_each_veo_models_card_with_its_own_token(vertex_client, google):
    client = vertex_client()
    result = client.check()
    assert result.ok, result.text()
    assert result.model == "veo-3.1-generate-001"
    assert result.findings[1].says == "accepted (Application Default Credentials)"
    assert result.findings[2].says == (
        "veo-3.1-generate-001, veo-3.1-fast-generate-001, veo-3.1-lite-generate-001"
    )
    cards = [r for r in google.requests if r.path.startswith(CARDS)]
    assert [(r.method, r.path) for r in cards] == [
        ("GET", f"{CARDS}/veo-3.1-generate-001"),
        ("GET", f"{CARDS}/veo-3.1-fast-generate-001"),
        ("GET", f"{CARDS}/veo-3.1-lite-generate-001"),
    ]
    assert all(r.auth_bearer for r in cards)
    assert [r.path for r in google.requests if r not in cards] == ["/token"]  # the sign-in
    token = client.google_auth().token.reveal()
    assert token.startswith("ya29.") and token not in result.text() + result.html()


def test_vertex_checks_the_model_asked_for(vertex_client):
    result = vertex_client(model="veo-3.1-fast").check()
    assert result.ok and result.model == "veo-3.1-fast-generate-001"
    assert result.findings[-1].says == "veo-3.1-fast-generate-001 is sold here"


def test_vertex_with_a_refused_token(vertex_client, google):
    google.set_scenario("auth")
    result = vertex_client().check()
    assert questions(result) == [("answers", True), ("credentials", False)]
    assert "UNAUTHENTICATED" in result.findings[-1].says
    assert "gcloud auth application-default login" in result.findings[-1].hint
    assert len([r for r in google.requests if r.path.startswith(CARDS)]) == 1  # one is enough


def test_vertex_without_credentials_sends_nothing(vertex_client, google, monkeypatch, tmp_path):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "veo-test-project")
    result = vertex_client().check()
    assert questions(result) == [("credentials", False)]
    assert "missing.json" in result.findings[0].says and SIGN_IN in result.findings[0].says
    assert google.requests == []


def test_vertex_when_google_will_not_issue_a_token(vertex_client, google, service_account):
    text = service_account.read_text()
    Path(service_account).write_text(text.replace("iam.gserviceaccount.com", "example.com"))
    result = vertex_client().check()
    assert questions(result) == [("credentials", False)]
    assert "Google refused to issue an access token" in result.findings[0].says
    assert [r.path for r in google.requests] == ["/token"]  # nothing went to Vertex


def test_vertex_sells_no_video_in_this_project(vertex_client, google):
    google.set_scenario("sells_no_video")
    result = vertex_client().check()
    assert questions(result) == [
        ("answers", True),
        ("credentials", True),
        ("video models", False),
    ]
    assert "Publisher Model `publishers/google/models/veo-3.1-generate-001` not found" in (
        result.findings[-1].says
    )
    assert "enable the Vertex AI API" in result.findings[-1].hint
