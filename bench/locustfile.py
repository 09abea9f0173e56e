"""Simulated clerks and supervisors for `bench.load` (locust). Each user takes one prepared,
signed-in session (supervisors' sessions have passed the two-factor step) from the file named by
NHI_LOAD_USERS, then browses as a person at a desk does: a page, a few seconds reading it, the next.

Clerks: the case list and its work lists, person pages (from a search or a case), ISA record pages.
Supervisors: the review queue and its items, person pages. Only HTML pages are counted (no static
files: browsers cache them)."""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import HttpUser, between, task

with open(os.environ["NHI_LOAD_USERS"], encoding="utf-8") as fh:
    PLAN = json.load(fh)
_SESSIONS = itertools.cycle(PLAN["sessions"])


class Clerk(HttpUser):
    wait_time = between(1, 4)  # reading the page before the next click

    def on_start(self) -> None:
        session = next(_SESSIONS)
        self.role = session["role"]
        self.client.headers["Cookie"] = f"{PLAN['cookie_name']}={session['key']}"
        self.rng = random.Random(session["key"])

    def _get(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {url}")

    @task(4)
    def person_page(self) -> None:
        self._get(f"/people/{self.rng.choice(PLAN['people'])}/", "/people/[id]/")

    @task(3)
    def work(self) -> None:
        if self.role == "supervisor":
            self._get("/review/", "/review/")
            if PLAN["review_items"]:
                self._get(f"/review/{self.rng.choice(PLAN['review_items'])}/", "/review/[id]/")
        else:
            self._get("/cases/", "/cases/")
            self._get(f"/cases/?page={self.rng.randint(1, PLAN['case_pages'])}", "/cases/?page=n")

    @task(2)
    def case_or_record(self) -> None:
        if self.role == "supervisor" or not PLAN["cases"]:
            self._get(f"/records/{self.rng.choice(PLAN['records'])}/", "/records/[id]/")
        else:
            self._get(f"/cases/{self.rng.choice(PLAN['cases'])}/", "/cases/[id]/")

    @task(1)
    def work_lists(self) -> None:
        self._get("/cases/work/", "/cases/work/")

    @task(1)
    def search(self) -> None:
        self._get(f"/people/?q={self.rng.choice(PLAN['names'])}", "/people/?q=")
