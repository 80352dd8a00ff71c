"""The README's dashboard figure: the first lesson after 80 days, in headless Chromium.

Serves ``creator-sim dashboard`` on a free port, presses Step 80 times and saves the page
as ``docs/figures/dashboard.png`` (``make dashboard-figure``; needs the viz extra, Playwright
for Python and Chromium, e.g. Debian's ``chromium`` at ``/usr/bin/chromium``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
DAYS = 80
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    """Serve the dashboard, step the first lesson DAYS days, save the screenshot."""
    port = free_port()
    cmd = [sys.executable, "-m", "simulation", "dashboard", "--port", str(port)]
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_context(viewport={"width": 1500, "height": 1150}).new_page()
            for attempt in range(300):  # until the server answers (about 10 s)
                try:
                    page.goto(f"http://127.0.0.1:{port}/")
                    break
                except PlaywrightError:
                    if attempt == 299:
                        raise
                    time.sleep(0.3)
            page.get_by_text("Time: 0.0").wait_for(timeout=60_000)
            for day in range(1, DAYS + 1):
                page.get_by_role("button", name="Step").click()
                page.get_by_text(f"Time: {day}.0").wait_for(timeout=60_000)
            page.wait_for_timeout(3000)  # the charts of the last step
            page.screenshot(path=str(ROOT / "docs" / "figures" / "dashboard.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
