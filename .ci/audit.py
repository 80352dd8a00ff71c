"""CI's dependency audit: fail on a known vulnerability that has a fixed release.

Runs ``pip-audit`` over the packages installed in this environment (the project itself,
installed editable, is skipped) and reads its JSON report. A vulnerability with a fix
available fails the build, naming the package, the advisory and the versions that fix it;
one without a fix is printed and does not (there is nothing to upgrade to). Packages
pip-audit could not look up (no vulnerability service reachable) are counted and
reported, so that a silent "no known vulnerabilities" never hides an audit that did not
happen.
"""

from __future__ import annotations

import json
import subprocess
import sys


def verdict(report: dict) -> tuple[int, list[str]]:
    """Exit code and lines to print for a pip-audit JSON report."""
    lines, failing = [], 0
    deps = report.get("dependencies", [])
    audited = [d for d in deps if "skip_reason" not in d]
    for dep in audited:
        for vuln in dep.get("vulns", []):
            fixes = vuln.get("fix_versions") or []
            if fixes:
                failing += 1
                lines.append(
                    f"FAIL {dep['name']} {dep['version']}: {vuln['id']} is fixed in "
                    f"{', '.join(fixes)}; upgrade it"
                )
            else:
                lines.append(f"note {dep['name']} {dep['version']}: {vuln['id']} has no fix yet")
    skipped = len(deps) - len(audited)
    lines.append(
        f"audit: {len(audited)} of {len(deps)} installed package(s) checked, {failing} known "
        "vulnerability(ies) with a fix available"
    )
    if skipped:
        lines.append(
            f"warning: {skipped} package(s) could not be looked up (no vulnerability service "
            "reachable from this machine?); they were not audited"
        )
    return (1 if failing else 0), lines


def main() -> int:
    cmd = [sys.executable, "-m", "pip_audit", "--local", "--skip-editable", "--format", "json"]
    cmd += ["--progress-spinner", "off"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        print(f"audit: pip-audit did not produce a report:\n{done.stderr}", file=sys.stderr)
        return 1
    code, lines = verdict(report)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
