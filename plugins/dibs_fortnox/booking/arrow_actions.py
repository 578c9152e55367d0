"""A stored payout's payment actions read by Arrow from its text, with the lock released.

The payout of a busy day holds a million actions. ``transform`` reads them on a second
thread while it makes the payments' columns, which holds Python's interpreter lock.
Decoded into structs, the actions would hold the lock too (about two seconds at a
million), and the two threads would take turns; Arrow reads the payout's text in C++
without it, and only the ids become Python strings.

Arrow reads the whole text as one row, the actions a list of structs under the schema
``WireAction`` spells (text or integer, missing as null). It takes only what the structs
would read alike: any value of another type (a number in quotes, ``1.0`` as an amount,
an object where text belongs), a null action, a key given twice, an unknown kind or a
time ``instants`` does not read makes ``action_columns`` give None, and the payout is
read by the structs and ``booking.parse`` as before, with their messages.
``tests/booking/test_arrow_actions.py`` holds the two readers to the same columns.

Example:
    >>> text = b'{"id": "p1", "paymentActions": [{"id": "a1", "paymentAction": "Charge"}]}'
    >>> action_columns(text)["kind"].tolist()
    ['Charge']
    >>> action_columns(b'{"paymentActions": [{"id": 1}]}') is None
    True
"""

from __future__ import annotations

from typing import get_args

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from dibs_fortnox.booking.arrow_values import encoded, money, objects
from dibs_fortnox.booking.instants import instants, plain_times
from dibs_fortnox.booking.parse import KIND_BY_TEXT
from dibs_fortnox.booking.wire import WireAction

# WireAction's fields, integers as int64 and text as text.
_ACTION = pa.struct(
    [
        (f.name, pa.int64() if int in get_args(f.type) else pa.string())
        for f in msgspec.structs.fields(WireAction)
    ]
)
_PARSE = pj.ParseOptions(
    explicit_schema=pa.schema([("paymentActions", pa.list_(_ACTION))]),
    unexpected_field_behavior="ignore",
    newlines_in_values=True,  # a pretty-printed payout is still one row
)
# Arrow needs a row inside one block, and a block's size is a 32-bit count.
_LARGEST = (1 << 31) - 2


def action_columns(
    text: str | bytes, payment_keys: pa.Array | None = None
) -> dict[str, np.ndarray] | None:
    """The actions' columns as ``columns.read_payouts`` frames them (``action_id``,
    ``payment_key``, ``kind``, ``timestamp``, ``amount``, ``fee``, ``vat``, ``has_vat``,
    ``payment_at``), or None when the text holds anything Arrow should not judge.

    ``payment_at``, given ``payment_keys``, is the position of each action's payment
    key among them (-1 where absent or without one): Arrow finds a million of them with
    the lock released, where pandas would take half a second on one core.
    """
    data = text.encode() if isinstance(text, str) else text
    if not 0 < len(data) <= _LARGEST:
        return None
    options = pj.ReadOptions(block_size=len(data) + 1, use_threads=False)
    try:
        table = pj.read_json(pa.py_buffer(data), read_options=options, parse_options=_PARSE)
    except pa.ArrowInvalid:
        return None
    lists = table.column("paymentActions")
    if table.num_rows != 1 or lists.null_count:
        return None
    actions = pc.list_flatten(lists)
    if actions.null_count:
        return None
    return _columns(actions, payment_keys)


def _columns(
    actions: pa.ChunkedArray, payment_keys: pa.Array | None
) -> dict[str, np.ndarray] | None:
    def field(name: str) -> pa.ChunkedArray:
        return pc.struct_field(actions, name)

    kinds = _kinds(field("paymentAction"))
    times = field("timestamp")
    if kinds is None or not plain_times(times).all():
        return None
    ids = field("paymentId")
    ids = pc.if_else(pc.equal(ids, ""), pa.scalar(None, pa.string()), ids)
    vat = field("vatAmount")
    columns = {
        "action_id": objects(pc.fill_null(field("id"), "")),
        "payment_key": objects(ids),
        "kind": kinds,
        "timestamp": instants(times),
        "amount": money(field("amount")),
        "fee": money(field("fee")),
        "vat": money(vat),
        "has_vat": vat.is_valid().to_numpy(zero_copy_only=False),
    }
    if payment_keys is not None:
        at = pc.fill_null(pc.index_in(ids, value_set=payment_keys), -1)
        columns["payment_at"] = at.to_numpy().astype(np.int64)
    return columns


def _kinds(texts: pa.ChunkedArray) -> np.ndarray | None:
    """Each action's ``ActionKind`` value, worked out once per distinct text; None when
    one is not a kind (the structs' path names it in its message)."""
    words, codes = encoded(texts)
    kinds = [KIND_BY_TEXT.get(word.strip().casefold()) for word in words]
    if None in kinds or (codes == len(words)).any():
        return None
    values: np.ndarray = np.array([k.value for k in kinds if k is not None], object)
    out: np.ndarray = values[codes]
    return out
