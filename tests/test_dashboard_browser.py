"""The classroom dashboard in a real browser: headless Chromium against `creator-sim dashboard`."""

import socket
import subprocess
import sys
import time

import pytest
from conftest import ROOT

pytest.importorskip("simulation.dashboard")  # the viz extra (mesa[viz])
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    cmd = [sys.executable, "-m", "simulation", "dashboard", "--port", str(port)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    first = proc.stdout.readline()
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"the dashboard did not start: {first}")
    yield f"http://127.0.0.1:{port}/", first
    proc.terminate()
    proc.wait(timeout=30)


def _open(browser, url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(url)
    page.get_by_text("Time: 0.0").wait_for(timeout=60_000)
    page.locator("img").nth(5).wait_for(timeout=30_000)  # the six charts
    return context, page, problems


def _slider(page, label: str) -> str:
    return page.locator(f'[role=slider][aria-label="{label}"]').get_attribute("aria-valuenow")


def test_dashboard_steps_switches_lessons_and_keeps_sessions_apart(server, browser, tmp_path):
    url, banner = server
    assert "127.0.0.1" in banner  # binds to loopback unless told otherwise, and says where
    context, page, problems = _open(browser, url)
    assert page.locator("img").count() >= 6
    chart = page.locator("img").first.get_attribute("src")

    page.get_by_role("button", name="Step").click()
    page.get_by_text("Time: 1.0").wait_for(timeout=30_000)
    page.wait_for_function(
        "src => document.querySelector('img').getAttribute('src') !== src", arg=chart
    )

    other, other_page, other_problems = _open(browser, url)  # a second student
    assert other_page.get_by_text("Time: 0.0").is_visible()
    assert page.get_by_text("Time: 1.0").is_visible()

    assert _slider(page, "Scandals per creator per year") == "0.02"
    page.locator(".v-card", has_text="Lesson preset").locator(".v-select__selections").click()
    page.get_by_role("option", name="Trust and scandal").click()
    page.get_by_text("Scandals are frequent").wait_for(timeout=30_000)
    assert _slider(page, "Scandals per creator per year") == "0.5"
    page.get_by_text("Time: 0.0").wait_for(timeout=30_000)  # a new preset: a new model
    assert _slider(other_page, "Scandals per creator per year") == "0.02"

    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert (tmp_path / "dashboard.png").stat().st_size > 20_000
    assert problems == [] and other_problems == []
    context.close()
    other.close()


def _listening(port: int) -> list[str]:
    """Addresses with a TCP socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    import ipaddress

    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in list(f)[1:]:
                local, state = line.split()[1], line.split()[3]
                addr, hex_port = local.split(":")
                if state != "0A" or int(hex_port, 16) != port:
                    continue
                raw = bytes.fromhex(addr)
                # the kernel prints each 32-bit word in host (little-endian) order
                raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                found.append(str(ipaddress.ip_address(raw)))
    return found


def test_the_dashboard_listens_on_this_machine_only(server, tried):
    url, banner = server
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    assert _listening(port) == ["127.0.0.1"]
    assert "listening on 127.0.0.1" in banner and "--host to change" in banner
    tried(f"dashboard: listening sockets on port {port}: {_listening(port)} (loopback only)")
