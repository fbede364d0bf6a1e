"""Helpers for the vertex tests: the test project, the paths Vertex AI serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

PROJECT = "veo-test-project"
LOCATION = "us-central1"
MODELS = f"/v1/projects/{PROJECT}/locations/{LOCATION}/publishers/google/models"


def submit_path(model: str = "veo-3.1-generate-001") -> str:
    return f"{MODELS}/{model}:predictLongRunning"


def submits(sim: Any) -> list:
    """The requests that reached a ``:predictLongRunning`` route."""
    return [r for r in sim.requests if r.path.endswith(":predictLongRunning")]


def polls(sim: Any) -> list:
    return [r for r in sim.requests if r.path.endswith(":fetchPredictOperation")]


def access_token(service_account: Path) -> str:
    """A token from the simulator's OAuth endpoint, through google-auth's own flow."""
    import google.auth.transport.requests
    from google.oauth2 import service_account as accounts

    credentials = accounts.Credentials.from_service_account_file(
        str(service_account), scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    credentials.refresh(google.auth.transport.requests.Request())
    return credentials.token


def start_operation(sim: Any, service_account: Path, prompt: str, **parameters: Any) -> str:
    """Start an operation with plain HTTP, as another process would; returns its name."""
    response = httpx.post(
        f"{sim.base_url}{submit_path()}",
        json={"instances": [{"prompt": prompt}], "parameters": parameters},
        headers={"Authorization": f"Bearer {access_token(service_account)}"},
    )
    response.raise_for_status()
    return response.json()["name"]
