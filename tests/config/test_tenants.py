"""The tenants file: valid entries load, each broken entry is reported on its own."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from dibs_fortnox.errors import ConfigError
from dibs_fortnox.tenants import load_tenants, stockholm_today

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
defaults:
  voucher_series: B
  accounts: {fees: 6570}
tenants:
  - id: acme
    name: Acme AB
    start_date: 2026-10-01
    email: ekonomi@acme.example
    nets_conn_id: nets_acme
    fortnox_conn_id: fortnox_acme
    accounts: {sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tenants.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_config_loads_without_problems() -> None:
    loaded = load_tenants(REPO / "config" / "tenants.yaml")
    assert loaded.problems == []
    assert [t.id for t in loaded.tenants] == ["demo"]


def test_defaults_merge_into_each_tenant(tmp_path: Path) -> None:
    tenant = load_tenants(write(tmp_path, GOOD)).by_id("acme")
    assert tenant.voucher_series == "B"
    assert tenant.mode_of_payment == "NETS"
    assert tenant.accounts.fees == 6570 and tenant.accounts.bank == 1930
    assert tenant.start_date == date(2026, 10, 1)
    assert tenant.dag_id == "dibs_fortnox__acme"


def test_bad_account_names_file_line_tenant_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("sales_eu: 3106", "sales_eu: 30"))
    loaded = load_tenants(path)
    assert loaded.tenants == []
    [problem] = loaded.problems
    text = str(problem)
    assert f"{path}:11" in text
    assert "tenant 'acme'" in text and "accounts.sales_eu" in text and "30" in text


def test_one_broken_tenant_keeps_the_others(tmp_path: Path) -> None:
    broken = (
        GOOD
        + """\
  - id: Bad-Id
    name: Broken
    start_date: 2026-10-01
    email: a@b.example
    nets_conn_id: n
    fortnox_conn_id: f
    accounts: {sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105, receivable: 1516, bank: 1930}
"""
    )
    loaded = load_tenants(write(tmp_path, broken))
    assert [t.id for t in loaded.tenants] == ["acme"]
    assert [p.field for p in loaded.problems] == ["id"]
    assert loaded.problems[0].line == 13


def test_missing_field_is_named(tmp_path: Path) -> None:
    loaded = load_tenants(write(tmp_path, GOOD.replace("    email: ekonomi@acme.example\n", "")))
    assert [(p.field, p.message) for p in loaded.problems] == [("email", "is required")]


def test_unknown_setting_is_refused(tmp_path: Path) -> None:
    loaded = load_tenants(
        write(tmp_path, GOOD.replace("    name: Acme AB\n", "    name: Acme AB\n    nmae: x\n"))
    )
    assert [p.field for p in loaded.problems] == ["nmae"]
    assert "not a known setting" in loaded.problems[0].message


def test_secret_in_yaml_is_refused_without_echoing_it(tmp_path: Path) -> None:
    secret = "live-secret-key-" + "a" * 32
    text = GOOD.replace("    name: Acme AB\n", f"    name: Acme AB\n    nets_key: {secret}\n")
    loaded = load_tenants(write(tmp_path, text))
    [problem] = loaded.problems
    assert "secrets never go in this file" in problem.message
    assert secret not in str(problem)


def test_duplicate_ids_keep_the_first(tmp_path: Path) -> None:
    text = GOOD + GOOD.split("tenants:\n", 1)[1]
    loaded = load_tenants(write(tmp_path, text))
    assert [t.id for t in loaded.tenants] == ["acme"]
    assert [p.message for p in loaded.problems] == ["duplicate tenant id; ids must be unique"]


def test_not_a_tenants_file_raises(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'tenants:' list"):
        load_tenants(write(tmp_path, "tenant: []\n"))


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_tenants(tmp_path / "nope.yaml")


def test_env_var_selects_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIBS_FORTNOX_TENANTS", str(write(tmp_path, GOOD)))
    assert [t.id for t in load_tenants().tenants] == ["acme"]


def test_impossible_date_is_that_tenants_problem(tmp_path: Path) -> None:
    # YAML resolves 2026-13-01 to a timestamp that datetime cannot build; it must not
    # take every other tenant's DAG down with it.
    text = GOOD + GOOD.split("tenants:\n", 1)[1].replace("acme", "zeta").replace(
        "2026-10-01", "2026-13-01"
    )
    path = write(tmp_path, text)
    loaded = load_tenants(path)
    assert [t.id for t in loaded.tenants] == ["acme"]
    [problem] = loaded.problems
    assert (problem.tenant, problem.field, problem.line) == ("zeta", "start_date", 15)
    text = str(problem)
    assert f"{path}:15: tenant 'zeta': start_date:" in text
    assert "'2026-13-01'" in text and "YYYY-MM-DD" in text


def test_value_yaml_cannot_build_is_that_tenants_problem(tmp_path: Path) -> None:
    text = GOOD + GOOD.split("tenants:\n", 1)[1].replace("acme", "zeta").replace(
        "name: Acme AB", "name: !python/name:os.system x"
    )
    loaded = load_tenants(write(tmp_path, text))
    assert [t.id for t in loaded.tenants] == ["acme"]
    [problem] = loaded.problems
    assert (problem.tenant, problem.field, problem.line) == ("zeta", "(entry)", 14)
    assert "YAML cannot read this value" in problem.message


def test_not_yaml_raises_with_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "tenants: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_tenants(path)


def test_unknown_top_level_key_raises(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown top-level keys \['tennants'\]"):
        load_tenants(write(tmp_path, GOOD + "tennants: []\n"))


def test_anchors_and_merge_keys_work_per_tenant(tmp_path: Path) -> None:
    text = GOOD.replace("    accounts: {sales_se", "    accounts: &acc {sales_se") + (
        "  - id: zeta\n    <<: {name: Zeta AB, start_date: 2026-10-02}\n"
        "    email: z@z.example\n    nets_conn_id: n\n    fortnox_conn_id: f\n"
        "    accounts: *acc\n"
    )
    loaded = load_tenants(write(tmp_path, text))
    assert loaded.problems == []
    zeta = loaded.by_id("zeta")
    assert zeta.name == "Zeta AB" and zeta.start_date == date(2026, 10, 2)
    assert zeta.accounts.sales_eu == 3106


def test_the_same_file_is_parsed_once_and_an_edit_is_seen(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    first = load_tenants(path)
    again = load_tenants(path)
    assert again.tenants[0] is first.tenants[0]  # shared parse
    assert again.tenants is not first.tenants  # but each caller owns its lists
    path.write_text(GOOD.replace("Acme AB", "Acme AC"), encoding="utf-8")  # same size
    assert load_tenants(path).by_id("acme").name == "Acme AC"


ZETA = GOOD.split("tenants:\n", 1)[1].replace("acme", "zeta")


def test_yaml_syntax_error_in_one_entry_drops_only_that_tenant(tmp_path: Path) -> None:
    broken = ZETA.replace("    email: ekonomi@zeta.example\n", "    email ekonomi@zeta.example\n")
    path = write(tmp_path, GOOD + broken + ZETA.replace("zeta", "omega"))
    loaded = load_tenants(path)
    assert [t.id for t in loaded.tenants] == ["acme", "omega"]
    assert loaded.by_id("omega").voucher_series == "B"  # defaults still apply
    [problem] = loaded.problems
    assert (problem.tenant, problem.field, problem.line) == ("zeta", "(entry)", 16)
    assert str(problem).startswith(f"{path}:16: tenant 'zeta': (entry): YAML syntax error")
    assert "the other tenants are not affected" in problem.message


def test_after_a_syntax_error_other_problems_keep_their_lines(tmp_path: Path) -> None:
    broken = ZETA.replace("name: Acme AB", "name: 'Zeta AB")
    bad_account = ZETA.replace("zeta", "omega").replace("sales_eu: 3106", "sales_eu: 30")
    path = write(tmp_path, GOOD + broken + bad_account + GOOD.split("tenants:\n", 1)[1])
    loaded = load_tenants(path)
    assert [t.id for t in loaded.tenants] == ["acme"]
    assert [(p.tenant, p.field, p.line) for p in loaded.problems] == [
        ("zeta", "(entry)", 14),
        ("omega", "accounts.sales_eu", 27),
        ("acme", "id", 29),
    ]


def test_syntax_error_outside_the_entries_still_raises(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_tenants(write(tmp_path, GOOD.replace("voucher_series: B", "voucher_series: 'B")))


def test_future_start_date_is_that_tenants_problem(tmp_path: Path) -> None:
    today = stockholm_today()
    text = GOOD + ZETA.replace("2026-10-01", (today + timedelta(days=1)).isoformat())
    text += ZETA.replace("zeta", "omega").replace("2026-10-01", today.isoformat())
    loaded = load_tenants(write(tmp_path, text))
    assert [t.id for t in loaded.tenants] == ["acme", "omega"]  # today itself is fine
    [problem] = loaded.problems
    assert (problem.tenant, problem.field) == ("zeta", "start_date")
    assert "is in the future" in problem.message and "check the year" in problem.message
