"""The Content-Security-Policy is strict and the templates keep to it: no inline script, event
handler or style attribute, and Plotly's own <style> elements admitted only by their hashes.
(tests/browser/test_content_security_policy.py checks the pages in a real browser.)"""

import base64
import hashlib
import re
from importlib.util import find_spec
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
PLOTLY_BUNDLE = Path(find_spec("plotly").origin).parent / "package_data" / "plotly.min.js"
MAPLIBRE_STYLE_START = (
    'e.id="9f215cf04c5486422605d13261cb87401f4e7763b6296af81e98efbc0130da53",e.textContent=\''
)


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def templates() -> list[Path]:
    return sorted(path for path in (ROOT / "voronka").rglob("*.html") if ".venv" not in path.parts)


def test_plotly_style_hashes_match_the_installed_bundle():
    bundle = PLOTLY_BUNDLE.read_text(encoding="utf-8")
    start = bundle.index(MAPLIBRE_STYLE_START) + len(MAPLIBRE_STYLE_START)
    end = bundle.index("',document.head.appendChild(e)", start)
    assert csp_hash(bundle[start:end]) == settings.PLOTLY_MAPLIBRE_STYLE_HASH
    assert csp_hash("") == settings.PLOTLY_EMPTY_STYLE_HASH


def test_the_policy_allows_no_inline_code_and_no_eval():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    for values in directives.values():
        assert "'unsafe-inline'" not in values
        assert "'unsafe-eval'" not in values


@pytest.mark.parametrize(
    "pattern, what",
    [
        (r"""\sstyle\s*=\s*["']""", "a style attribute"),
        (r"""\son[a-z]+\s*=\s*["']""", "an inline event handler"),
        (r"""\shx-on[:-]""", "an htmx hx-on handler (needs eval)"),
        (r"""<script(?![^>]*\ssrc=)(?![^>]*type="application/json")[^>]*>""", "an inline script"),
        (r"""<style(?![^>]*\snonce=)[^>]*>""", "a <style> without the nonce"),
        (r"""javascript:""", "a javascript: URL"),
    ],
)
def test_no_template_holds_inline_code(pattern, what):
    offenders = [
        str(path.relative_to(ROOT))
        for path in templates()
        if re.search(pattern, path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], f"{what} in {offenders}"


@pytest.mark.django_db
def test_pages_send_the_policy_with_a_fresh_nonce(client):
    client.force_login(UserFactory(role="admin", department=None))
    first = client.get("/api/v1/settings/tokens/")
    second = client.get("/api/v1/settings/tokens/")
    policy = first["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<style nonce="{nonce}">' in first.content.decode()
    assert nonce not in second["Content-Security-Policy"]
