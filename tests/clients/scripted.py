"""A tiny emulator whose answers the tests choose, served through the real sandbox server."""

from __future__ import annotations

from dibs_fortnox.sandbox.router import Request, Response
from dibs_fortnox.sandbox.server import EmulatorApp

NETS_KEY = "live-secret-key-0123456789abcdef0123456789abcdef"


class ScriptedApp(EmulatorApp):
    """A tiny API whose answers tests choose: any status, echoes, non-JSON, Retry-After."""

    name = "scripted"

    def __init__(self) -> None:
        super().__init__(seed=0)
        self.retry_after_once: str | None = None
        route = self.router.route
        route("GET", "/status/{code}")(self._status)
        route("POST", "/status/{code}")(self._status)
        route("PUT", "/status/{code}")(self._status)
        route("GET", "/ok")(lambda r: Response.json(200, {"ok": True}))
        route("POST", "/echo")(self._echo)
        route("GET", "/text")(lambda r: Response(200, b"<html>maintenance</html>", {}))
        route("GET", "/empty")(lambda r: Response.empty(204))
        route("GET", "/leaky")(self._leaky)
        route("GET", "/throttled")(self._throttled)

    def _status(self, request: Request) -> Response:
        code = int(request.params["code"])
        if code == 401:
            return Response.empty(401)  # Nets sends no body on 401
        return Response.json(code, {"message": f"answer {code}", "code": "1000"})

    def _echo(self, request: Request) -> Response:
        return Response(201, request.body, {"Content-Type": "application/json"})

    def _leaky(self, request: Request) -> Response:
        # A careless server that repeats the credentials it received in its error text.
        return Response.json(
            400, {"message": f"rejected Authorization {request.header('authorization')}"}
        )

    def _throttled(self, request: Request) -> Response:
        if self.retry_after_once is not None:
            value, self.retry_after_once = self.retry_after_once, None
            return Response.json(429, {"message": "slow down"}, {"Retry-After": value})
        return Response.json(200, {"ok": True})
