"""CI's newcomer: wait for `make run` to serve, sign in as it printed, open the board.

Reads the administrator's login and password from the output of `make run` (the line
"Administrator login: … password: …"), posts the real login form with its CSRF token, then
fetches /board/ and checks that it is the board of a pipeline with deals. Standard library only,
so it runs before the project's own environment exists.
"""

import argparse
import http.cookiejar
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

CREDENTIALS = re.compile(r"Administrator login: (\S+)\s+password: (\S+)")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def wait_for_login_page(opener, base: str, log_path: str, deadline: float) -> str:
    while time.monotonic() < deadline:
        try:
            with opener.open(f"{base}/accounts/login/", timeout=10) as response:
                page = response.read().decode()
                if 'name="password"' in page:
                    return page
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if "Error " in _tail(log_path) and "make: ***" in _tail(log_path):
            sys.exit("make run stopped with an error before serving.")
        time.sleep(2)
    sys.exit("make run did not serve the login page in time.")


def credentials_from(log_path: str) -> tuple[str, str]:
    with open(log_path, encoding="utf-8", errors="replace") as log:
        match = CREDENTIALS.search(log.read())
    if match is None:
        sys.exit("make run did not print the administrator's login and password.")
    return match.group(1), match.group(2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True, help="the output of make run")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--timeout", type=int, default=900)
    options = parser.parse_args()

    cookies = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    deadline = time.monotonic() + options.timeout
    login_page = wait_for_login_page(opener, options.base, options.log, deadline)
    print("login page served")
    username, password = credentials_from(options.log)

    token = CSRF_FIELD.search(login_page)
    if token is None:
        sys.exit("The login page has no CSRF token field.")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
    ).encode()
    request = urllib.request.Request(
        f"{options.base}/accounts/login/",
        data=form,
        headers={"Referer": f"{options.base}/accounts/login/"},
    )
    with opener.open(request, timeout=60) as response:
        landed = response.geturl()
        if "/accounts/login/" in landed:
            sys.exit(f"Signing in as {username} with the printed password failed.")
    print(f"signed in as {username}, landed on {landed}")

    with opener.open(f"{options.base}/board/", timeout=120) as response:
        board = response.read().decode()
        if response.status != 200 or 'data-testid="board"' not in board:
            sys.exit(f"The board did not render (HTTP {response.status}).")
    cards = board.count('data-deal-id="')
    if cards == 0:
        sys.exit("The board shows no deal although make run loads demo data.")
    print(f"board served with {cards} deal cards")


def _tail(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as log:
            return log.read()[-4000:]
    except OSError:
        return ""


if __name__ == "__main__":
    main()
