"""A comparison's figures and its ``report.html``: one self-contained page to send by e-mail.

The page has no scripts and loads nothing: its style is inline and its figures are PNGs
embedded as data URIs, so it opens the same offline, in a mail client's viewer or in a
browser, and prints.
"""

from __future__ import annotations

import base64
import datetime
import html
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simulation import plots
from simulation.compare import LEVEL, band, fmt, paired_interval
from simulation.indicators import FIGURES, indicators

if TYPE_CHECKING:
    from simulation.compare import Comparison, Difference


def figures(comparison: Comparison, folder: Path) -> list[tuple[str, Path]]:
    """One PNG per group of indicators (``indicators.FIGURES``); returns (title, path)."""
    folder.mkdir(parents=True, exist_ok=True)
    everyone = [comparison.baseline, *comparison.scenarios]
    colors = plots.scenario_colors([s.name for s in everyone])
    inds = indicators(comparison.baseline)
    out = []
    for group, title in FIGURES:
        panels = [
            (ind.label, ind.unit, {s.name: band(ind, comparison.series[s.name]) for s in everyone})
            for ind in inds.values()
            if ind.group == group
        ]
        if not panels:
            continue
        fig = plots.comparison_panels(title, panels, colors, len(comparison.seeds))
        path = folder / f"{group}.png"
        fig.savefig(path, dpi=90)
        out.append((title, path))
    return out


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222;
       line-height: 1.45; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.92em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.watched td { font-weight: bold; }
td.up { color: #1a7f37; } td.down { color: #b42318; } td.noise { color: #888; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px;
          vertical-align: -0.1em; margin-right: 0.3em; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0 1.5em; }
.meta { color: #555; font-size: 0.9em; }
"""


def _row(d: Difference) -> str:
    cls = "noise" if not d.distinguishable else ("up" if d.difference > 0 else "down")
    verdict = "yes" if d.distinguishable else ("n/a" if d.n < 2 else "no")
    return (
        f'<tr class="{"watched" if d.watched else ""}"><td>{html.escape(d.label)}</td>'
        f"<td>{html.escape(d.unit)}</td><td>{fmt(d.baseline)}</td><td>{fmt(d.value)}</td>"
        f'<td class="{cls}">{fmt(d.difference, sign=True)}</td>'
        f"<td>[{fmt(d.low, sign=True)}, {fmt(d.high, sign=True)}]</td><td>{verdict}</td></tr>"
    )


def events_lines(outcomes: list[dict]) -> list[str]:
    """What each one-off event did, averaged over the seeds (summary.json outcomes.events)."""
    by_event: dict[tuple, list[dict]] = {}
    for per_seed in outcomes:
        for e in per_seed.get("events") or []:
            key = (e["event"], e["day"], e.get("tier"), e.get("rank"), e.get("platform"))
            by_event.setdefault(key, []).append(e)
    lines = []
    for (kind, day, tier, rank, platform), seen in sorted(by_event.items(), key=str):
        n = len(seen)
        if kind == "festival":
            gmv = sum(e["real_gmv"] for e in seen) / n / 1e6
            top = [max(e["top_anchor_real_gmv"], default=0.0) for e in seen]
            lines.append(
                f"Festival on {platform}, measured day {day}: {gmv:,.0f} M real yuan of sales "
                f"there that day; the best-selling stream sold {sum(top) / n / 1e6:,.1f} M real "
                f"yuan (F12: over 100 M for top anchors), mean of {n} seed(s)."
            )
        else:
            followers = sum(e["real_followers"] for e in seen) / n / 1e6
            lines.append(
                f"Scandal on measured day {day} of the {tier}-tier creator ranked {rank} by "
                f"followers: it had {followers:,.1f} M real followers (mean of {n} seed(s))."
            )
    return lines


def by_followers_rows(
    baseline: list[dict], scenario: list[dict], key: str = "return_per_yuan"
) -> list[tuple[str, str, float, float, float, float, float, int]]:
    """A deal measure by the deal creator's follower band, scenario vs baseline.

    From each seed's ``summary.json`` ``outcomes.return_per_yuan_by_followers`` (the whole
    measured period), ``key`` of each band: ``return_per_yuan`` (value per yuan of fees) or
    ``per_thousand_reached`` (fees per 1,000 real impressions the deals' content reached).
    Per band: (band, tier, baseline mean, scenario mean, paired difference, its interval,
    seeds with deals in that band in both runs). A band without deals on a seed leaves that
    seed out; bands without deals anywhere (or runs from before ``key``) are not listed.
    """

    def values(outcomes: list[dict], label: str) -> np.ndarray:
        rows = [(o.get("return_per_yuan_by_followers") or {}).get(label) or {} for o in outcomes]
        return np.array([r.get(key) for r in rows], float)  # None -> NaN

    first = next((o.get("return_per_yuan_by_followers") for o in baseline), None) or {}
    out = []
    for label, row in first.items():
        base, scen = values(baseline, label), values(scenario, label)
        diff, low, high, n = paired_interval(scen, base)
        if n:
            both = np.isfinite(base) & np.isfinite(scen)
            out.append(
                (label, row["tier"], base[both].mean(), scen[both].mean(), diff, low, high, n)
            )
    return out


def _band_table(caption: str, rows: list[tuple]) -> list[str]:
    """An HTML table of :func:`by_followers_rows` (nothing when there are no rows)."""
    e = html.escape
    if not rows:
        return []
    return [
        f"<table><caption>{e(caption)}</caption>",
        "<tr><th>real followers</th><th>tier</th><th>baseline</th><th>scenario</th>"
        f"<th>difference</th><th>{LEVEL:.0%} interval</th><th>seeds</th></tr>",
        *(
            f"<tr><td>{e(label)}</td><td>{e(tier)}</td><td>{fmt(b)}</td>"
            f"<td>{fmt(v)}</td><td>{fmt(d, sign=True)}</td>"
            f"<td>[{fmt(lo, sign=True)}, {fmt(hi, sign=True)}]</td><td>{n}</td></tr>"
            for label, tier, b, v, d, lo, hi, n in rows
        ),
        "</table>",
    ]


def html_page(comparison: Comparison, figs: list[tuple[str, Path]], command: str) -> str:
    """The report as one HTML string (figures inline)."""
    e = html.escape
    base = comparison.baseline
    colors = plots.scenario_colors([base.name, *(s.name for s in comparison.scenarios)])
    seeds = comparison.seeds
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>What-if comparison: {e(', '.join(s.name for s in comparison.scenarios))}"
        f" vs {e(base.name)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>What if…? {len(comparison.scenarios)} scenario(s) against "
        f'<span class="swatch" style="background:{colors[base.name]}"></span>{e(base.name)}</h1>',
        f'<p class="meta">{len(seeds)} replicates per scenario on the same seeds '
        f"({seeds[0]}-{seeds[-1]}, common random numbers); {comparison.steps} measured days "
        f"after each scenario's warm-up; {base.population.n_fans:,} simulated fans for "
        f"{base.scale.real_users:,.0f} real users. Made {datetime.date.today().isoformat()} by "
        f"<code>{e(command)}</code>.</p>",
        "<h2>How to read this</h2>",
        "<p>Each difference is the scenario's value minus the baseline's on the same seed, "
        f"averaged over seeds, with its {LEVEL:.0%} interval (Student's t over the paired "
        "differences). <b>Distinguishable</b> says whether the interval excludes zero, that "
        "is, whether the difference is larger than the luck of the seeds explains. Values "
        "are read over the last 30 measured days unless a scenario names its own days. The "
        "indicator a scenario's question is about is in bold.</p>",
    ]
    for s in comparison.scenarios:
        rows = [d for d in comparison.differences if d.scenario == s.name]
        days = f"days {rows[0].first_day}-{rows[0].last_day}" if rows else ""
        parts += [
            f'<h2><span class="swatch" style="background:{colors[s.name]}"></span>{e(s.name)}</h2>',
            f"<p><b>Question.</b> {e(s.whatif.question or s.description)}</p>",
            f'<p class="meta">{e(s.description)}'
            + (f" Source: {e(s.whatif.source)}." if s.whatif.source else "")
            + (f" File: <code>{e(s.source)}</code>." if s.source else "")
            + "</p>",
            *(f"<p>{e(line)}</p>" for line in events_lines(comparison.outcomes[s.name])),
            f"<table><caption>{e(s.name)} minus {e(base.name)}, {days}</caption>",
            "<tr><th>indicator</th><th>unit</th><th>baseline</th><th>scenario</th>"
            f"<th>difference</th><th>{LEVEL:.0%} interval</th><th>distinguishable</th></tr>",
            *(_row(d) for d in sorted(rows, key=lambda d: not d.watched)),
            "</table>",
            f"<table><caption>The FACTS targets at the end of the runs, {e(s.name)} minus "
            f"{e(base.name)} (each over what its definition reads: most the last measured "
            "year, growth year 2 against year 1)</caption>",
            "<tr><th>target</th><th></th><th>baseline</th><th>scenario</th>"
            f"<th>difference</th><th>{LEVEL:.0%} interval</th><th>distinguishable</th></tr>",
            *(_row(d) for d in comparison.targets if d.scenario == s.name),
            "</table>",
        ]
        outcomes = comparison.outcomes[base.name], comparison.outcomes[s.name]
        parts += _band_table(
            "Where a yuan of deal fees worked hardest: value returned per yuan, by the deal "
            "creator's real followers when it signed, over the whole measured period",
            by_followers_rows(*outcomes),
        )
        parts += _band_table(
            "What deals paid for reach: yuan of fees per 1,000 real impressions of the "
            f"content they bought (bought traffic: {s.brands.ad_cost_per_thousand:g} in the "
            f"scenario, {base.brands.ad_cost_per_thousand:g} in the baseline), by the same "
            "bands",
            by_followers_rows(*outcomes, key="per_thousand_reached"),
        )
    parts.append("<h2>Over time</h2>")
    for title, path in figs:
        data = base64.b64encode(path.read_bytes()).decode()
        parts.append(f'<img alt="{e(title)}" src="data:image/png;base64,{data}">')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
