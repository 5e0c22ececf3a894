"""Production settings are secure by default: `check --deploy` finds nothing to warn about,
and the one documented opt-out (VORONKA_PLAIN_HTTP=1) is what turns HTTPS assumptions off."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_with_prod_settings(args: list[str], **environment) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment
        # never has it (check --deploy rightly refuses it), so the child does not inherit it.
        if not key.startswith(
            ("VORONKA_", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
        )
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings.prod", SECRET_KEY=secrets.token_urlsafe(50))
    env.update(environment)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def prod_setting_values(**environment) -> dict:
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({name: getattr(s, name) for name in ("
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', "
        "'SECURE_HSTS_SECONDS', 'DEBUG')}))"
    )
    result = run_with_prod_settings(["-c", script], **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_with_prod_settings_prints_no_warning():
    result = run_with_prod_settings(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_prod_assumes_https_by_default():
    assert prod_setting_values() == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "DEBUG": False,
    }


def test_plain_http_is_one_explicit_opt_out():
    assert prod_setting_values(VORONKA_PLAIN_HTTP="1") == {
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "DEBUG": False,
    }
    # The opt-out is visible: check --deploy names what it gives up.
    result = run_with_prod_settings(["manage.py", "check", "--deploy"], VORONKA_PLAIN_HTTP="1")
    for code in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert code in result.stdout + result.stderr, code


def test_prod_refuses_to_start_without_a_secret_key():
    result = run_with_prod_settings(["manage.py", "check"], SECRET_KEY="")
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable for production." in result.stderr
