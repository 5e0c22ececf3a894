"""Page latency through a real server process (gunicorn on 127.0.0.1), signed in as a user.

Starts gunicorn against the current DATABASE_URL, signs in through the login form, then
requests each page sequentially (median and p95 of wall time per request) and with 4
concurrent clients (throughput). The reference is /health/ (one trivial query) in the same run.

    DATABASE_URL=… .venv/bin/python bench/bench_http_pages.py --user head.msk --password voronka-demo \
        /board/ /deals/ /analytics/funnel/
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PAGES = [
    "/",
    "/board/",
    "/deals/",
    "/companies/",
    "/analytics/funnel/",
    "/analytics/velocity/",
    "/analytics/managers/",
    "/analytics/channels/",
    "/plans/",
]


def opener_for(base: str, user: str, password: str):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": user, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    opener.open(request).read()
    return opener


def timed_get(opener, url: str) -> float:
    started = time.perf_counter()
    with opener.open(url) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="*", default=DEFAULT_PAGES)
    parser.add_argument("--user", default="head.msk")
    parser.add_argument("--password", default="voronka-demo")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "0"}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            "2",
            "--env",
            "DJANGO_SETTINGS_MODULE=config.settings.dev",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/health/").read()
                break
            except OSError:
                time.sleep(0.2)
        opener = opener_for(base, args.user, args.password)
        print(f"{'page':34} {'median ms':>10} {'p95 ms':>8} {'x health':>9}")
        reference = None
        for page in ["/health/", *args.pages]:
            url = base + page
            timed_get(opener, url)  # warm-up
            timings = sorted(timed_get(opener, url) for _ in range(args.requests))
            median = statistics.median(timings)
            p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
            reference = reference or median
            print(f"{page:34} {median * 1000:10.1f} {p95 * 1000:8.1f} {median / reference:9.1f}")
        url = base + args.pages[0]
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _i: timed_get(opener, url), range(args.requests * 2)))
        elapsed = time.perf_counter() - started
        print(f"4 concurrent clients on {args.pages[0]}: {args.requests * 2 / elapsed:.1f} req/s")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
