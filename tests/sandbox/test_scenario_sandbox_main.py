"""``python -m dibs_fortnox.sandbox`` as a script would run it: ready file, secrets, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import requests

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def test_sandbox_serves_both_apis_keeps_secrets_private_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    connections, ready = tmp_path / "conn.json", tmp_path / "ready.json"
    env = {**os.environ, "PYTHONPATH": str(PLUGINS)}
    command = [
        sys.executable, "-m", "dibs_fortnox.sandbox", "--nets-port", "0", "--fortnox-port", "0",
        "--days", "3", "--payments-per-day", "4", "--connections-file", str(connections),
        "--ready-file", str(ready),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), process.stderr.read() if process.stderr else ""
        values = json.loads(connections.read_text())
        ports = json.loads(ready.read_text())
        assert stat.S_IMODE(connections.stat().st_mode) == 0o600
        nets, fortnox = values["nets"], values["fortnox"]
        assert nets["base_url"] == f"http://127.0.0.1:{ports['nets_port']}"
        payouts = requests.get(
            nets["base_url"] + "/report/v1/payouts",
            params={"fromDate": "2026-11-01", "toDate": "2026-11-30"},
            headers={"Authorization": nets["secret_key"]},
            timeout=10,
        )
        token = requests.post(
            fortnox["token_url"],
            data={"grant_type": "client_credentials"},
            auth=(fortnox["client_id"], fortnox["client_secret"]),
            headers={"TenantId": fortnox["tenant_id"]},
            timeout=10,
        )
        assert payouts.json()["numberOfPayouts"] == 3
        assert token.status_code == 200, token.text
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert str(ports["nets_port"]) in out and str(connections) in out
    assert nets["secret_key"] not in out + err
    assert fortnox["client_secret"] not in out + err
