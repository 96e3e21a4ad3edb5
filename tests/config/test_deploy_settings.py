"""Production settings come from the environment and pass Django's deployment checklist."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A key of the length and variety `check --deploy` asks for (W009); only used in a subprocess.
PRODUCTION_KEY = "x7Qp2LmZr9Vt4Kc8Nw1Hy6Bd3Fs5Jg0Ua-Re_Tb7Yc2Xd9Wf4Vg8Uh1Ti6Sj3Rk5"


def _run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SESSION_", "CSRF_"))}
    clean.pop("DEBUG", None)
    clean.pop("RECOVERY_TESTING", None)
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION_ENV = {"DEBUG": "false", "SECRET_KEY": PRODUCTION_KEY, "ALLOWED_HOSTS": "recovery.example.com"}


def test_check_deploy_is_clean_with_production_environment():
    result = _run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
    # Nothing else on the console either (add-ons announcing themselves end up in every
    # command's output, and the calculators' callers read it).
    assert result.stderr == ""


def test_secure_transport_can_be_turned_off_explicitly_and_check_deploy_says_so():
    """The defaults are secure when DEBUG is off; switching one off is a visible decision."""
    result = _run_manage(
        "check", "--deploy", **PRODUCTION_ENV, SECURE_SSL_REDIRECT="false", SESSION_COOKIE_SECURE="false"
    )
    assert "security.W008" in result.stdout + result.stderr
    assert "security.W012" in result.stdout + result.stderr


def _probe(expression: str, **env: str) -> str:
    """The last line `manage.py shell` prints for `expression` (it first reports its imports)."""
    result = _run_manage("shell", "-c", f"from django.conf import settings as s; print({expression})", **env)
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else result.stderr


def test_debug_keeps_plain_http_working():
    """`make run` serves over plain http: no redirect to https, no secure-only cookies, no HSTS."""
    probe = (
        "s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER"
    )
    assert _probe(probe, DEBUG="true").split() == ["False", "False", "False", "0", "None"]


def test_proxy_ssl_header_is_opt_in():
    assert _probe("s.SECURE_PROXY_SSL_HEADER", **PRODUCTION_ENV) == "None"
    opted_in = _probe(
        "s.SECURE_PROXY_SSL_HEADER", **PRODUCTION_ENV, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https"
    )
    assert opted_in == "('HTTP_X_FORWARDED_PROTO', 'https')"


@pytest.mark.parametrize("value", ["X-Forwarded-Proto", "X-Forwarded-Proto: ", ": https"])
def test_malformed_proxy_ssl_header_is_refused_with_its_name(value):
    result = _run_manage("check", **PRODUCTION_ENV, SECURE_PROXY_SSL_HEADER=value)
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER" in result.stderr
