"""The approval-link server runs as its own process, configured like the workers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from dibs_fortnox.errors import ConfigError
from dibs_fortnox.onboarding.approve import config_from_environment
from dibs_fortnox.onboarding.links import sign_link
from tests.databases import migrated

REPO = Path(__file__).resolve().parents[2]
KEY = "link-signing-key-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def service_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO / "plugins"),
        "DIBS_FORTNOX_DB_URL": migrated(f"sqlite:///{tmp_path / 'state.db'}"),
        "DIBS_FORTNOX_APPROVER_USER": "approver",
        "DIBS_FORTNOX_APPROVER_PASSWORD": "approver-password",
        "AIRFLOW_CONN_DIBS_FORTNOX_APPROVAL": json.dumps(
            {"conn_type": "http", "host": "https://links.example", "password": KEY}
        ),
    }


def test_without_the_service_user_it_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIBS_FORTNOX_APPROVER_USER", raising=False)
    with pytest.raises(ConfigError, match="DIBS_FORTNOX_APPROVER_USER"):
        config_from_environment("127.0.0.1", 0, "http://127.0.0.1:8080")


def test_the_service_serves_a_signed_link_and_refuses_a_forged_one(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "service.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dibs_fortnox.onboarding.approve", "--port", str(port)],
            env=service_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}/onboarding/approve"
        for _ in range(100):
            try:
                forged = requests.get(base, params={"token": "forged.token"}, timeout=2)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.2)
        assert forged.status_code == 400
        token = sign_link(KEY.encode(), "demo", "onboarding__1", now=time.time())
        page = requests.get(base, params={"token": token}, timeout=5)
        assert page.status_code == 200 and "<form method='post'" in page.text
        assert KEY not in page.text and "approver-password" not in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
