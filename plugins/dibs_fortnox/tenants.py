"""Load and validate ``config/tenants.yaml``: one typed ``TenantConfig`` per merchant.

Each tenant is validated on its own, so one broken entry never hides the others: the DAG
file builds every valid tenant and the config-check DAG file shows the broken ones as an
import error. Every message names the file, the line, the tenant and the field, and says
what was expected, because the person reading it is editing YAML, not Python.

Secrets never belong here (they live in Airflow connections); a value that looks like a
key or a field that looks like a password is refused outright.

Example:
    >>> loaded = load_tenants("config/tenants.yaml")       # doctest: +SKIP
    >>> [t.dag_id for t in loaded.tenants]                 # doctest: +SKIP
    ['dibs_fortnox__acme']
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from dibs_fortnox.errors import ConfigError
from dibs_fortnox.schedule import TIMEZONE

TENANTS_ENV = "DIBS_FORTNOX_TENANTS"
DEFAULT_TENANTS_PATH = Path(__file__).resolve().parents[2] / "config" / "tenants.yaml"

Account = Annotated[int, Field(ge=1000, le=9999, description="a 4-digit BAS account")]
_SECRET_VALUE = re.compile(r"(live|test)-(secret|checkout)-key-|^eyJ[A-Za-z0-9_-]{10,}")
_SECRET_KEY = re.compile(r"secret|password|token|api[_-]?key|client[_-]?secret", re.I)


class Accounts(BaseModel):
    """The merchant's chart choices (the original onboarding form's account fields).

    The form's three sales keys keep their meaning (``sales_se`` and ``sales_eu`` are the
    25 % accounts); the keys per rate and buyer default to BAS, so older files still work.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sales_se: Account
    sales_eu: Account
    sales_non_eu: Account
    receivable: Account
    bank: Account
    fees: Account
    rounding: Account = 3740
    sales_se_12: Account = 3002
    sales_se_6: Account = 3003
    sales_se_0: Account = 3004
    sales_eu_business: Account = 3108


class OssRate(BaseModel):
    """One EU country's VAT rate under OSS: its sales and output-VAT accounts in Fortnox."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sales: Account
    vat: Account


EU_OSS_COUNTRIES = frozenset(
    "AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL "
    "PRT ROU SVK SVN ESP".split()
)


class TenantConfig(BaseModel):
    """One merchant: who it is, where its credentials live, and how to book it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=200)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    start_date: date
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    nets_conn_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    fortnox_conn_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    accounts: Accounts
    mode_of_payment: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,10}$")] = "NETS"
    voucher_series: Annotated[str, Field(pattern=r"^[A-Z]{1,10}$")] = "A"
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "SEK"
    # Where a payment without any address is sold to (Nets merchantHandlesConsumerData: the
    # shop keeps the buyer's data, so Nets has none); None holds such payments instead.
    default_country: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = "SWE"
    paused: bool = False
    # Book nothing: every run writes what it would post into the day's report instead
    # (docs/preview-and-undo.md). For an accountant's review before the first real day.
    dry_run: bool = False
    # Days a run looks back for payouts Nets published late (never booked nor held).
    late_payout_days: Annotated[int, Field(ge=0, le=60)] = 7
    # "required": nothing is booked until the onboarding's test documents are approved;
    # "skip": for a tenant that was booking before onboarding existed (docs/onboarding.md).
    onboarding: Literal["required", "skip"] = "required"
    # Send the merchant (``email``) the failed or held days too, not only the data team.
    notify_merchant: bool = True
    # At most this many of the tenant's days in each step (extract, transform, load,
    # reconcile) at once, whatever started them: a big backfill then holds at most
    # 4 x this many worker slots and the other tenants keep theirs (docs/backfill.md).
    max_parallel_days: Annotated[int, Field(ge=1, le=32)] = 2
    # Stockholm hour by which a day must be booked; a day still unbooked then raises an alert.
    booked_by_hour: Annotated[int, Field(ge=7, le=23)] = 12
    # Above the EU distance-selling threshold: EU consumers pay their own country's VAT.
    oss: bool = False
    # alpha-3 EU country → whole VAT percent → accounts (docs/tenants.md, "OSS").
    oss_countries: dict[str, dict[Annotated[int, Field(gt=0, lt=100)], OssRate]] = Field(
        default_factory=dict
    )

    @field_validator("oss_countries")
    @classmethod
    def _eu_countries(cls, value: dict[str, dict[int, OssRate]]) -> dict[str, dict[int, OssRate]]:
        wrong = sorted(set(value) - EU_OSS_COUNTRIES)
        if wrong:
            raise ValueError(
                f"{', '.join(wrong)}: OSS countries are the other EU members as ISO alpha-3 "
                "codes (DEU, FRA, ...); Sweden and non-EU countries are not OSS countries"
            )
        return value

    @field_validator("start_date")
    @classmethod
    def _not_ancient_nor_future(cls, value: date, info: ValidationInfo) -> date:
        if value.year < 2015:
            raise ValueError("start_date before 2015 predates Nets Easy; check the year")
        # The loader asks the clock once per file, not once per tenant (10 000 of them).
        today = (info.context or {}).get("today") or stockholm_today()
        if value > today:
            # Almost always a typo (2062 for 2026); Airflow would show a DAG that never runs.
            raise ValueError(
                f"start_date {value} is in the future (today is {today} in Stockholm): "
                "it is the first payout day to book, so it must have happened; check the "
                "year, or add the tenant on that day"
            )
        return value

    @property
    def dag_id(self) -> str:
        return f"dibs_fortnox__{self.id}"

    @property
    def onboarding_dag_id(self) -> str:
        return f"dibs_fortnox_onboarding__{self.id}"


@dataclass(frozen=True)
class TenantProblem:
    """A tenant entry that could not be used, with everything needed to find and fix it."""

    path: str
    line: int | None
    tenant: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: tenant '{self.tenant}': {self.field}: {self.message}"


@dataclass(frozen=True)
class LoadedTenants:
    """Valid tenants in file order, and the problems of the entries that were left out."""

    path: str
    tenants: list[TenantConfig] = field(default_factory=list)
    problems: list[TenantProblem] = field(default_factory=list)

    def by_id(self, tenant_id: str) -> TenantConfig:
        for tenant in self.tenants:
            if tenant.id == tenant_id:
                return tenant
        known = ", ".join(t.id for t in self.tenants) or "none"
        raise ConfigError(f"{self.path}: no valid tenant '{tenant_id}' (valid tenants: {known})")


def stockholm_today() -> date:
    """Today in Stockholm, the calendar the payout days and ``start_date`` are written in."""
    return datetime.now(TIMEZONE).date()


def tenants_path() -> Path:
    """The tenants file: ``$DIBS_FORTNOX_TENANTS`` or ``config/tenants.yaml`` in the repo."""
    return Path(os.environ.get(TENANTS_ENV) or DEFAULT_TENANTS_PATH)


def load_tenants(path: str | os.PathLike[str] | None = None) -> LoadedTenants:
    """Read and validate the tenants file.

    The file is parsed once, with libyaml (C): the composed node tree gives each problem
    its line, and the values are constructed from those same nodes, one tenant at a time,
    so a value YAML cannot construct (``start_date: 2026-13-01``) stays that tenant's
    problem. The result is remembered for the same path and content, so the two DAG files
    share one parse when a process imports both (``DagBag``, ``airflow dags test``).

    Raises:
        ConfigError: the file is missing or is not YAML of the expected shape at all; a
            single bad tenant does not raise, it becomes a ``TenantProblem``.
    """
    file = Path(path) if path is not None else tenants_path()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the tenants file ({exc.strerror})") from exc
    # Today is part of the key: a start_date in the future becomes valid when its day comes.
    today = stockholm_today()
    key = (str(file), hashlib.sha256(text.encode("utf-8")).hexdigest(), today)
    cached = _LAST_LOAD.get(key)
    if cached is None:
        cached = _parse(str(file), text, today)
        _LAST_LOAD.clear()  # one file per process: keep memory flat in long-lived parsers
        _LAST_LOAD[key] = cached
    # Fresh lists: a caller that edits its copy must not change what the next caller gets.
    return LoadedTenants(cached.path, list(cached.tenants), list(cached.problems))


_LAST_LOAD: dict[tuple[str, str, date], LoadedTenants] = {}


class _Loader(yaml.CSafeLoader):  # type: ignore[misc]  # PyYAML ships no type hints
    """libyaml's safe loader, except that a date YAML cannot build stays text.

    PyYAML resolves ``2026-13-01`` to a timestamp and then fails in ``datetime.date``
    with a bare ``ValueError``; kept as text, the field's own validation reports it with
    the tenant, field and line like any other bad value.
    """

    def construct_lenient_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_lenient_timestamp)


def _parse(path: str, text: str, today: date) -> LoadedTenants:
    """Parse the whole file at once; only when YAML cannot, parse its entries one by one."""
    try:
        return _parse_whole(path, text, today)
    except _NotYaml as exc:
        return _parse_entries_apart(path, text, exc, today)


class _NotYaml(ConfigError):
    """The text is not YAML at all (a syntax error), as opposed to YAML of the wrong shape."""

    def __init__(self, path: str, error: yaml.YAMLError) -> None:
        super().__init__(f"{path}: not valid YAML: {error}")
        self.error = error


def _parse_whole(path: str, text: str, today: date) -> LoadedTenants:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        top = _top_level(path, loader, root)
        try:
            defaults = _construct(loader, top.get("defaults")) or {}
        except _Unreadable as exc:
            raise ConfigError(f"{path}:{exc.line}: defaults: {exc.reason}") from exc
        if not isinstance(defaults, dict):
            raise ConfigError(f"{path}: 'defaults:' must be a mapping")
        tenants: list[TenantConfig] = []
        problems: list[TenantProblem] = []
        seen: set[str] = set()
        for index, node in enumerate(top["tenants"].value):
            found = _check_node(path, loader, node, index, defaults, today)
            if isinstance(found, TenantConfig) and found.id in seen:
                duplicate = "duplicate tenant id; ids must be unique"
                found = [_problem(path, node, found.id, ["id"], duplicate)]
            if isinstance(found, TenantConfig):
                seen.add(found.id)
                tenants.append(found)
            else:
                problems.extend(found)
    except yaml.YAMLError as exc:
        raise _NotYaml(path, exc) from exc
    finally:
        loader.dispose()
    return LoadedTenants(path, tenants, problems)


_TENANTS_KEY = re.compile(r"^tenants\s*:\s*(#.*)?$")
_ENTRY_START = re.compile(r"^(\s*)-(\s|$)")
_TOP_LEVEL_KEY = re.compile(r"^[^\s#-][^:]*:")
_ENTRY_ID = re.compile(r"^\s*-?\s*id\s*:\s*['\"]?([^'\"#\s]+)", re.M)


def _parse_entries_apart(path: str, text: str, whole: _NotYaml, today: date) -> LoadedTenants:
    """Recover from a YAML syntax error: every entry of ``tenants:`` is parsed on its own.

    Only a broken file pays for this; a valid one is parsed once, whole, by libyaml. The
    entries are found by their lines (a ``-`` at the list's indent under ``tenants:``); each
    is parsed together with the rest of the file (``defaults:``), so the one with the syntax
    error becomes that tenant's problem, with its line, and the others load as usual. An
    alias to an anchor defined in another entry cannot be resolved this way, so while the
    file is broken such an entry reports that too.

    Raises:
        ConfigError: the error is outside the tenant entries (``defaults:``, the top level),
            or the list is not written one ``-`` per entry.
    """
    lines = text.splitlines(keepends=True)
    split = _split_entries(lines)
    if split is None:
        raise whole
    key_line, entries, end = split
    before, tail = "".join(lines[:key_line]), "".join(lines[end:])
    head = before + "tenants:\n"
    try:
        _parse_whole(path, before + "tenants: []\n" + tail, today)  # the rest must be sound
    except ConfigError:
        raise whole from None
    tenants: list[TenantConfig] = []
    problems: list[TenantProblem] = []
    seen: set[str] = set()
    for number, (first, last) in enumerate(entries, 1):
        chunk = "".join(lines[first:last])
        shift = first - (key_line + 1)  # line numbers in the piece -> in the file
        try:
            piece = _parse_whole(path, head + chunk + tail, today)
        except _NotYaml as exc:
            # Where the broken construct starts (an unclosed quote) beats where YAML gave up.
            error = exc.error
            mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
            line = mark.line + 1 + shift if mark is not None else first + 1
            found = _ENTRY_ID.search(chunk)
            label = found.group(1) if found else f"#{number}"
            what = [getattr(error, "context", None), getattr(error, "problem", None)]
            reason = ": ".join(str(w) for w in what if w) or "not valid YAML"
            problems.append(
                TenantProblem(
                    path,
                    line,
                    label,
                    "(entry)",
                    f"YAML syntax error: {reason}; fix this line (indentation, a missing "
                    "':' or quote), the other tenants are not affected",
                )
            )
            continue
        for problem in piece.problems:
            moved = problem.line + shift if problem.line and problem.line > key_line + 1 else None
            problems.append(replace(problem, line=moved or problem.line))
        for tenant in piece.tenants:
            if tenant.id in seen:
                problems.append(
                    TenantProblem(
                        path, first + 1, tenant.id, "id", "duplicate tenant id; ids must be unique"
                    )
                )
            else:
                seen.add(tenant.id)
                tenants.append(tenant)
    return LoadedTenants(path, tenants, problems)


def _split_entries(lines: list[str]) -> tuple[int, list[tuple[int, int]], int] | None:
    """(line of ``tenants:``, [first, end) line range of each entry, end of the list).

    None when there is no block list under a ``tenants:`` key at the top level.
    """
    key_line = next((i for i, line in enumerate(lines) if _TENANTS_KEY.match(line)), None)
    if key_line is None:
        return None
    starts: list[int] = []
    indent: str | None = None
    end = len(lines)
    for i in range(key_line + 1, len(lines)):
        line = lines[i]
        if indent is not None and _TOP_LEVEL_KEY.match(line):
            end = i
            break
        started = _ENTRY_START.match(line)
        if started and indent is None:
            indent = started.group(1)
        if started and started.group(1) == indent:
            starts.append(i)
    if not starts:
        return None
    return key_line, list(zip(starts, [*starts[1:], end], strict=True)), end


def _top_level(path: str, loader: Any, root: yaml.Node | None) -> dict[str, yaml.Node]:
    """The top-level keys and their (unconstructed) nodes; refuse a file of another shape."""
    if isinstance(root, yaml.MappingNode):
        loader.flatten_mapping(root)  # a top-level ``<<:`` merge, as safe_load would do it
        top = {str(loader.construct_object(k)): v for k, v in root.value}
        if isinstance(top.get("tenants"), yaml.SequenceNode):
            unknown = set(top) - {"defaults", "tenants"}
            if unknown:
                raise ConfigError(
                    f"{path}: unknown top-level keys {sorted(unknown)}; allowed: defaults, tenants"
                )
            return top
    raise ConfigError(f"{path}: expected a mapping with a 'tenants:' list at the top")


class _Unreadable(Exception):
    """YAML parsed a value but cannot build it (e.g. an unknown ``!tag``)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def _construct(loader: Any, node: yaml.Node | None) -> Any:
    """The Python value of ``node`` (None for no node), built from the already-parsed tree.

    Raises:
        _Unreadable: YAML cannot build the value, with the line where it fails.
    """
    if node is None:
        return None
    try:
        return loader.construct_document(node)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        mark = getattr(exc, "problem_mark", None) or node.start_mark
        reason = getattr(exc, "problem", None) or str(exc)
        raise _Unreadable(mark.line + 1, f"YAML cannot read this value: {reason}") from exc


def _check_node(
    path: str, loader: Any, node: yaml.Node, index: int, defaults: dict[str, Any], today: date
) -> TenantConfig | list[TenantProblem]:
    try:
        entry = _construct(loader, node)
    except _Unreadable as exc:
        label = _id_of(node) or f"#{index + 1}"
        return [TenantProblem(path, exc.line, label, "(entry)", exc.reason)]
    label = str(entry.get("id", f"#{index + 1}")) if isinstance(entry, dict) else f"#{index + 1}"
    return _check_entry(path, node, label, entry, defaults, today)


def _id_of(node: yaml.Node) -> str | None:
    """The tenant's ``id`` read straight from its node, for entries that cannot be built."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == "id" and isinstance(v, yaml.ScalarNode):
                return str(v.value)
    return None


def _check_entry(
    path: str,
    node: yaml.Node | None,
    label: str,
    entry: Any,
    defaults: dict[str, Any],
    today: date,
) -> TenantConfig | list[TenantProblem]:
    if not isinstance(entry, dict):
        return [_problem(path, node, label, [], "each tenant must be a mapping of settings")]
    secrets = list(_secret_like(entry))
    if secrets:
        return [
            _problem(
                path,
                node,
                label,
                keys,
                "looks like a secret; secrets never go in this file, "
                "put them in the Airflow connection named by nets_conn_id / fortnox_conn_id",
            )
            for keys in secrets
        ]
    merged = {**defaults, **entry}
    if isinstance(defaults.get("accounts"), dict) and isinstance(entry.get("accounts"), dict):
        merged["accounts"] = {**defaults["accounts"], **entry["accounts"]}
    try:
        return TenantConfig.model_validate(merged, context={"today": today})
    except ValidationError as exc:
        return [
            _problem(path, node, label, [str(p) for p in err["loc"]], _explain(err))
            for err in exc.errors()
        ]


_REQUIRED_HINTS = {
    "nets_conn_id": (
        ": the id of the Airflow connection that holds the Nets secret key "
        "(README, 'Adding a merchant')"
    ),
    "fortnox_conn_id": (
        ": the id of the Airflow connection that holds the Fortnox client id and secret "
        "(README, 'Adding a merchant')"
    ),
}


def _explain(err: Any) -> str:
    got = err.get("input")
    shown = "" if isinstance(got, dict) else f", got {got!r}"
    if err["type"] == "missing":
        return "is required" + _REQUIRED_HINTS.get(str(err["loc"][-1]), "")
    if err["type"] == "extra_forbidden":
        return "is not a known setting (check the spelling)"
    if err["type"].startswith("date_"):
        return f"{err['msg']}{shown}; write a real calendar date as YYYY-MM-DD, e.g. 2026-10-01"
    return f"{err['msg']}{shown}"


def _secret_like(entry: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[list[str]]:
    found: list[list[str]] = []
    for key, value in entry.items():
        keys = [*prefix, str(key)]
        if _SECRET_KEY.search(str(key)) or (isinstance(value, str) and _SECRET_VALUE.search(value)):
            found.append(keys)
        elif isinstance(value, dict):
            found.extend(_secret_like(value, tuple(keys)))
    return found


def _line_of(node: yaml.Node | None, keys: list[str]) -> int | None:
    """The 1-based line of the deepest key of ``keys`` that exists under ``node``."""
    if node is None:
        return None
    line: int = node.start_mark.line + 1
    current = node
    for key in keys:
        if not isinstance(current, yaml.MappingNode):
            break
        for k, v in current.value:
            if k.value == key:
                line, current = k.start_mark.line + 1, v
                break
        else:
            break
    return line


def _problem(
    path: str, node: yaml.Node | None, label: str, keys: list[str], message: str
) -> TenantProblem:
    return TenantProblem(path, _line_of(node, keys), label, ".".join(keys) or "(entry)", message)
