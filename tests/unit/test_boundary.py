"""The architecture's mechanical rules: the core never imports Streamlit, and ruff enforces it."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_do_not_import_streamlit():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "gapmap").rglob("*.py")
        if "ui" not in p.relative_to(ROOT / "gapmap").parts[:1] and imported_modules(p) & {"streamlit", "streamlit_folium"}
    ]
    assert offenders == []


def test_ruff_passes_including_the_streamlit_boundary_rule():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    out = subprocess.run([ruff, "check", "--no-cache", str(ROOT)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_boundary_rule_catches_a_core_import(tmp_path):
    """The TID251 rule really fires for a core module (so the check above means something)."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    bad = ROOT / "gapmap" / "_boundary_probe.py"
    out = subprocess.run(
        [ruff, "check", "--no-cache", "--select", "TID251", "--stdin-filename", str(bad), "-"],
        input="import streamlit as st\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 1 and "TID251" in out.stdout


def test_ruff_format_is_applied():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    out = subprocess.run([ruff, "format", "--check", "--no-cache", str(ROOT)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_is_clean_on_the_package(monkeypatch):
    """mypy (configured in pyproject.toml: untyped definitions refused in metrics, analysis, regions and
    the foundation) finds nothing in gapmap/."""
    from mypy import api

    monkeypatch.chdir(ROOT)
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), "--no-incremental"])
    assert status == 0, stdout + stderr
    assert "Success: no issues found" in stdout
