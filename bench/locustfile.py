"""Locust users for the load test (`bench/load_test.py` starts the servers and runs this).

Each simulated user signs in once through the login form, then opens the board, a deal card
(a random one of the ids in $BENCH_DEAL_IDS) and the API's deal list, with a short think time.
"""

import os
import random
import re

from locust import HttpUser, between, task

DEAL_IDS = [int(value) for value in os.environ.get("BENCH_DEAL_IDS", "1").split(",")]
USERNAME = os.environ.get("BENCH_USER", "head.msk")
PASSWORD = os.environ.get("BENCH_PASSWORD", "voronka-demo")


class SalesUser(HttpUser):
    wait_time = between(0.2, 0.8)

    def on_start(self):
        page = self.client.get("/accounts/login/", name="login form").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        self.client.post(
            "/accounts/login/",
            {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/accounts/login/"},
            name="login",
        )

    @task(3)
    def board(self):
        self.client.get("/board/", name="board")

    @task(3)
    def deal_card(self):
        self.client.get(f"/deals/{random.choice(DEAL_IDS)}/", name="deal card")

    @task(2)
    def api_deal_list(self):
        self.client.get("/api/v1/deals", name="API deal list")
