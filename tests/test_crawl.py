"""Each demo role, logged in through the login form on the demo data, follows links only (no typed URLs)
and must reach every page its role may use (the pages and roles of tests/test_html_pages.py STAFF_GET);
no page answers 5xx, and no link shown to a role leads to a page that refuses it."""

from __future__ import annotations

import re
from collections import Counter, deque
from urllib.parse import urldefrag, urljoin, urlsplit

from litestar.testing import TestClient

from kehou.cli import demo
from kehou.platform.context import Context
from tests.apps import app_for
from tests.test_html_pages import STAFF_GET, _route

#: test-world user -> the demo users of the same role (kehou/cli/demo.py) whose crawls together must reach its pages:
#: org01 runs courses, org02 has a complaint against it, org05 an exit case
DEMO = {"parent": ("parent01",), "school_admin": ("school01",), "provider": ("org01", "org02", "org05"),
        "reviewer1": ("xh_reviewer1",), "decider": ("xh_decider",), "police": ("xh_police",), "admin": ("admin",)}
#: pages a role may open that it has no link to, each with the reason
UNREACHABLE_BY_DESIGN = {
    ("admin", "/agreements"): "the platform administrator is party to no agreement: the list opens empty, not in its menu",
    ("police", "/agreements"): "a joint-review department is party to no agreement",
    ("admin", "/exits/{case_id:int}"): "exit cases are the county's; opened from an audit or a support request",
    ("admin", "/billing/settlements/{file_name:str}"): "billing is the county's; no billing menu for the administrator",
    ("parent", "/parent/queue/{menu_id:int}"): "the waiting room is linked only while a menu's selection is about to open",
    ("school_admin", "/complaints/{complaint_id:int}"): "a school opens the complaints it filed; the demo school filed none",
}
PER_ROUTE = 3  # instances of one route opened per role (a list of 40 applications: the first three)
SKIP = ("/logout", "/static/", "/files/", "/metrics", "/readyz", "/healthz")


def _pattern(route: str) -> re.Pattern[str]:
    regex = re.sub(r"\{[^}:]+:int\}", r"\\d+", re.escape(route).replace(r"\{", "{").replace(r"\}", "}"))
    regex = re.sub(r"\{[^}:]+:path\}", r".+", regex)
    regex = re.sub(r"\{[^}:]+:str\}", r"[^/]+", regex)
    return re.compile(f"^{regex}$")


def _routes(client: TestClient) -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for route in client.app.routes:
        if "GET" in route.methods and not route.path.startswith(("/api/", "/schema", "/static")):
            out.append((route.path, _pattern(route.path)))
    # the most specific first: a literal segment beats a parameter
    return sorted(out, key=lambda r: (r[0].count("{"), -len(r[0])))


def _route_of(routes: list[tuple[str, re.Pattern[str]]], path: str) -> str | None:
    return next((route for route, pattern in routes if pattern.match(path)), None)


def crawl(client: TestClient, start: str) -> tuple[dict[str, int], list[tuple[str, str, int]]]:
    """Breadth-first over same-site links from ``start``: route -> pages opened, and (from, to, status) of bad links."""
    routes = _routes(client)
    seen: set[str] = set()
    per_route: Counter[str] = Counter()
    bad: list[tuple[str, str, int]] = []
    queue: deque[tuple[str, str]] = deque([("(login)", start)])
    while queue:
        came_from, url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        path = urlsplit(url).path
        route = _route_of(routes, path)
        if route is None or per_route[route] >= PER_ROUTE:
            continue
        per_route[route] += 1
        resp = client.get(url, follow_redirects=True)
        if resp.status_code >= 400:
            bad.append((came_from, url, resp.status_code))
            continue
        if "text/html" not in resp.headers.get("content-type", ""):
            continue
        for href in re.findall(r'href="([^"]+)"', resp.text):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            if not href.startswith("/") or href.startswith("//") or href.startswith(SKIP):
                continue
            queue.append((url, urljoin(url, href)))
    return dict(per_route), bad


def _may_use(user: str) -> set[str]:
    return {_route(path) for path, users in STAFF_GET.items() if user in users}


def _login(client: TestClient, user: str) -> str:
    page = client.get("/login").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert token is not None
    resp = client.post("/login", data={"_csrf_token": token.group(1), "username": user, "password": demo.PASSWORD},
                       follow_redirects=False)
    assert resp.status_code == 303, resp.text
    return str(resp.headers["location"])


def test_each_demo_role_reaches_its_pages_by_links_alone(ctx: Context) -> None:
    assert demo.load(ctx) is True
    problems = {}
    for world_user, users in sorted(DEMO.items()):
        reached: set[str] = set()
        for user in users:
            with TestClient(app=app_for(ctx), base_url="http://127.0.0.1") as client:
                opened, bad = crawl(client, _login(client, user))
            reached |= set(opened)
            errors = [b for b in bad if b[2] >= 500]
            refused = [b for b in bad if b[2] in (401, 403)]
            if errors or refused:
                problems[user] = {"5xx": errors, "refused links": refused}
        missing = {r for r in _may_use(world_user) - reached if (world_user, r) not in UNREACHABLE_BY_DESIGN}
        if missing:
            problems[world_user] = {"unreachable": sorted(missing)}
    assert problems == {}, __import__("json").dumps(problems, ensure_ascii=False, indent=1)
