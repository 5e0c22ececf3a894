"""`/favicon.ico`: browsers ask for it on every page whatever the <link> says, so it answers."""

from pathlib import Path

from django.http import FileResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

FAVICON_PATH = Path(__file__).resolve().parent.parent / "static" / "voronka" / "img" / "favicon.ico"


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    return FileResponse(FAVICON_PATH.open("rb"), content_type="image/x-icon")
