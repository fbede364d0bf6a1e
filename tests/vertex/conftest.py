"""Fixtures for the vertex protocol: a throwaway service account whose ``token_uri`` is the
simulator's OAuth endpoint, so google-auth's own sign-in flow runs, over loopback only."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from vertex_helpers import PROJECT

from veo_magic import Client
from veo_magic.simulator import Simulator


@pytest.fixture(scope="session")
def private_key_pem() -> str:
    """A fresh RSA key: google-auth signs its JWT grant with it (the simulator reads the claims)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def google(relay: Simulator) -> Simulator:
    """The session simulator, its request log emptied: what a test reads is what it sent."""
    relay.requests.clear()
    return relay


@pytest.fixture
def service_account(tmp_path: Path, private_key_pem: str, google: Simulator) -> Path:
    """A service-account JSON file of project ``PROJECT``, signing in at the simulator."""
    path = tmp_path / "service-account.json"
    info = {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "0123456789abcdef",
        "private_key": private_key_pem,
        "client_email": f"veo-runner@{PROJECT}.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
        "token_uri": f"{google.base_url}/token",
    }
    path.write_text(json.dumps(info))
    return path


@pytest.fixture(autouse=True)
def google_environment(monkeypatch: pytest.MonkeyPatch, service_account: Path) -> Path:
    """google-auth never looks for a metadata server; the credentials are the test's file."""
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(service_account))
    for name in ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "VEO_API_KEY", "VEO_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)
    return service_account


@pytest.fixture
def vertex_client(google: Simulator, out_dir: Path) -> Iterator[Callable[..., Client]]:
    """``vertex_client(**options)``: a vertex client whose host is the simulator."""
    clients: list[Client] = []

    def make(**options: Any) -> Client:
        options.setdefault("poll_interval", (0.05, 0.3))
        options.setdefault("output_dir", out_dir)
        options.setdefault("base_url", google.base_url)
        client = Client(protocol="vertex", **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
