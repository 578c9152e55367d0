"""The link server's approval against a stand-in for Airflow's REST API on 127.0.0.1.

The stand-in answers only the three calls the link server makes (token, task instance,
HITL answer), so the link rules can be tested without a whole Airflow; the real Airflow
path is tests/e2e/test_onboarding.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dibs_fortnox.ledger import Ledger
from dibs_fortnox.onboarding.approve import ApprovalConfig, ApprovalNotReady, approve
from dibs_fortnox.onboarding.links import LinkRefused, sign_link
from dibs_fortnox.onboarding.state import OnboardingRecords
from tests.databases import migrated

KEY = b"a-signing-key-of-some-length"


class FakeAirflow:
    def __init__(self) -> None:
        self.state = "running"
        self.answers: list[dict[str, Any]] = []
        airflow = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _json(self, status: int, body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                self._json(201, {"access_token": "t"})

            def do_GET(self) -> None:  # noqa: N802
                self._json(200, {"state": airflow.state})

            def do_PATCH(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if airflow.answers:
                    self._json(409, {"detail": "already answered"})
                    return
                airflow.answers.append(body)
                self._json(200, {})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[FakeAirflow, ApprovalConfig]]:
    airflow = FakeAirflow()
    ledger = Ledger.from_url(migrated(f"sqlite:///{tmp_path / 'state.db'}"))
    records = OnboardingRecords(ledger.engine)
    config = ApprovalConfig(KEY, airflow.url, "approver", "pw", records,
                            {"acme": "ekonomi@acme.example"}, wait_for_task_s=1.0,
                            settle_s=0.0)  # fmt: skip
    yield airflow, config
    airflow.httpd.shutdown()
    airflow.httpd.server_close()
    ledger.close()


def test_an_early_press_is_refused_and_the_link_still_works_afterwards(
    setup: tuple[FakeAirflow, ApprovalConfig],
) -> None:
    airflow, config = setup
    token = sign_link(KEY, "acme", "run-1", now=time.time())
    with pytest.raises(ApprovalNotReady, match="not waiting for an OK right now"):
        approve(config, token)
    assert airflow.answers == []
    airflow.state = "awaiting_input"
    assert "Godkänt" in approve(config, token)
    (answer,) = airflow.answers
    assert answer["chosen_options"] == ["Approve"]
    assert "ekonomi@acme.example" in answer["params_input"]["note"]
    with pytest.raises(LinkRefused, match="already used"):
        approve(config, token)


def test_an_onboarding_answered_in_the_ui_refuses_the_link(
    setup: tuple[FakeAirflow, ApprovalConfig],
) -> None:
    airflow, config = setup
    airflow.state = "awaiting_input"
    airflow.answers.append({"chosen_options": ["Reject"]})  # the data team was first
    with pytest.raises(LinkRefused, match="already answered"):
        approve(config, sign_link(KEY, "acme", "run-1", now=time.time()))
