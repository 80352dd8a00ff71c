"""Safety promises that are properties of the code: files are data, audits decide right."""

import ast
import importlib.util

from conftest import ROOT

PACKAGE = ROOT / "simulation"
# Ways Python runs code it reads: none of them may touch a file a user gives the tool.
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "execfile"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "shelve", "marshal", "joblib"}
FORBIDDEN_ATTRIBUTES = {"read_pickle", "to_pickle", "unsafe_load", "full_load"}


def scan(files, root) -> list[str]:
    """Every place in ``files`` that evaluates code or unpickles data."""
    problems = []
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(root)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
                    problems.append(f"{where}: {node.func.id}()")
                if isinstance(node.func, ast.Attribute) and node.func.attr in FORBIDDEN_ATTRIBUTES:
                    problems.append(f"{where}: .{node.func.attr}()")
                for kw in node.keywords:
                    if kw.arg == "allow_pickle" and not (
                        isinstance(kw.value, ast.Constant) and kw.value.value is False
                    ):
                        problems.append(f"{where}: allow_pickle")
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                names.append(getattr(node, "module", None) or "")
                if any(n.split(".")[0] in FORBIDDEN_MODULES for n in names):
                    problems.append(f"{where}: imports {', '.join(filter(None, names))}")
    return problems


def test_the_package_never_evaluates_or_unpickles_anything(tried):
    files = sorted(PACKAGE.rglob("*.py"))
    assert scan(files, ROOT) == []
    tried(f"safety: {len(files)} source files parsed; no eval, exec or pickle anywhere")


def test_the_scanner_finds_what_it_forbids(tmp_path):
    """The scan is not vacuous: a module that evaluates and unpickles fails it."""
    bad = tmp_path / "loader.py"
    bad.write_text(
        "import pickle\nfrom numpy import load\n"
        "def read(p):\n    eval(open(p).read())\n    return load(p, allow_pickle=True)\n"
    )
    found = " ".join(scan([bad], tmp_path))
    assert "eval()" in found and "allow_pickle" in found and "imports pickle" in found


def _audit():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dep(name, vulns=(), skipped=False):
    d = {"name": name, "version": "1.0", "vulns": list(vulns)}
    if skipped:
        d["skip_reason"] = "Dependency not found on PyPI and could not be audited"
    return d


def test_the_audit_fails_on_a_vulnerability_with_a_fix_and_only_then():
    verdict = _audit().verdict
    fixed = {"id": "GHSA-1", "fix_versions": ["1.1"]}
    unfixed = {"id": "GHSA-2", "fix_versions": []}
    code, lines = verdict({"dependencies": [dep("a", [fixed]), dep("b")]})
    assert code == 1 and "FAIL a 1.0: GHSA-1 is fixed in 1.1" in lines[0]
    code, lines = verdict({"dependencies": [dep("a", [unfixed]), dep("b")]})
    assert code == 0 and "no fix yet" in lines[0]
    code, lines = verdict({"dependencies": [dep("a", skipped=True), dep("b")]})
    assert code == 0 and "1 of 2 installed package(s) checked" in lines[0]
    assert "1 package(s) could not be looked up" in lines[1]  # never a silent pass
