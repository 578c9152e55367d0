"""Page through a Fortnox list with ``limit``/``page`` until ``@TotalPages``, and no further.

Fortnox lists take ``limit`` (we ask for 500, the largest size integrators use) and a
1-based ``page``, and answer with ``MetaInformation`` holding ``@TotalPages``,
``@CurrentPage`` and ``@TotalResources`` (fortnox-api §4). A list without
``MetaInformation`` is one page. The loop stops when the last page is read; a page cap
raises instead of truncating, and a listing whose item count disagrees with
``@TotalResources`` raises, because a lookup by reference must never miss a document.

Example:
    >>> pages = {1: {"Invoices": [{"DocumentNumber": "1"}],
    ...              "MetaInformation": {"@TotalPages": 2, "@TotalResources": 2}},
    ...          2: {"Invoices": [{"DocumentNumber": "2"}],
    ...              "MetaInformation": {"@TotalPages": 2, "@TotalResources": 2}}}
    >>> paginator = TotalPagesPaginator("Invoices", operation="list_invoices")
    >>> [i["DocumentNumber"] for i in paginator.collect(lambda p: pages[p["page"]])]
    ['1', '2']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dibs_fortnox.errors import UnexpectedResponse

PAGE_LIMIT = 500


def _meta_int(meta: Mapping[str, Any], name: str) -> int | None:
    value = meta.get(name)
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


class TotalPagesPaginator:
    """1-based ``page`` paging that stops on ``MetaInformation.@TotalPages``.

    Args:
        items_key: the plural resource key, e.g. ``"Invoices"``.
        operation: named in errors.
        tenant: named in errors.
        limit: items per page.
        max_pages: read at most this many pages, then raise.
    """

    def __init__(
        self,
        items_key: str,
        *,
        operation: str,
        tenant: str | None = None,
        limit: int = PAGE_LIMIT,
        max_pages: int = 200,
    ) -> None:
        if not items_key:
            raise ValueError("a paginator needs the items key")
        if limit < 1 or max_pages < 1:
            raise ValueError("limit and max_pages must be at least 1")
        self.items_key = items_key
        self.operation = operation
        self.tenant = tenant
        self.limit = limit
        self.max_pages = max_pages
        self.page = 0
        self.total_pages: int | None = None
        self.total_resources: int | None = None
        self.items: list[dict[str, Any]] = []

    def _fail(self, detail: str) -> UnexpectedResponse:
        return UnexpectedResponse("fortnox", self.operation, 200, tenant=self.tenant, detail=detail)

    def params(self) -> dict[str, int]:
        """Query parameters for the next page."""
        return {"limit": self.limit, "page": self.page + 1}

    def update_state(self, body: Any) -> None:
        """Take in one page."""
        if not isinstance(body, Mapping):
            raise self._fail(f"page {self.page + 1} is not a JSON object")
        items = body.get(self.items_key)
        if items is None:
            items = []
        if not isinstance(items, list):
            raise self._fail(f"'{self.items_key}' on page {self.page + 1} is not a list")
        self.page += 1
        self.items.extend(items)
        meta = body.get("MetaInformation")
        if not isinstance(meta, Mapping):
            self.total_pages = self.page  # an unpaged list is complete in one answer
            return
        total_pages = _meta_int(meta, "@TotalPages")
        self.total_pages = max(total_pages if total_pages is not None else 1, 1)
        total_resources = _meta_int(meta, "@TotalResources")
        if total_resources is not None:
            if self.total_resources is not None and total_resources != self.total_resources:
                raise self._fail(
                    f"the number of {self.items_key} changed from {self.total_resources} to "
                    f"{total_resources} while paging; run again"
                )
            self.total_resources = total_resources

    def has_next_page(self) -> bool:
        """True while pages remain; raises once the page cap is reached."""
        if self.total_pages is None:
            return True
        if self.page >= self.total_pages:
            return False
        if self.page >= self.max_pages:
            raise self._fail(
                f"stopped after {self.page} of {self.total_pages} pages of {self.items_key}; "
                "raise max_pages if this many is real"
            )
        return True

    def collect(self, fetch: Callable[[dict[str, int]], Any]) -> list[dict[str, Any]]:
        """Fetch pages until the last and return every item in order."""
        while self.has_next_page():
            self.update_state(fetch(self.params()))
        if self.total_resources is not None and len(self.items) != self.total_resources:
            raise self._fail(
                f"got {len(self.items)} {self.items_key} but Fortnox announced "
                f"{self.total_resources}; run again"
            )
        return self.items
