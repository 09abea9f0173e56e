"""Every URL, for every persona and every method, answers what the table below says.

The sweep walks the URL resolver (pages, the API with DRF's routes and format suffixes, the admin
site) and requests each URL with real object ids as: an anonymous visitor, a clerk, a supervisor,
an auditor, an administrator (all of 小金井市) and a clerk of 千代田区. The expected status comes
from TABLE, an explicit entry per URL name — a new URL without an entry fails the test, so nobody
forgets to decide who may use it. Rules the table does not need to spell out:

- anonymous: pages redirect to the sign-in page (any method); the API answers 401.
- a persona without the URL's permission: 403 (any method: the permission is checked first).
- a persona with it, using a method the URL does not have: 405 (in the API: any signed-in
  persona, as DRF looks at the method before the permission).
- the other municipality's clerk, on a URL naming an object of 小金井市: 404 — never its data; on
  lists: 200 with nothing of 小金井市 in it.
- never 500.

The admin site: every admin URL is requested by the anonymous visitor (302) and every
non-administrator (403); the administrator's answers are checked on a sample (ADMIN_SAMPLE).

One data set serves the whole module (built once, rolled back at the end) and every request runs
in a savepoint that is rolled back, so a POST that changes something changes it for no one else.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from nhi_portal.roles import ROLE_PERMISSIONS
from tests.security import sweep_data
from tests.security.conftest import METHODS, PERSONAS, ROLE_OF, client_for

PUBLIC = "public"  # no sign-in needed
SIGNED_IN = None  # any signed-in user


def any_of(*perms: str) -> frozenset[str]:
    """The URL needs one of these permissions (not all)."""
    return frozenset(perms)


@dataclass(frozen=True)
class Expect:
    """`perm`: the portal permission the URL needs (PUBLIC, or SIGNED_IN for any user); a tuple
    when the view declares several (all are needed).
    `ok`: method → status for a persona who may use it; methods not listed answer 405.
    `obj`: which object the URL names (other municipality → 404), "" for none.
    `persona`: overrides for one persona, {persona: {method: status}}."""

    perm: str | tuple[str, ...] | frozenset[str] | None
    ok: dict[str, int]
    obj: str = ""
    api: bool = False
    persona: dict[str, dict[str, int]] = field(default_factory=dict)


def page(perm, obj="", persona=None, **ok) -> Expect:
    return Expect(perm, ok, obj, False, persona or {})


def api(perm, obj="", **ok) -> Expect:
    return Expect(perm, ok, obj, True)


CASE_ACTIONS = {
    # action: (permission, GET of the form, POST of the empty form, GET/POST of the confirm page)
    "respond": ("work_cases", 200, 200, 302, 302),
    # The sweep's case is not due for these: the refusal is known before the confirm page, so the
    # form answers 200 with it (the confirm page's POST still refuses: 409).
    "second": ("work_cases", 200, 200, 200, 409),
    "propose": ("work_cases", 200, 200, 302, 302),
    "approve": ("approve_ex_officio", 200, 200, 302, 302),
    "reject": ("approve_ex_officio", 200, 200, 302, 302),
    "close": ("work_cases", 200, 200, 302, 302),
    "returned": ("work_cases", 200, 200, 302, 302),
    "reply": ("work_cases", 200, 200, 302, 302),  # the sweep's letter has no reply form: refused on the form
}

NOTICE_ACTIONS = {
    # On an approved notice. Refused before any form: asking for approval, approving, rejecting —
    # the page that says why (200), an attempt 409; a confirm POST with nothing in the session goes
    # back to the form (302).
    "submit": ("draft_immigration_notices", 200, 409, 200, 409),
    "approve": ("approve_immigration_notices", 200, 409, 200, 302),
    "reject": ("approve_immigration_notices", 200, 409, 200, 302),
    "withdraw": ("draft_immigration_notices", 200, 200, 302, 302),
    "sent": ("draft_immigration_notices", 200, 200, 302, 302),
}

TABLE: dict[str, Expect] = {
    # The shared base ---------------------------------------------------------------------------
    "dashboard": page(SIGNED_IN, GET=200),
    "login": page(PUBLIC, GET=200, POST=200),
    "logout": page(SIGNED_IN, POST=302),
    "healthz": page(PUBLIC, GET=200),
    "job-detail": page(SIGNED_IN, "job", GET=200),
    "job-progress": page(SIGNED_IN, "job", GET=200),
    # A failed nightly run: GET is the confirm page, POST queues the re-run and shows its progress.
    "nightly-rerun": page(("import_files", "run_matching", "work_cases"), "nightly_run", GET=200, POST=302),
    # Sign-in security and the account page ----------------------------------------------------
    "otp-setup": page(SIGNED_IN, GET=200, POST=400),
    "otp-verify": page(SIGNED_IN, GET=302, POST=302),  # verified already (or no device): onwards
    "otp-remove": page(SIGNED_IN, POST=302),
    "account": page(SIGNED_IN, GET=200),
    "account-sign-out-everywhere": page(SIGNED_IN, POST=302),
    # The token is shown on the page that answers; roles without API use are sent back.
    "account-token-create": page(
        SIGNED_IN, POST=200, persona={"auditor": {"POST": 302}, "administrator": {"POST": 302}}
    ),
    "account-token-revoke": page(SIGNED_IN, POST=302),
    # The auditors' area ---------------------------------------------------------------------
    "access-log": page("view_access_log", GET=200),
    "access-log-export": page("view_access_log", GET=200),
    "access-log-summary": page("view_access_log", GET=200),
    "change-log": page("view_access_log", GET=200),
    "signin-log": page("view_access_log", GET=200),
    "purge-log": page("view_access_log", GET=200),
    # Imports -----------------------------------------------------------------------------------
    "batch-list": page("import_files", GET=200),
    "batch-upload": page("import_files", GET=200, POST=200),
    "batch-detail": page("import_files", "batch", GET=200),
    "batch-acknowledge": page("import_files", "batch", POST=302),
    "batch-retry": page("import_files", "batch", POST=302),
    "batch-match": page("run_matching", "batch", POST=302),
    "batch-open-cases": page("work_cases", "batch", POST=302),
    # Review ------------------------------------------------------------------------------------
    "review-queue": page("review_matches", GET=200),
    "review-item": page("review_matches", "decision", GET=200),
    "review-confirm": page("review_matches", "decision", POST=200),
    "review-choose": page("review_matches", "decision", GET=200, POST=200),
    # without confirmed=yes a review action only shows its confirm panel (200)
    "review-not-resident": page("review_matches", "decision", POST=200),
    "isa-record": page("view_people", "record", GET=200),
    "review-overturn": page("review_matches", "record", GET=200, POST=200),
    # Cases and people ----------------------------------------------------------------------------
    "case-list": page("work_cases", GET=200),
    "case-worklists": page("work_cases", GET=200),
    "case-detail": page("work_cases", "case", GET=200),
    "ex-officio": page("approve_ex_officio", GET=200, POST=302),
    "ex-officio-confirm": page("approve_ex_officio", GET=200),
    "ex-officio-download": page("approve_ex_officio", "export", GET=200),
    "person-search": page("view_people", GET=200),
    "person-detail": page("view_people", "resident", GET=200),
    # Reports: the supervisor page (counts only) and the ISA month diff (people's records)
    "supervisor-overview": page("review_matches", GET=200),
    "isa-month-diff": page("view_people", GET=200),
    **{
        name: spec
        for action, (perm, form_get, form_post, confirm_get, confirm_post) in CASE_ACTIONS.items()
        for name, spec in (
            (f"case-{action}", page(perm, "case", GET=form_get, POST=form_post)),
            (f"case-{action}-confirm", page(perm, "case", GET=confirm_get, POST=confirm_post)),
        )
    },
    # Notices to the immigration bureau (an approved notice, written by the clerk) --------------
    # The sweep's person is not NHI insured: the form shows the refusal, a POST is refused (409).
    "notice-create": page("draft_immigration_notices", "resident", GET=200, POST=409),
    "notice-register": page("view_immigration_notices", GET=200),
    "notice-work": page("draft_immigration_notices", GET=200),
    "notice-register-csv": page("view_immigration_notices", GET=200),
    "notice-detail": page(any_of("draft_immigration_notices", "view_immigration_notices"), "notice", GET=200),
    "notice-pdf": page(any_of("draft_immigration_notices", "view_immigration_notices"), "notice", GET=200),
    "notice-document": page(
        any_of("draft_immigration_notices", "view_immigration_notices"), "notice_document", GET=200
    ),
    "notice-edit": page("draft_immigration_notices", "notice", GET=302, POST=302),  # not a draft: back
    **{
        name: spec
        for action, (perm, form_get, form_post, confirm_get, confirm_post) in NOTICE_ACTIONS.items()
        for name, spec in (
            (f"notice-{action}", page(perm, "notice", GET=form_get, POST=form_post)),
            (f"notice-{action}-confirm", page(perm, "notice", GET=confirm_get, POST=confirm_post)),
        )
    },
    # Letters -----------------------------------------------------------------------------------
    "letter-list": page("print_letters", GET=200),
    "letter-test-sheet": page("print_letters", GET=200),
    # 千代田区 has no letters waiting: its print is refused (409), ours starts (302).
    "print-batch-create": page("print_letters", GET=200, POST=302, persona={"other": {"POST": 409}}),
    "print-batch-download": page("print_letters", "print_batch", GET=200),
    "print-batch-sent": page("print_letters", "print_batch", GET=200, POST=400),
    "letter-detail": page("print_letters", "letter", GET=200),
    "letter-preview": page("print_letters", "letter", GET=200),
    # Receipts: uploads and payment status statements ------------------------------------------
    "receipts-upload": page("import_receipts", GET=200, POST=200),
    "statement-list": page("issue_statements", GET=200),
    "statement-new": page("issue_statements", GET=200, POST=200),
    # Names no resident here (?resident=…&as_of=…): not found. With one: CROSS_CHECKS below.
    "statement-confirm": page("issue_statements", GET=404, POST=404),
    "statement-detail": page("issue_statements", "statement", GET=200),
    "statement-download": page("issue_statements", "statement", GET=200),
    # Arrears: the list, households and agreements ---------------------------------------------
    "arrears-home": page("view_arrears", GET=200),
    "arrears-csv": page(("view_arrears", "export_data"), GET=200),
    "arrears-household": page("view_arrears", "household", GET=200),
    # The empty form is shown back with its errors.
    "agreement-new": page("import_receipts", "household", GET=200, POST=200),
    "agreement-cancel": page("import_receipts", "agreement", POST=302),  # no reason: back, nothing done
    # The linkage export ---------------------------------------------------------------------------
    "linkage-list": page("view_arrears", GET=200),
    "linkage-new": page(("view_arrears", "export_data"), GET=200, POST=200),
    "linkage-detail": page("view_arrears", "linkage_produced", GET=200),
    # Approved by the supervisor (the clerk prepared it): the job is created, back to the detail.
    # everyone with the arrears pages reads the settings; only supervisors change them
    "linkage-settings": page(
        "view_arrears", GET=200, POST=200, persona={"clerk": {"POST": 403}, "other": {"POST": 403}}
    ),
    "linkage-approve": page(("view_arrears", "approve_exports"), "linkage_previewed", POST=302),
    "linkage-withdraw": page(("view_arrears", "export_data"), "linkage_previewed", POST=302),
    "linkage-verify": page(("view_arrears", "approve_exports"), "linkage_produced", POST=302),
    "linkage-download": page(("view_arrears", "export_data"), "linkage_produced", GET=200),
    # Collection rates -------------------------------------------------------------------------------
    "collection-rates": page("view_arrears", GET=200),
    "collection-rates-csv": page(("view_arrears", "export_data"), GET=200),
    # The API -------------------------------------------------------------------------------------
    "api-batch-upload": api("import_files", POST=400),
    "api-batch-list": api("import_files", GET=200),
    "api-batch-detail": api("import_files", "batch", GET=200),
    "api-isa-record-list": api("view_people", GET=200),
    "api-isa-record-detail": api("view_people", "record", GET=200),
    "api-assessment-list": api("view_arrears", GET=200),
    "api-assessment-detail": api("view_arrears", "assessment", GET=200),
    "api-payment-list": api("view_arrears", GET=200),
    "api-payment-detail": api("view_arrears", "payment", GET=200),
    "api-arrears-list": api("view_arrears", GET=200),
    "api-linkage-export-list": api("view_arrears", GET=200),
    "api-linkage-export-detail": api("view_arrears", "linkage_produced", GET=200),
    "api-immigration-notice-list": api("view_immigration_notices", GET=200),
    "api-immigration-notice-detail": api("view_immigration_notices", "notice", GET=200),
    "api-schema": api(SIGNED_IN, GET=200),
    "api-docs": api(SIGNED_IN, GET=200),
}

# The administrator's answers on a sample of the admin site; (url name, kwargs key) → GET status.
ADMIN_SAMPLE = {
    ("admin:index", ""): 200,
    ("admin:app_list", "portal"): 200,
    ("admin:portal_user_changelist", ""): 200,
    ("admin:portal_user_change", "admin_user"): 200,
    ("admin:portal_user_change", "other_user"): 404,  # another municipality's staff: not found
    ("admin:portal_user_add", ""): 200,
    ("admin:portal_municipality_changelist", ""): 200,
    ("admin:portal_municipality_export", ""): 200,
    ("admin:portal_municipality_import", ""): 403,  # the reference table is imported by superusers
    ("admin:portal_accesslog_changelist", ""): 200,
    ("admin:portal_accesslog_add", ""): 403,  # append-only
    ("admin:portal_changelog_changelist", ""): 200,
    ("admin:portal_securityevent_changelist", ""): 200,
    ("admin:portal_retentionpurge_changelist", ""): 200,
    ("admin:portal_importbatch_changelist", ""): 200,
    ("admin:portal_importbatch_change", "batch"): 200,
    ("admin:portal_importbatch_delete", "batch"): 403,  # read-only: deletion only by retention
    ("admin:otp_totp_totpdevice_changelist", ""): 200,
    ("admin:knox_authtoken_changelist", ""): 200,
    ("admin:axes_accessattempt_changelist", ""): 200,
    ("admin:enrollment_noticesettings_changelist", ""): 200,  # notices to the immigration bureau
    ("admin:enrollment_noticesettings_add", ""): 403,  # one per municipality, and 小金井市 has it
    ("admin:enrollment_isarecord_changelist", ""): 403,  # people's data: view_people, not administer
    ("admin:enrollment_resident_change", "resident"): 403,
}


# Walking the URLs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the route itself when unnamed
    params: tuple[str, ...]
    route: str


def walk(patterns=None, prefix="", namespace="") -> list[Route]:
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            ns = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            found += walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            params = tuple(pattern.pattern.regex.groupindex)
            route = prefix + str(pattern.pattern)
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else (pattern.name or route)
            found.append(Route(name, params, route))
    return found


def url_for(route: Route, objects: dict, spec: Expect | None) -> str | None:
    kwargs = {}
    for param in route.params:
        if param == "format":
            kwargs[param] = "json"
        elif param == "group":
            kwargs[param] = "enrollment"
        elif param == "letter_id":
            kwargs[param] = objects["letter"]
        elif param == "export_id":
            kwargs[param] = objects["export"]
        elif param in ("pk", "code") and spec is not None:  # code: a household head's resident code
            kwargs[param] = objects[spec.obj]
        else:
            return None
    return reverse(route.name, kwargs=kwargs)


def permissions_of(persona: str) -> set[str]:
    return set() if persona == "anonymous" else set(ROLE_PERMISSIONS[ROLE_OF[persona]])


def expected(spec: Expect, persona: str, method: str) -> int:
    if persona == "anonymous" and spec.perm != PUBLIC:
        return 401 if spec.api else 302
    if spec.api and method not in spec.ok:
        return 405  # the API names a wrong method before it looks at permissions
    if isinstance(spec.perm, frozenset):
        if not spec.perm & permissions_of(persona):
            return 403
    else:
        needed = set(spec.perm) if isinstance(spec.perm, tuple) else {spec.perm} - {PUBLIC, SIGNED_IN}
        if not needed <= permissions_of(persona):
            return 403
    if method not in spec.ok:
        return 405
    if persona == "other" and spec.obj:
        return 404
    return spec.persona.get(persona, {}).get(method, spec.ok[method])


def request(client, method: str, url: str):
    """One request in a savepoint that is rolled back; the client's cookies are kept as they were
    (a POST to sign out must not sign the persona out for the next URL)."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        if method == "POST":
            response = client.post(url, {})
        else:
            response = client.generic(method, url)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


# The tests -------------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(world, django_db_blocker):
    """The shared data set, with both municipalities' receipts and arrears objects added."""
    with django_db_blocker.unblock():
        sweep_data.add_receipts_and_arrears(world)
        sweep_data.add_notices(world)
        world["objects"]["nightly_run"] = sweep_data.failed_nightly_run(
            world["users"]["clerk"].municipality
        ).pk
    return world


@pytest.fixture
def stored_files(stored_files, settings, world):
    """…and the statement PDFs and linkage CSVs made while building it."""
    root = Path(settings.PRIVATE_STORAGE_DIR)
    for name, content in world["files"].items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)


def test_every_url_has_an_entry_in_the_table():
    routes = walk()
    names = {r.name for r in routes if not r.name.startswith("admin:") and not r.route.startswith("admin/")}
    missing = sorted(names - set(TABLE))
    assert not missing, f"URLs without an entry in tests/security/test_url_sweep.py TABLE: {missing}"
    stale = sorted(set(TABLE) - names)
    assert not stale, f"TABLE entries for URLs that no longer exist: {stale}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_answers_each_persona_as_the_table_says(world, persona, stored_files, quiet):
    client = client_for(world, persona)
    objects = world["objects"]
    wrong = []
    for route in walk():
        if route.name.startswith("admin:") or route.route.startswith("admin/"):
            continue
        spec = TABLE[route.name]
        url = url_for(route, objects, spec)
        assert url is not None, f"no object for {route.name} {route.params}"
        for method in METHODS:
            response = request(client, method, url)
            want = expected(spec, persona, method)
            if response.status_code != want:
                wrong.append(
                    f"{persona} {method} {url} ({route.name}): {response.status_code}, expected {want}"
                )
            elif want == 302 and persona == "anonymous":
                assert response["Location"].startswith(reverse("login")), response["Location"]
    assert not wrong, "\n".join(wrong)


def test_the_other_municipality_sees_empty_lists_never_our_people(world):
    client = world["clients"]["other"]
    for name in ("api-batch-list", "api-isa-record-list"):
        body = client.get(reverse(name)).json()
        assert body["count"] == 0 and body["results"] == []
    for name in ("batch-list", "case-list", "case-worklists", "letter-list", "dashboard", "isa-month-diff"):
        html = client.get(reverse(name)).content.decode()
        assert "NGUYEN VAN AN" not in html and "TRAN THI BINH" not in html, name


def admin_url(route: Route, objects: dict, key: str = "") -> str | None:
    kwargs = {}
    for param in route.params:
        if param in ("object_id", "id"):
            kwargs[param] = str(objects[key]) if key else "1"
        elif param == "app_label":
            kwargs[param] = key or "portal"
        elif param == "content_type_id":
            kwargs[param] = "1"
        elif param == "url":
            kwargs[param] = "nothing-here/"
        else:
            return None
    if route.name.startswith("admin:"):
        return reverse(route.name, kwargs=kwargs)
    return "/admin/nothing-here/"


def admin_routes() -> list[Route]:
    routes = [r for r in walk() if r.name.startswith("admin:") or r.route.startswith("admin/")]
    assert len(routes) > 50
    return routes


def admin_expected(route: Route, persona: str) -> int:
    if route.name == "admin:login":
        # The admin's own sign-in only sends to the portal's; signed in without the right: 403.
        return 302 if persona == "anonymous" else 403
    return 302 if persona == "anonymous" else 403


@pytest.mark.parametrize("persona", ["anonymous", "auditor"])
def test_no_admin_url_answers_anyone_but_an_administrator(world, persona, quiet):
    """Every admin URL (GET): the anonymous visitor is sent to sign in; the auditor — who may read
    the access log, but not administer — is refused."""
    client = client_for(world, persona)
    wrong = []
    for route in admin_routes():
        url = admin_url(route, world["objects"])
        assert url is not None, route
        response = request(client, "GET", url)
        if response.status_code != admin_expected(route, persona):
            wrong.append(
                f"{persona} GET {url}: {response.status_code}, expected {admin_expected(route, persona)}"
            )
    assert not wrong, "\n".join(wrong)


ADMIN_SWEEP_SAMPLE = ["admin:index", "admin:login", "admin:portal_user_changelist", "admin:portal_user_change",
                      "admin:portal_accesslog_changelist", "admin:enrollment_isarecord_changelist",
                      "admin:otp_totp_totpdevice_delete"]  # fmt: skip


@pytest.mark.parametrize("persona", ["anonymous", "clerk", "supervisor", "auditor", "other"])
def test_the_admin_site_refuses_everyone_but_administrators_whatever_the_method(world, persona, quiet):
    client = client_for(world, persona)
    routes = {r.name: r for r in admin_routes()}
    wrong = []
    for name in ADMIN_SWEEP_SAMPLE:
        url = admin_url(
            routes[name], world["objects"], "admin_user" if "object_id" in routes[name].params else ""
        )
        for method in METHODS:
            response = request(client, method, url)
            if response.status_code != admin_expected(routes[name], persona):
                wrong.append(
                    f"{persona} {method} {url}: {response.status_code}, expected {admin_expected(routes[name], persona)}"
                )
    assert not wrong, "\n".join(wrong)


def test_the_administrator_on_a_sample_of_the_admin_site(world, quiet):
    client = world["clients"]["administrator"]
    routes = {r.name: r for r in walk() if r.name.startswith("admin:")}
    wrong = []
    for (name, key), want in ADMIN_SAMPLE.items():
        assert name in routes, f"{name} is not an admin URL"
        url = admin_url(routes[name], world["objects"], key)
        response = request(client, "GET", url)
        if response.status_code != want:
            wrong.append(f"GET {url} ({name}): {response.status_code}, expected {want}")
    assert not wrong, "\n".join(wrong)
