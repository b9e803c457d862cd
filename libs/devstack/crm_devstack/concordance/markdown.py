"""The readable page of the concordance (docs/concordance/README.md), written from report()."""

from __future__ import annotations

from crm_devstack.concordance.report import report
from crm_devstack.concordance.sources import Json

_COMMAND = "uv run python -m crm_devstack.concordance"


def origin_text(origin: Json) -> str:
    if "section" in origin:
        return f"{origin['source']} § {origin['section']}"
    where = f"{origin['source'].removeprefix('legacy/')} `{origin['path'] or '(whole file)'}`"
    return f"{where} ∋ {origin['value']}" if "value" in origin else where


def _origins(origins: list[Json], *, legacy_only: bool = False) -> str:
    chosen = [o for o in origins if not (legacy_only and "section" in o)]
    return "; ".join(origin_text(o) for o in chosen) or "—"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"


def _events(data: Json) -> list[str]:
    lines = [
        "## Events",
        "",
        "Every event of the catalog, where it comes from beyond DOMAIN.md § Catalog "
        "(which lists them all), and its required properties (details in event_catalog.json).",
        "",
        _row("event", "from outside", "in legacy", "required properties", "legacy origin"),
        _row("---", "---", "---", "---", "---"),
    ]
    for name, event in data["events"].items():
        required = [prop for prop, info in event["properties"].items() if info["required"]]
        lines.append(
            _row(
                name,
                "yes" if event["from_outside"] else "no",
                "yes" if event["in_legacy"] else "**new**",
                ", ".join(required) or "—",
                _origins(event["origins"], legacy_only=True),
            )
        )
    return [*lines, ""]


def _terms(data: Json) -> list[str]:
    lines = [
        "## Status terms",
        "",
        "Each vocabulary's terms and what they mean (all from DOMAIN.md § Vocabularies and "
        "the mapping; the full reverse table is in status_mapping.json).",
        "",
        _row("vocabulary", "term", "status", "booking", "joined_team", "legacy origin"),
        _row("---", "---", "---", "---", "---", "---"),
    ]
    for vocabulary, terms in data["status_terms"].items():
        for term, meaning in terms.items():
            lines.append(
                _row(
                    vocabulary,
                    term,
                    meaning["status"],
                    meaning["booking"],
                    "yes" if meaning["joined_team"] else "",
                    _origins(meaning["origins"], legacy_only=True),
                )
            )
    return [*lines, ""]


def _rules_nba_kpis(data: Json) -> list[str]:
    lines = [
        "## Rules, next best action, KPIs",
        "",
        "The earlier files hold none of these; each traces to its DOMAIN.md section.",
        "",
        _row("automation rule (trigger)", "reminders", "also"),
        _row("---", "---", "---"),
    ]
    for rule in data["rules"]:
        reminders = ", ".join(f"{r['type']} {r['at']}" for r in rule["reminders"])
        lines.append(_row(rule["trigger"], reminders or "—", rule["also"] or "—"))
    lines += ["", _row("NBA situation", "action", "priority", "urgency"), _row(*["---"] * 4)]
    for row in data["nba"]:
        lines.append(_row(row["situation"], row["action"], row["priority"], row["urgency"]))
    kpis = ", ".join(f"`{kpi['name']}`" for kpi in data["kpis"])
    prompts = ", ".join(f"`{kind}`" for kind in data["coaching_prompts"])
    return [*lines, "", f"KPIs: {kpis}.", "", f"Coaching prompts: {prompts}.", ""]


def _probes(data: Json) -> list[str]:
    lines = [
        "## Sample events, then and now",
        "",
        _row("sample", "earlier schema", "now", "why refused now"),
        _row("---", "---", "---", "---"),
    ]
    for probe in data["probes"]:
        lines.append(_row(probe["case"], probe["legacy"], probe["now"], probe["now_reason"]))
    return [*lines, ""]


def report_markdown(data: Json | None = None) -> str:
    """A short page a person can read: sources, what changed, then the traces in tables."""
    if data is None:
        data = report()
    lines = [
        "# Concordance",
        "",
        f"Generated from the crm_schemas models by `{_COMMAND}`; do not edit by hand. "
        f"CI runs `{_COMMAND} --check`, which fails when a file here differs from the models.",
        "",
        "- `status_mapping.json`: every vocabulary in both directions, the canonical statuses "
        "and booking states.",
        "- `event_catalog.json`: every event, its required and optional properties, who emits "
        "it, whether it is activity.",
        "- `report.json`: where every event, field, status, term, rule, NBA row and KPI comes "
        "from, and what changed; this page summarizes it.",
        "",
        "## Sources",
        "",
        *(f"- `{name}`: {text}" for name, text in data["sources"].items()),
        "",
        "## What changed from the earlier system",
        "",
        *(f"- **{c['id']}**: {c['summary']}" for c in data["changes"]),
        "",
        *_probes(data),
        *_events(data),
        *_terms(data),
        *_rules_nba_kpis(data),
    ]
    return "\n".join(lines).rstrip() + "\n"
