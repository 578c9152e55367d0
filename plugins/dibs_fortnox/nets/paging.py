"""Page through a Nets Reporting API list until its announced total, and no further.

The Reporting API pages with a zero-based ``pageNumber`` and a ``pageSize``, and states
the total (``numberOfPayouts``, ``numberOfPaymentActions``) in every page (nets-easy-api
reference §3a/§3b). A listing is complete only when the items collected equal that total;
anything else is an error, because a silently short list of payment actions would post a
payout voucher that does not match its invoices.

The paginator is pure state (no I/O): the client passes a ``fetch(params) -> page``
function. It stops on exactly one of these, in order:

1. collected == total: done;
2. collected > total, an empty page before the total, or an item id seen twice (pages
   shifted while we read): ``UnexpectedResponse``;
3. ``max_pages`` pages read without reaching the total: ``UnexpectedResponse`` (a cap that
   raises rather than truncating).

Example:
    >>> pages = {0: {"numberOfPayouts": 3, "payouts": [{"id": "a"}, {"id": "b"}]},
    ...          1: {"numberOfPayouts": 3, "payouts": [{"id": "c"}]}}
    >>> paginator = PageNumberPaginator("payouts", "numberOfPayouts", page_size=2)
    >>> [p["id"] for p in paginator.collect(lambda params: pages[params["pageNumber"]])]
    ['a', 'b', 'c']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dibs_fortnox.errors import UnexpectedResponse

Page = Mapping[str, Any]


class PageNumberPaginator:
    """Zero-based page-number paging that stops on the announced total.

    Args:
        items_key: the list in each page, e.g. ``"payouts"``.
        total_key: the total count in each page, e.g. ``"numberOfPayouts"``; required,
            because it is the stop condition.
        page_size: items asked for per page.
        max_pages: read at most this many pages, then raise.
        id_key: item field used to detect duplicates across pages; None disables the check.
        operation: named in errors.
        first_page: the number of the first page (0 for Nets).
    """

    def __init__(
        self,
        items_key: str,
        total_key: str,
        *,
        page_size: int = 100,
        max_pages: int = 1000,
        id_key: str | None = "id",
        operation: str = "list",
        first_page: int = 0,
    ) -> None:
        if not items_key or not total_key:
            raise ValueError(
                "a paginator needs the items key and the total key (its stop condition)"
            )
        if page_size < 1 or max_pages < 1:
            raise ValueError("page_size and max_pages must be at least 1")
        self.items_key = items_key
        self.total_key = total_key
        self.page_size = page_size
        self.max_pages = max_pages
        self.id_key = id_key
        self.operation = operation
        self.first_page = first_page
        self.pages_read = 0
        self.total: int | None = None
        self.items: list[dict[str, Any]] = []
        self._seen: set[Any] = set()
        self.first: dict[str, Any] | None = None

    def _fail(self, detail: str) -> UnexpectedResponse:
        return UnexpectedResponse("nets", self.operation, 200, detail=detail)

    def params(self) -> dict[str, int]:
        """Query parameters for the next page."""
        return {"pageNumber": self.first_page + self.pages_read, "pageSize": self.page_size}

    def update_state(self, page: Page) -> None:
        """Take in one page's items and total."""
        if not isinstance(page, Mapping):
            raise self._fail(f"page {self.pages_read} is not a JSON object")
        total = page.get(self.total_key)
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise self._fail(f"page {self.pages_read} has no usable '{self.total_key}': {total!r}")
        if self.total is not None and total != self.total:
            raise self._fail(
                f"'{self.total_key}' changed from {self.total} to {total} while paging; run again"
            )
        self.total = total
        items = page.get(self.items_key) or []
        if not isinstance(items, list):
            raise self._fail(f"'{self.items_key}' on page {self.pages_read} is not a list")
        if self.first is None:
            self.first = dict(page)
        self.pages_read += 1
        if not items and len(self.items) < total:
            raise self._fail(
                f"page {self.pages_read - 1} is empty after {len(self.items)} of {total} "
                f"{self.items_key}; the listing is incomplete"
            )
        for item in items:
            if self.id_key is not None and isinstance(item, Mapping):
                key = item.get(self.id_key)
                if key is not None and key in self._seen:
                    raise self._fail(
                        f"{self.items_key} item {key!r} appeared twice; the data changed while "
                        "paging, run again"
                    )
                self._seen.add(key)
            self.items.append(item)
        if len(self.items) > total:
            raise self._fail(
                f"got {len(self.items)} {self.items_key} but the API announced {total}"
            )

    def has_next_page(self) -> bool:
        """True while items are missing; raises once the page cap is reached."""
        if self.total is None:
            return True
        if len(self.items) >= self.total:
            return False
        if self.pages_read >= self.max_pages:
            raise self._fail(
                f"stopped after {self.pages_read} pages with {len(self.items)} of {self.total} "
                f"{self.items_key}; raise max_pages if this many is real"
            )
        return True

    def collect(self, fetch: Callable[[dict[str, int]], Page]) -> list[dict[str, Any]]:
        """Fetch pages until complete and return every item in order."""
        while self.has_next_page():
            self.update_state(fetch(self.params()))
        return self.items
