"""The architecture, checked: the pure packages import no Django (nor anything that does), and
the core names no sibling app."""

import ast
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
    "recovery.liability",
    "recovery.money",
    "assets.waterfall",
    "assets.auction",
    "assets.lapse",
    "litigation.lapse",
    "documents.amount_words",
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


# --- an open core ----------------------------------------------------------------------------
# `recovery` knows no sibling app by name: the apps register what they own with it
# (recovery.registry). Checked on the syntax tree of every recovery module but its migrations
# (history, written when the core still listed other apps' kinds): imports of a sibling, quoted
# app labels, model labels and module paths ("litigation", "assets.PreservationMeasure"),
# permission codenames and lookups through a sibling's models ("delete_hearing",
# "lawsuits__court_case_number"), and a sibling's model class names. Docstrings and the values
# of choices (CaseStatus.LITIGATION = "litigation", a stage of a case) are words, not coupling.

CORE = "recovery"


def _siblings() -> dict[str, set[str]]:
    """What would name a sibling: {"labels": …, "models": class names, "strings": codenames, the
    accessors from recovery's models to theirs, the keys between their own models}."""
    from django.apps import apps

    labels = {
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == ROOT and config.label != CORE
    }
    models = set()
    strings = set()
    for label in labels:
        for model in apps.get_app_config(label).get_models():
            models.add(model.__name__)
            name = model._meta.model_name
            strings |= {f"{action}_{name}" for action in ("add", "change", "delete", "view")}
            for field in model._meta.concrete_fields:
                if not field.many_to_one:
                    continue
                if field.related_model._meta.app_label == CORE:
                    strings.add(field.remote_field.get_accessor_name())  # case.lawsuits
                elif field.related_model._meta.app_label in labels:
                    strings |= {field.name, field.attname}  # hearing.lawsuit_id
    return {"labels": labels, "models": models, "strings": strings}


def _is_choices_class(node: ast.ClassDef) -> bool:
    return any(
        (getattr(base, "attr", None) or getattr(base, "id", None)) in {"TextChoices", "IntegerChoices"}
        for base in node.bases
    )


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(id(value))
    return found


def coupling_in(source: str, siblings: dict[str, set[str]]) -> list[str]:
    """Every way `source` names a sibling app, as "line: what"."""
    tree = ast.parse(source)
    words = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and _is_choices_class(node):
            words |= {id(inner) for inner in ast.walk(node) if isinstance(inner, ast.Constant)}
    labels, found = siblings["labels"], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            names = []
        found += [f"{node.lineno}: imports {name}" for name in names if name.split(".")[0] in labels]
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in words:
            text = node.value
            named = (
                text in labels
                or any(text.startswith((f"{label}.", f"{label}:")) for label in labels)
                or text in siblings["strings"]
                or any(f"{accessor}__" in text for accessor in siblings["strings"])
            )
            if named:
                found.append(f"{node.lineno}: {text!r}")
        if isinstance(node, ast.Name) and node.id in siblings["models"]:
            found.append(f"{node.lineno}: {node.id}")
        if isinstance(node, ast.Attribute) and node.attr in siblings["models"]:
            found.append(f"{node.lineno}: .{node.attr}")
    return found


def test_the_core_names_no_sibling_app():
    siblings = _siblings()
    assert {"litigation", "assets", "documents"} <= siblings["labels"]
    found = {}
    for path in sorted((ROOT / CORE).rglob("*.py")):
        if "migrations" in path.relative_to(ROOT).parts:
            continue
        if problems := coupling_in(path.read_text(encoding="utf-8"), siblings):
            found[str(path.relative_to(ROOT))] = problems
    assert found == {}, "recovery names a sibling app; register it from that app instead"


def test_the_cores_deadline_kinds_are_its_own():
    """Other apps' kinds are registered by them: recovery's enum lists only the kinds it computes,
    and no recovery module uses a kind its enum does not have."""
    from recovery.models import DeadlineKind
    from recovery.registry import deadline_kinds

    assert set(DeadlineKind.values) == {spec.value for spec in deadline_kinds() if spec.app == CORE}
    used = {
        node.attr
        for path in (ROOT / CORE).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "DeadlineKind"
    }
    assert used <= set(DeadlineKind.names)


@pytest.mark.parametrize(
    "source",
    [
        "from litigation.models import Lawsuit\n",
        "import assets.services\n",
        "from documents import apps\n",
        "DOCKET_APPS = ('recovery', 'litigation')\n",
        "model = apps.get_model('litigation.Lawsuit')\n",
        "CODENAMES = ['delete_hearing']\n",
        "LOOKUP = 'lawsuits__court_case_number__icontains'\n",
        "kind = PreservationMeasure\n",
        "measures = module.PreservationMeasure.objects.all()\n",
    ],
)
def test_the_coupling_check_catches(source):
    assert coupling_in(source, _siblings())


@pytest.mark.django_db
def test_the_coupling_check_lets_words_be():
    source = (
        '"""Cases in litigation, their lawsuits and assets."""\n'
        "class CaseStatus(models.TextChoices):\n"
        '    LITIGATION = "litigation", _("In litigation")\n'
        "def f():\n"
        '    """A hearing is a date."""\n'
        '    return CaseStatus.LITIGATION, "the assets of the debtor"\n'
    )
    assert coupling_in(source, _siblings()) == []
