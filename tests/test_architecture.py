"""The architecture, checked: the pure packages import no Django (nor anything that does)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Legal rules, the hand-over reader and the waterfall are pure functions over dates, Decimals
# and plain dataclasses: importable, and testable, without Django or a database.
PURE_PACKAGES = (
    "recovery.checks",
    "recovery.deadlines",
    "recovery.handover",
    "recovery.alerting",
    "assets.waterfall",
    "assets.lapse",
    "litigation.lapse",
)


def _modules_of(package: str) -> list[str]:
    path = ROOT / package.replace(".", "/")
    if path.is_dir():
        return [
            package + ("" if module.stem == "__init__" else "." + module.stem)
            for module in sorted(path.glob("*.py"))
        ]
    return [package]


@pytest.mark.parametrize("module", [m for package in PURE_PACKAGES for m in _modules_of(package)])
def test_a_pure_module_imports_no_django(module):
    probe = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        "loaded = sorted(name for name in sys.modules if name == 'django' or name.startswith('django.')); "
        "print(','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} imports Django: {result.stdout.strip()[:200]}"
