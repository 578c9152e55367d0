"""A real SMTP server on 127.0.0.1 that keeps every message it receives (aiosmtpd).

The onboarding e-mail and the problem notifications go out over SMTP through an Airflow
SMTP connection, as in production; in the sandbox, the demo and the tests that connection
points here. Messages are kept in memory (for the test that sent them) and, when a folder
is given, written one ``.eml`` file each, so a person can open what the merchant would get.

Example:
    >>> with MailSandbox() as mail:                               # doctest: +SKIP
    ...     send_something(host="127.0.0.1", port=mail.port)
    ...     mail.wait_for(lambda m: "TEST" in m.subject).text
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Received:
    """One message as the server received it.

    Attributes:
        envelope_from / recipients: the SMTP envelope (who the mail really went to).
        message: the parsed message; ``text`` is its readable body (plain, else HTML).
    """

    envelope_from: str
    recipients: tuple[str, ...]
    message: EmailMessage
    raw: bytes

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


class _Keeper:
    """aiosmtpd handler: accept every message for any recipient and keep it."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.messages: list[Received] = []
        self.changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = bytes(envelope.original_content or envelope.content)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        received = Received(
            str(envelope.mail_from), tuple(str(r) for r in envelope.rcpt_tos), parsed, raw
        )
        with self.changed:
            self.messages.append(received)
            if self.folder is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                (self.folder / f"{len(self.messages):04d}.eml").write_bytes(raw)
            self.changed.notify_all()
        return "250 Message accepted for delivery"


class _Authenticator:
    """Accept exactly one user and password (aiosmtpd's authenticator callback)."""

    def __init__(self, user: str, password: str) -> None:
        self._user, self._password = user.encode(), password.encode()
        self.accepted = 0

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            self._user,
            self._password,
        )
        self.accepted += ok
        return AuthResult(success=ok, handled=False)


class MailSandbox:
    """Run the keeping SMTP server on 127.0.0.1 (port 0 picks a free port).

    Args:
        port: where to listen; 0 picks a free port.
        folder: also write each message as ``NNNN.eml`` here; None keeps them in memory only.
        login: (user, password) the server checks when a client logs in (AUTH PLAIN/LOGIN,
            without TLS on loopback; a wrong password is refused with 535). ``logins``
            counts the accepted ones. None offers no AUTH at all.
    """

    def __init__(
        self, port: int = 0, folder: Path | None = None, login: tuple[str, str] | None = None
    ) -> None:
        self._keeper = _Keeper(folder)
        auth: dict[str, Any] = {}
        self._authenticator = _Authenticator(*login) if login is not None else None
        if self._authenticator is not None:
            # Not auth_required: aiosmtpd warns when AUTH is required without TLS; a client
            # that logs in (Airflow's SmtpHook does whenever a password is set) is checked.
            auth = {"authenticator": self._authenticator, "auth_require_tls": False}
        self._controller = Controller(self._keeper, hostname="127.0.0.1", port=port, **auth)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def logins(self) -> int:
        """Successful logins with the configured user and password (0 without ``login``)."""
        return self._authenticator.accepted if self._authenticator is not None else 0

    @property
    def messages(self) -> list[Received]:
        with self._keeper.changed:
            return list(self._keeper.messages)

    def start(self) -> MailSandbox:
        if self._controller.port == 0:
            # aiosmtpd probes the port it was given; bind a free one first.
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self._controller.port = probe.getsockname()[1]
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> MailSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, match: Callable[[Received], bool], timeout_s: float = 30.0) -> Received:
        """The first kept message ``match`` accepts, waiting up to ``timeout_s`` for it.

        Raises:
            TimeoutError: no such message arrived; the subjects that did are listed.
        """
        deadline = time.monotonic() + timeout_s
        with self._keeper.changed:
            while True:
                for received in self._keeper.messages:
                    if match(received):
                        return received
                left = deadline - time.monotonic()
                if left <= 0:
                    subjects = [m.subject for m in self._keeper.messages]
                    raise TimeoutError(f"no matching mail within {timeout_s:.0f} s; got {subjects}")
                self._keeper.changed.wait(left)
