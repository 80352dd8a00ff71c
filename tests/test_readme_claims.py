"""The README's validation tables say what the committed validation runs measured.

Every number in the README's quick-start validation table, its two counterfactual tables
(quick start and full baseline) and the measured columns of its full-baseline table must
be one of the numbers the validation run behind it wrote (``docs/validation/*.md``, copied
from ``creator-sim validate``'s ``validation.md``), to the precision the README prints. A
refreshed validation that is not carried into the README, or a README number typed by
hand, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs" / "validation"

_SCALE = {"%": 0.01, "x": 1.0, "M": 1e6, "bn": 1e9, "e": 1.0}
_NUMBER = re.compile(r"([+\-−]?\d[\d,]*(?:\.\d+)?(?:e[+\-]?\d+)?)\s*(%|x|M\b|bn\b)?")


def numbers(cell: str) -> list[tuple[float, float]]:
    """(value, half of the last printed digit's unit) of every number in a table cell.

    ``+32%`` is 0.32, ``22 M`` 22e6, ``7,960x`` 7960, ``−0.45`` -0.45 (Unicode minus); a
    number printed without a unit takes the cell's first unit (``−11.1 bn (−11.6 to
    −10.7)``). Text in parentheses that holds no number (``(fails)``) is ignored.
    """
    found = [(m.group(1), m.group(2)) for m in _NUMBER.finditer(cell)]
    unit = next((u for _, u in found if u), None)
    out = []
    for text, own in found:
        text = text.replace("−", "-").replace(",", "")
        scale = _SCALE[own or unit or "e"]
        mantissa = text.split("e")[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        exponent = int(text.split("e")[1]) if "e" in text else 0  # 1.57e+10: 3 digits
        half = 0.5 * 10.0 ** (exponent - decimals)
        out.append((float(text) * scale, half * scale))
    return out


def _rows(lines: list[str], header: str) -> list[list[str]]:
    """Cells of the rows of the first table whose header row starts with ``header``."""
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def _measured(doc: Path) -> dict[str, list[tuple[float, float]]]:
    """A validation table's measured values by check (F1, F3, steady...), in row order."""
    out: dict[str, list[tuple[float, float]]] = {}
    for cells in _rows(doc.read_text().splitlines(), "| check | what | measured"):
        out.setdefault(cells[0], []).extend(numbers(cells[2]))
    return out


def _matches(claimed: list[tuple[float, float]], measured: list[tuple[float, float]]) -> bool:
    """Each claimed number equals, in order, one of the measured ones (others may be skipped)."""
    i = 0
    for value, half in claimed:
        while i < len(measured) and abs(measured[i][0] - value) > half + measured[i][1] + 1e-12:
            i += 1
        if i == len(measured):
            return False
        i += 1
    return True


def _check_id(label: str) -> str:
    """The check a README row is about: its first word (``F3``, ``steady``)."""
    return label.split()[0].rstrip(":")


def _readme_lines() -> list[str]:
    return README.read_text().splitlines()


def _linked(lines: list[str], pattern: str) -> Path:
    """The one docs/validation file matching ``pattern`` that the README links to."""
    text = "\n".join(lines)
    names = sorted(set(re.findall(rf"docs/validation/({pattern})", text)))
    assert len(names) == 1, f"README should link one docs/validation/{pattern}, found {names}"
    return DOCS / names[0]


def test_numbers_reads_the_readmes_notation() -> None:
    assert numbers("+32%") == [(0.32, 0.005)]
    assert numbers("22 M") == [(22e6, 0.5e6)]
    assert numbers("7,960x")[0][0] == 7960
    assert [v for v, _ in numbers("−0.12 / +0.50 (fails)")] == [-0.12, 0.5]
    assert [v for v, _ in numbers("−11.1 bn (−11.6 to −10.7)")] == [-11.1e9, -11.6e9, -10.7e9]
    assert numbers("1.57e+10") == [(1.57e10, 0.005e10)]
    assert _matches(numbers("0.35"), numbers("0.345"))
    assert not _matches(numbers("0.36"), numbers("0.345"))


def test_quick_start_table_is_the_quick_start_validation() -> None:
    lines = _readme_lines()
    doc = _linked(lines, r"quickstart_\d+_seeds\.md")
    measured = _measured(doc)
    claimed: dict[str, list[tuple[float, float]]] = {}
    for cells in _rows(lines, "| check | what | measured | band | pass |"):
        claimed.setdefault(cells[0], []).extend(numbers(cells[2]))
    assert claimed.keys() <= measured.keys()
    for check, values in claimed.items():
        assert _matches(values, measured[check]), (
            f"{check}: README {values}, {doc.name} {measured[check]}"
        )


@pytest.mark.parametrize(
    ("header", "pattern"),
    [
        ("| headline | output | with | without |", r"quickstart_\d+_seeds\.md"),
        ("| headline (full baseline) | output |", r"full_counterfactuals_\d+_seeds\.md"),
    ],
)
def test_counterfactual_table_is_its_validation(header: str, pattern: str) -> None:
    lines = _readme_lines()
    doc = _linked(lines, pattern)
    ours = _rows(lines, header)
    theirs = _rows(doc.read_text().splitlines(), "| headline | with | without | output |")
    assert len(ours) == len(theirs)
    for mine, row in zip(ours, theirs, strict=True):
        claimed = [n for cell in mine[2:5] for n in numbers(cell)]
        measured = [n for cell in row[4:8] for n in numbers(cell)]
        assert _matches(claimed, measured), f"{row[3]}: README {mine[2:5]}, {doc.name} {row[4:8]}"
    seeds = {row[-1] for row in theirs}
    assert seeds == {re.search(r"_(\d+)_seeds", doc.name).group(1)}, f"{doc.name}: seeds {seeds}"
    # A validation that prints its table to read (since 2026-12-03) is copied word for word.
    marker = "The same, to read"
    if marker in doc.read_text():
        readable = _rows(doc.read_text().split(marker)[1].splitlines(), "| headline | output |")
        assert ours == readable, f"README's table is not {doc.name}'s table to read"


@pytest.mark.parametrize(
    ("column", "pattern"),
    [
        (1, r"quickstart_\d+_seeds\.md"),
        (2, r"full_baseline_\d+_seeds\.md"),
        (3, r"fixed_market_full_\d+_seeds\.md"),
    ],
)
def test_full_baseline_table_is_its_validations(column: int, pattern: str) -> None:
    lines = _readme_lines()
    doc = _linked(lines, pattern)
    measured = _measured(doc)
    rows = _rows(lines, "| check | quick start")
    header = next(line for line in lines if line.startswith("| check | quick start"))
    seeds = re.findall(r"\((\d+) seeds\)", header.split("|")[column + 1])
    assert seeds and f"{seeds[0]}_seeds" in doc.name, (
        f"column {column} names {seeds}, linked {doc.name}"
    )
    claimed: dict[str, list[tuple[float, float]]] = {}
    for cells in rows:
        claimed.setdefault(_check_id(cells[0]), []).extend(numbers(cells[column]))
    for check, values in claimed.items():
        assert _matches(values, measured[check]), (
            f"{check}: README {values}, {doc.name} {measured[check]}"
        )


# ------------------------------------------------------------------ the quick start's run
# Sentences of the README that read ``make run``'s files (the quick start, seed 20261123):
# each with ``{}`` where the run's numbers go, and how to print them from ``summary.json``
# (``s``, its ``outcomes`` as ``o``) and ``timeseries.csv`` (``ts``).
def _f(digits: int, *values: float) -> tuple[str, ...]:
    return tuple(f"{v:.{digits}f}" for v in values)


def _pct(digits: int, *values: float) -> tuple[str, ...]:
    return tuple(f"{100 * v:.{digits}f}%" for v in values)


def _flows(o: dict, *pairs: tuple[str, int]) -> tuple[str, ...]:
    """Follows won and lost a year per follow held, by tier, as percentages."""
    flows = o["follow_flows"]
    return tuple(s for tier, d in pairs for s in _pct(d, flows[tier]["won"], flows[tier]["lost"]))


QUICK_START_CLAIMS: list[tuple[str, object]] = [
    (
        "brands start with {} of the budget planned for head creators and {} for mid-tier ones",
        lambda s, o, ts: _pct(0, ts.budget_share_head.iloc[0], ts.budget_share_mid.iloc[0]),
    ),
    (
        "the head's share falls to {} after the first measured year and comes back to {} at "
        "the end of the second, with the mid tier at {} and the small tier at {}",
        lambda s, o, ts: _f(
            2,
            ts.budget_share_head.iloc[365],
            ts.budget_share_head.iloc[-1],
            ts.budget_share_mid.iloc[-1],
            ts.budget_share_small.iloc[-1],
        ),
    ),
    (
        "`advertiser_share_<arm>`: mid {}, head {}, small {})",
        lambda s, o, ts: _f(
            2,
            ts.advertiser_share_mid.iloc[-1],
            ts.advertiser_share_head.iloc[-1],
            ts.advertiser_share_small.iloc[-1],
        ),
    ),
    (
        "a yuan spent on head creators' deals returned {} yuan of value, against {} for mid, "
        "{} for small, {} for tail and {} for brands' own accounts",
        lambda s, o, ts: _f(
            0, *(o["return_per_yuan_by_arm"][a] for a in ("head", "mid", "small", "tail", "own"))
        ),
    ),
    (
        "edge: {} below 10k, {} at 10k-100k, {} at 100k-300k, **{} at 300k-1M**, then {} at "
        "1M-5M and {} at 5M-10M ({} deals; the {} deals above 10M returned {}",
        lambda s, o, ts: (
            *_f(
                0,
                *(
                    o["return_per_yuan_by_followers"][b]["return_per_yuan"]
                    for b in ("0-10k", "10k-100k", "100k-300k", "300k-1M", "1M-5M", "5M-10M")
                ),
            ),
            *_f(
                0,
                o["return_per_yuan_by_followers"]["5M-10M"]["deals"],
                o["return_per_yuan_by_followers"]["10M+"]["deals"],
                o["return_per_yuan_by_followers"]["10M+"]["return_per_yuan"],
            ),
        ),
    ),
    (
        "The head tier is present throughout ({} creators on the first measured day and {} on "
        "the last)",
        lambda s, o, ts: _f(0, ts.creators_head.iloc[0], ts.creators_head.iloc[-1]),
    ),
    (
        "(won {}, lost {} a year), and the head tier wins {} and loses {} a year, the mid tier "
        "{} and {}, the small tier {} and {}.",
        lambda s, o, ts: _flows(o, ("all", 1), ("head", 1), ("mid", 1), ("small", 0)),
    ),
    (
        "the schedule sells a creator's reach at {} yuan per 1,000 (tail), {} (small), {} (mid) "
        "and {} (head), while bought traffic costs {}",
        lambda s, o, ts: (
            *_f(
                2, *(o["per_thousand_reached_by_arm"][a] for a in ("tail", "small", "mid", "head"))
            ),
            *_f(1, o["per_thousand_reached_by_arm"]["own"]),
        ),
    ),
    (
        "brands put {} of their social spend into them (F7's KOL share",
        lambda s, o, ts: _pct(0, s["facts"]["F7"]["value"]["kol_share"]),
    ),
    (
        "{} of the smaller creators' Douyin live viewers follow them, against {} of the bigger "
        "creators'",
        lambda s, o, ts: _f(3, *o["trust_by_audience"]["douyin_live_viewers_following"].values()),
    ),
    (
        "(mean trust of the Douyin follows held, {} and {})",
        lambda s, o, ts: _f(
            3, *(o["trust_by_audience"]["douyin_follow_trust"][k] for k in ("smaller", "larger"))
        ),
    ),
    (
        "over every platform it is {} for tail, {} small, {} mid and {} head creators",
        lambda s, o, ts: _f(3, *o["trust_by_audience"]["follow_trust_by_tier"].values()),
    ),
    (
        "(KOC follows {} on average, KOL {})",
        lambda s, o, ts: _f(
            3, *(o["trust_by_audience"]["follow_trust_by_role"][r] for r in ("KOC", "KOL"))
        ),
    ),
    (
        "under F1's line than KOLs do ({} against {})",
        lambda s, o, ts: _f(
            3,
            *(o["trust_by_audience"]["douyin_follows_smaller_by_role"][r] for r in ("KOC", "KOL")),
        ),
    ),
    (
        "seed 20261123: F8 {}): {} of Kuaishou users follow an anchor there (the others trust as "
        "strangers and say no), and {} of those trust their most trusted anchor at least {},",
        lambda s, o, ts: _f(
            3,
            s["facts"]["F8"]["value"],
            o["f8_survey"]["follow_an_anchor"],
            o["f8_survey"]["willing_if_following"],
            o["f8_survey"]["trust_cutoff"],
        ),
    ),
    (
        "their median top trust is {}, just under it",
        lambda s, o, ts: _f(3, o["f8_survey"]["median_top_trust"]),
    ),
]


@pytest.mark.slow
def test_the_readmes_account_of_the_quick_start_is_what_make_run_writes(quickstart_run) -> None:
    """Every sentence above, filled in from ``make run``'s files, is in the README."""
    import json

    import pandas as pd

    summary = json.loads((quickstart_run / "summary.json").read_text())
    ts = pd.read_csv(quickstart_run / "timeseries.csv")
    assert summary["seeds"] == [20261123] and ts.step.iloc[-1] == summary["steps"]
    text = " ".join(README.read_text().split())
    stale = []
    for sentence, values in QUICK_START_CLAIMS:
        pattern = r"[+\-−]?\d+(?:,\d{3})*(?:\.\d+)?%?".join(
            re.escape(part) for part in sentence.split("{}")
        )
        found = re.findall(pattern, text)
        assert len(found) == 1, f"README should say once, with numbers: {sentence}"
        expected = sentence.format(*values(summary, summary["outcomes"], ts))
        if found[0] != expected:
            stale.append(f"  README: {found[0]}\n  run:    {expected}")
    assert not stale, "README sentences that make run's files contradict:\n" + "\n".join(stale)
