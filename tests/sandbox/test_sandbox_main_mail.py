"""``make sandbox`` also runs the keeping SMTP server and says where mail lands."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def test_sandbox_keeps_mail_sent_to_its_smtp_server_as_files(tmp_path: Path) -> None:
    connections, ready, folder = tmp_path / "conn.json", tmp_path / "ready", tmp_path / "mail"
    command = [
        sys.executable, "-m", "dibs_fortnox.sandbox", "--nets-port", "0", "--fortnox-port", "0",
        "--smtp-port", "0", "--mail-dir", str(folder), "--days", "1",
        "--connections-file", str(connections), "--ready-file", str(ready),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env={**os.environ, "PYTHONPATH": str(PLUGINS)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), process.stderr.read() if process.stderr else ""
        smtp = json.loads(connections.read_text())["smtp"]
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@x.example", "b@y.example", "Hej"
        message.set_content("TEST-faktura 1")
        with smtplib.SMTP(smtp["host"], smtp["port"], timeout=10) as client:
            client.send_message(message)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert f"SMTP server:        127.0.0.1:{smtp['port']}" in out and str(folder) in out
    assert b"TEST-faktura 1" in (folder / "0001.eml").read_bytes()
