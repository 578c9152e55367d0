"""HTML of the tenants page and of one tenant's page, from ``status`` records.

Plain server-side HTML with inline CSS and SVG: the page loads nothing else, runs no
script, and every value from the tenants file or the state database is escaped. Links to
Airflow's own pages open in the top window, since the Airflow UI shows this page in a frame.
The page shows only ids, names, accounts and amounts: connections are named by id, never
opened here (``balance`` reads them server-side and only the balance comes back).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import quote

from dibs_fortnox.money import Ore, format_amount
from dibs_fortnox.ui.chart import Series, line_chart
from dibs_fortnox.ui.status import BalanceCheck, DayPoint, DayProblem, TenantOverview

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .4rem .6rem; text-align: left;
         vertical-align: top; }
th { background: #f3f3f3; }
td.day, td.tenant { white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #1a7f37; } .bad { color: #b42318; font-weight: 600; }
.error { color: #b42318; } .muted { color: #777; }
ul { margin: 0; padding-left: 1.1rem; }
"""


def _money(ore: Ore | None) -> str:
    return "—" if ore is None else escape(format_amount(ore))


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def runs_link(dag_id: str, run_id: str | None = None, label: str = "runs") -> str:
    """A link to the DAG's runs (or one run) in the Airflow UI, in the top window."""
    href = f"/dags/{quote(dag_id, safe='')}/runs"
    if run_id:
        href += f"/{quote(run_id, safe='')}"
    return f'<a href="{escape(href)}" target="_top">{escape(label)}</a>'


def balance_cell(check: BalanceCheck) -> str:
    """Fortnox against expected, flagged when they differ or Fortnox cannot be read."""
    if check.error is not None:
        return f'<span class="error">Fortnox not readable: {escape(check.error)}</span>'
    diff = check.difference
    flag = (
        '<span class="ok">matches</span>'
        if diff == 0
        else f'<span class="bad">differs by {_money(diff)}</span>'
    )
    return (
        f"account {check.account}: Fortnox {_money(check.fortnox)}, "
        f"expected {_money(check.expected)} — {flag}"
    )


def problems_cell(problems: Sequence[DayProblem], dag_id: str) -> str:
    if not problems:
        return '<span class="ok">none</span>'
    items = []
    for p in problems:
        reasons = "".join(f"<li>{escape(r)}</li>" for r in p.reasons)
        items.append(
            f'<li><span class="bad">{p.day} {escape(p.state)}</span> '
            f"({runs_link(dag_id, p.run_id, 'run')})<ul>{reasons}</ul></li>"
        )
    return f"<ul>{''.join(items)}</ul>"


def overview_page(
    rows: Sequence[TenantOverview], broken: Sequence[tuple[str, str]], base: str
) -> str:
    """The tenants page.

    Args:
        rows: one overview per tenant.
        broken: (tenant id or file, message) for entries that could not be shown: invalid
            in the tenants file, or whose status could not be gathered.
        base: the URL prefix this app is mounted at (``/dibs-fortnox``).
    """
    body = [
        "<h1>DIBS-Fortnox tenants</h1>",
        "<table><thead><tr><th>tenant</th><th>onboarding</th><th>last booked day</th>"
        "<th>failed and held days</th><th>receivable</th></tr></thead><tbody>",
    ]
    for row in rows:
        t = row.tenant
        body.append(
            f'<tr data-tenant="{escape(t.id)}">'
            f'<td class="tenant"><a href="{escape(base)}/tenants/{quote(t.id)}">'
            f"{escape(t.id)}</a> {escape(t.name)}<br>{runs_link(t.dag_id)}</td>"
            f"<td>{escape(row.onboarding)}</td>"
            f'<td class="day">{row.last_booked_day or "—"}</td>'
            f"<td>{problems_cell(row.problems, t.dag_id)}</td>"
            f"<td>{balance_cell(row.balance)}</td></tr>"
        )
    for name, message in broken:
        body.append(
            f'<tr data-tenant="{escape(name)}"><td>{escape(name)}</td>'
            f'<td colspan="4" class="error">{escape(message)}</td></tr>'
        )
    body.append("</tbody></table>")
    body.append(
        '<p class="muted">Expected receivable: what our ledger has booked and not yet '
        "cleared by a payout voucher (0 when every payout is booked or held). Amounts in "
        "the tenant's currency.</p>"
    )
    return _page("DIBS-Fortnox tenants", "".join(body))


def tenant_page(row: TenantOverview, points: Sequence[DayPoint], base: str) -> str:
    """One tenant: its status, a chart over time and links to its runs."""
    t = row.tenant
    days = [p.day for p in points]
    receivable = f"receivable {t.accounts.receivable} (as booked by us)"
    chart = line_chart(
        days,
        [
            Series("daily sales (charged − refunded)", "#1f77b4", [p.sales for p in points]),
            Series("payouts to the bank", "#2ca02c", [p.payouts for p in points]),
            Series(receivable, "#d62728", [p.receivable for p in points]),
        ],
        title=f"{t.id}: sales, payouts and receivable per day",
    )
    body = (
        f'<p><a href="{escape(base)}/">← all tenants</a></p>'
        f"<h1>{escape(t.id)} — {escape(t.name)}</h1>"
        f"<p>onboarding: {escape(row.onboarding)} · last booked day: "
        f"{row.last_booked_day or '—'} · {runs_link(t.dag_id, label='DAG runs')} · "
        f"{runs_link(t.onboarding_dag_id, label='onboarding runs')}</p>"
        f"<p>{balance_cell(row.balance)}</p>"
        f"<h2>Over time</h2>{chart}"
        f"<h2>Failed and held days</h2>{problems_cell(row.problems, t.dag_id)}"
    )
    return _page(f"DIBS-Fortnox {t.id}", body)
