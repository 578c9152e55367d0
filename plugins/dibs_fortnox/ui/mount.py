"""What the plugin file hands Airflow: the mount point and an app built on first request.

Airflow imports every plugin file in every process that loads plugins (scheduler,
dag-processor, each task's runner), but only the api-server ever serves the page. So the
plugin gets this ASGI callable, which imports FastAPI, pandas and the page's modules the
first time a request arrives, instead of at plugin load (about 3 s and 800 modules on a
busy 2-core machine otherwise).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

URL_PREFIX = "/dibs-fortnox"
NAV_ROUTE = "dibs-fortnox"  # the UI shows the page at /plugin/dibs-fortnox

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LazyApp:
    """An ASGI app that builds the real one (``factory()``) on its first call."""

    def __init__(self, factory: Callable[[], ASGIApp]) -> None:
        self._factory = factory
        self._app: ASGIApp | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "dibs_fortnox.ui.app.create_app() (built on first request)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._factory()
        await self._app(scope, receive, send)


def _tenants_page() -> ASGIApp:
    from dibs_fortnox.ui.app import create_app

    return create_app()


tenants_page = LazyApp(_tenants_page)
