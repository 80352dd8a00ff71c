"""The comparison report opens in a real browser (headless Chromium) without errors."""

import pytest
from conftest import SMALL

from simulation.cli import main

pytestmark = pytest.mark.slow


def test_report_opens_offline_in_chromium_with_every_figure_and_table(tmp_path, browser):
    whatif = tmp_path / "capped.toml"
    whatif.write_text(
        f'extends = "{SMALL}"\n[whatif]\nquestion = "What if head traffic were capped?"\n'
        'watch = "sales_share_head"\nexpect = "lower"\n'
        "[platforms.douyin]\nhead_public_traffic = 0.3\n"
    )
    args = ["compare", str(SMALL), str(whatif), "--replicates", "2", "--steps", "12"]
    assert main([*args, "--results", str(tmp_path / "results"), "--quiet"]) == 0
    report = tmp_path / "results" / "compare" / "capped" / "report.html"

    # offline: any request other than the file itself would fail the page
    context = browser.new_context(offline=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    assert problems == []
    assert "What if head traffic were capped?" in page.inner_text("body")
    images = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(images) >= 6 and all(w > 0 for w in images)
    rows = page.eval_on_selector_all("table tr", "rows => rows.length")
    assert rows > 10
    watched = page.inner_text("tr.watched")
    assert "head-tier share of sales" in watched
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    context.close()
