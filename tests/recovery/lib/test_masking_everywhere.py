"""ID and phone numbers are masked for users without `recovery.view_personal_data` on every page
they can reach: inspect, history, usage, listings with search, exports, the case and asset
pages, deadlines, the site history, the dashboard, the alert e-mails and the API.

The pages are enumerated from the URL resolver, so a view added later is covered without
touching this file."""

import csv
import io
import threading
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from wagtail.admin.viewsets import viewsets

from assets.models import Asset, AssetKind
from assets.services import asset_record
from litigation.models import Hearing, Lawsuit
from recovery.checks.identity import credit_code_with_check, resident_id_with_check
from recovery.models import (
    AlertPreference,
    CaseParty,
    CollectionAction,
    LoanParty,
    Party,
    PartyKind,
    PartyRole,
)
from recovery.selectors.access import mask_id_number, mask_phones
from recovery.services.alerts import alerts_run
from recovery.services.cases import party_update, record_update
from recovery.services.deadlines import deadlines_recompute

DEBTOR_ID = resident_id_with_check("31011519750615123")
DEBTOR_PHONES = "13911112222;021-66667777"
GUARANTOR_ID = credit_code_with_check("91310115MA1K4AB7X")
GUARANTOR_PHONES = "13733334444"

SKIPPED_NAMES = {"wagtailadmin_logout"}  # would end the auditor's session


@pytest.fixture
def personal(staff, make_case):
    """A case whose debtor and guarantor carry known ID and phone numbers; the debtor's were
    changed once (so history holds old → new) and the guarantor was recorded against."""
    case = make_case(assignee=staff["lawyer"], name="张三")
    debtor = case.debtor
    old_id, old_phones = debtor.id_number, debtor.phones
    debtor.id_number, debtor.phones = DEBTOR_ID, DEBTOR_PHONES
    # The debtor through the service the party form calls (a domain-coded entry), the guarantor
    # through the generic write (the code of entries stored before): both must be masked.
    party_update(party=debtor, user=staff["head"])
    guarantor = Party.objects.create(
        kind=PartyKind.COMPANY, name="某某担保有限公司", id_number=GUARANTOR_ID, phones="13700000000"
    )
    guarantor.phones = GUARANTOR_PHONES
    record_update(instance=guarantor, user=staff["head"])
    role = CaseParty.objects.create(case=case, party=guarantor, role=PartyRole.GUARANTOR)
    LoanParty.objects.create(
        case_party=role, loan=case.loans.get(), guarantee_type="general", guarantee_months=6
    )
    action = CollectionAction.objects.create(
        case=case, kind="notice", acted_on=date(2024, 3, 1), addressed_to=guarantor, reached=True
    )
    asset = asset_record(
        asset=Asset(case=case, owner=debtor, kind=AssetKind.REAL_ESTATE, description="上海市某路1号"),
        user=staff["head"],
    )
    suit = Lawsuit.objects.create(
        case=case,
        court="上海市浦东新区人民法院",
        cause_of_action="金融借款合同纠纷",
        claim_amount=Decimal("1.00"),
        filed_on=date(2024, 1, 1),
    )
    hearing = Hearing.objects.create(lawsuit=suit, date=date(2024, 5, 1))
    deadlines_recompute(case_ids=[case.pk])
    secrets = {
        DEBTOR_ID,
        old_id,
        GUARANTOR_ID,
        *(p for p in f"{DEBTOR_PHONES};{old_phones};{GUARANTOR_PHONES};13700000000".split(";")),
    }
    objects = [case, debtor, guarantor, action, asset, suit, hearing, *case.case_parties.all()]
    objects += list(case.loans.all()) + list(case.deadlines.all())
    return {"case": case, "debtor": debtor, "guarantor": guarantor, "secrets": secrets, "objects": objects}


def _leaks(text: str, secrets: set[str]) -> list[str]:
    return sorted(secret for secret in secrets if secret in text)


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in response.get("Content-Type", ""):
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            "\t".join("" if v is None else str(v) for v in row)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return content.decode("utf-8", errors="replace")


def _walk(resolver: URLResolver, namespaces: tuple[str, ...] = (), params: frozenset = frozenset()):
    """(full URL name, parameter names) of every named URL pattern under `resolver`."""
    for pattern in resolver.url_patterns:
        names = params | frozenset(_params_of(pattern))
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from _walk(pattern, inner, names)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield ":".join((*namespaces, pattern.name)), names


def _params_of(pattern) -> set[str]:
    # A route's <converters>, or a regex's named groups (a regex pattern has empty converters).
    return set(getattr(pattern.pattern, "converters", {})) | set(pattern.pattern.regex.groupindex)


def _model_of_namespace() -> dict[str, type]:
    # A viewset without a name has no URLs of its own (Wagtail's page-type viewsets, registered
    # once some test has asked for them); its url_namespace would raise.
    return {
        viewset.url_namespace: viewset.model
        for viewset in viewsets.viewsets
        if getattr(viewset, "model", None) is not None and getattr(viewset, "name", None)
    }


# Patterns that name a model (and maybe one of its rows): built for every seeded model.
MODEL_PARAMS = {"app_label", "app_name", "model_name", "pk", "object_id"}


def _model_urls(name: str, params: set[str], by_model: dict[type, list]) -> list[str]:
    urls = []
    for model, pks in by_model.items():
        app = {"app_label": model._meta.app_label, "app_name": model._meta.app_label}
        kwargs = {key: value for key, value in app.items() if key in params}
        kwargs["model_name"] = model._meta.model_name
        for pk in pks if params & {"pk", "object_id"} else [None]:
            for key in params & {"pk", "object_id"}:
                kwargs[key] = pk
            try:
                urls.append(reverse(name, kwargs=kwargs))
            except NoReverseMatch:
                pass
    return urls


def _candidate_urls(personal) -> tuple[list[str], list[str]]:
    """Every URL to render as the auditor, and the named patterns that could not be built."""
    models = _model_of_namespace()
    by_model: dict[type, list] = {}
    for obj in personal["objects"]:
        by_model.setdefault(type(obj), []).append(obj.pk)
    every_pk = sorted({pk for pks in by_model.values() for pk in pks})
    tokens = list(AlertPreference.objects.values_list("calendar_token", flat=True))
    urls, skipped = [], []
    for name, params in sorted(set(_walk(get_resolver()))):
        if name in SKIPPED_NAMES:
            continue
        if not params:
            try:
                urls.append(reverse(name))
            except NoReverseMatch:
                skipped.append(name)
            continue
        if params <= MODEL_PARAMS and params & {"app_label", "app_name"}:
            urls += _model_urls(name, params, by_model)
            continue
        if len(params) != 1:
            skipped.append(name)
            continue
        (param,) = params
        namespace = name.rsplit(":", 1)[0] if ":" in name else ""
        values = tokens if param == "token" else by_model.get(models.get(namespace), every_pk)
        for value in values:
            try:
                urls.append(reverse(name, kwargs={param: value}))
            except NoReverseMatch:
                pass
    return urls, skipped


@pytest.mark.django_db
def test_no_page_the_auditor_reaches_shows_a_full_id_or_phone(staff, personal):
    AlertPreference.objects.get_or_create(user=staff["auditor"])
    # A page that fails (a 500 is another test's business) shows nothing: keep going.
    client = Client(raise_request_exception=False)
    client.force_login(staff["auditor"])
    urls, skipped = _candidate_urls(personal)
    leaks, rendered = {}, 0
    for url in urls:
        variants = [url]
        response = client.get(url)
        if response.status_code == 200:
            # (Search by the numbers themselves is tested below: a search box repeats its query.)
            variants += [f"{url}?q=张三", f"{url}?export=csv", f"{url}?export=xlsx"]
        for variant in variants:
            if variant != url:
                response = client.get(variant)
            if response.status_code != 200:
                continue
            rendered += 1
            found = _leaks(_body(response), personal["secrets"])
            if found:
                leaks[variant] = found
    print(f"masking: {len(urls)} URLs, {rendered} pages rendered, not built: {skipped}")
    assert rendered > 50, (rendered, skipped)
    assert leaks == {}


@pytest.mark.django_db
def test_the_api_and_the_alert_mails_show_no_full_id_or_phone(client, staff, personal):
    client.force_login(staff["auditor"])
    response = client.post(
        reverse("deadline_compute_api"),
        data='{"rule":"limitation","trigger":"2021-03-15","events":[]}',
        content_type="application/json",
    )
    assert response.status_code == 200
    assert _leaks(_body(response), personal["secrets"]) == []
    # make_case's loan is due 2023-01-01: the limitation's safe end is 2025-12-31.
    today = date(2025, 12, 28)
    deadlines_recompute(case_ids=[personal["case"].pk], today=today)
    mail.outbox.clear()
    alerts_run(today=today)
    assert mail.outbox, "the digest was not sent: nothing was checked"
    for message in mail.outbox:
        bodies = [message.body, *(content for content, _type in getattr(message, "alternatives", []))]
        assert _leaks(message.subject + "\n".join(bodies), personal["secrets"]) == []


# ---- the inspect page (finding 2) ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_party_inspect_page_masks_for_the_auditor_only(client, staff, personal):
    url = reverse("wagtailsnippets_recovery_party:inspect", args=[personal["debtor"].pk])
    client.force_login(staff["auditor"])
    page = client.get(url).content.decode()
    assert DEBTOR_ID not in page and "13911112222" not in page
    assert mask_id_number(DEBTOR_ID) in page
    assert mask_phones(DEBTOR_PHONES) in page
    client.force_login(staff["head"])
    page = client.get(url).content.decode()
    assert DEBTOR_ID in page and "13911112222" in page


# ---- history (finding 4) ----------------------------------------------------------------------


def _without_personal_data_permission(user):
    """`user`'s role minus the permission: the auditor cannot open object history pages (they
    need a change permission), so history is checked as a manager who may not see the data."""
    from django.contrib.auth.models import Permission

    for group in user.groups.all():
        group.permissions.remove(Permission.objects.get(codename="view_personal_data"))
    return user


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_of",
    [
        lambda p: reverse("wagtailsnippets_recovery_party:history", args=[p.pk]),
        lambda p: reverse("wagtailsnippets_recovery_party:history_results", args=[p.pk]),
        lambda p: reverse("site_history"),
        lambda p: reverse("site_history_results"),
    ],
    ids=["object history", "object history results", "site history", "site history results"],
)
def test_history_masks_changed_personal_data_without_the_permission(client, staff, personal, url_of):
    url = url_of(personal["debtor"])
    site_wide = "site" in url or "reports" in url
    # The site history is for those who see every case: the auditor; object history for editors.
    viewer = staff["auditor"] if site_wide else _without_personal_data_permission(staff["manager"])
    client.force_login(viewer)
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert _leaks(page, personal["secrets"]) == []
    assert mask_id_number(DEBTOR_ID) in page
    assert mask_phones(DEBTOR_PHONES) in page
    client.force_login(staff["head"])
    page = client.get(url).content.decode()
    assert DEBTOR_ID in page and "13911112222" in page


# ---- search (finding 5) -----------------------------------------------------------------------


def _listed(client, url: str, query: str, marker: str) -> bool:
    return marker in client.get(url, {"q": query}).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("query", [DEBTOR_ID, DEBTOR_ID[6:14], DEBTOR_ID[-4:], "13911112222"])
def test_search_does_not_look_at_personal_data_for_the_auditor(client, staff, personal, query):
    parties = reverse("wagtailsnippets_recovery_party:list")
    cases = reverse("wagtailsnippets_recovery_case:list")
    party_link = reverse("wagtailsnippets_recovery_party:inspect", args=[personal["debtor"].pk])
    case_number = personal["case"].number
    client.force_login(staff["auditor"])
    assert not _listed(client, parties, query, party_link)
    assert not _listed(client, cases, query, case_number)
    if query.startswith("139"):
        return  # nobody searches parties by phone
    client.force_login(staff["head"])
    assert _listed(client, parties, query, party_link)
    if query == DEBTOR_ID:  # the case search matches the debtor's whole ID number only
        assert _listed(client, cases, query, case_number)


@pytest.mark.django_db
def test_the_auditor_still_finds_by_name(client, staff, personal):
    client.force_login(staff["auditor"])
    assert _listed(client, reverse("wagtailsnippets_recovery_party:list"), "张三", "张三")
    assert _listed(client, reverse("wagtailsnippets_recovery_case:list"), "张三", personal["case"].number)


# ---- no per-request state on shared columns ---------------------------------------------------------


class _SlowParty:
    """A party whose ID number takes a moment to read: the other thread runs meanwhile, which
    is when a column keeping the request on itself would mask with the other user's rights."""

    def __init__(self) -> None:
        self.name = "张三"
        self.phones = DEBTOR_PHONES

    @property
    def id_number(self) -> str:
        threading.Event().wait(0.001)
        return DEBTOR_ID


class _Viewer:
    """A user whose permission is known without the database (threads have no test data)."""

    is_authenticated = True

    def __init__(self, may_see: bool) -> None:
        self.may_see = may_see

    def has_perm(self, perm: str) -> bool:
        return self.may_see and perm == "recovery.view_personal_data"


def test_a_shared_masked_column_masks_per_request_in_parallel_threads():
    from recovery.admin.docket import PartyViewSet

    columns = [c for c in PartyViewSet.list_display if getattr(c, "accessor", None) == "id_number"]
    assert len(columns) == 1
    column = columns[0]  # declared once on the class: shared by every request
    factory = RequestFactory()
    requests = {}
    for role, may_see in (("auditor", False), ("head", True)):
        requests[role] = factory.get("/")
        requests[role].user = _Viewer(may_see)
    expected = {"auditor": mask_id_number(DEBTOR_ID), "head": DEBTOR_ID}
    barrier = threading.Barrier(2)
    wrong: list = []

    def render(role: str) -> None:
        context = {"request": requests[role], "row": None, "table": None}
        for _ in range(200):
            barrier.wait()
            value = column.get_cell_context_data(_SlowParty(), context)["value"]
            if str(value) != expected[role]:
                wrong.append((role, value))

    threads = [threading.Thread(target=render, args=(role,)) for role in expected]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


@pytest.mark.django_db(transaction=True)
def test_the_party_listing_masks_per_user_in_parallel_threads(staff, make_case):
    from django.db import connection

    case = make_case(assignee=staff["lawyer"], name="李四")
    debtor = case.debtor
    debtor.phones = "13955556666"
    debtor.save()
    url = reverse("wagtailsnippets_recovery_party:list")
    barrier = threading.Barrier(2)
    wrong: list = []

    def render(role: str) -> None:
        client = Client()
        client.force_login(staff[role])
        try:
            for _ in range(15):
                barrier.wait()
                page = client.get(url).content.decode()
                shown = (debtor.id_number in page, "13955556666" in page)
                if shown != ((role == "head"),) * 2:
                    wrong.append((role, shown))
        finally:
            connection.close()

    threads = [threading.Thread(target=render, args=(role,)) for role in ("auditor", "head")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


# ---- hand-over import pages: preview, error report, listing -----------------------------------


def _import_csv(rows: list[dict[str, str]]) -> bytes:
    header = [
        "合同编号",
        "借款人",
        "证件号码",
        "手机号",
        "贷款金额",
        "本金余额",
        "放款日",
        "到期日",
        "移交日期",
    ]
    header += ["机构", "保证人"]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=header)
    writer.writeheader()
    base = {
        "贷款金额": "100000",
        "本金余额": "80000",
        "放款日": "2023-05-26",
        "到期日": "2024-05-26",
        "移交日期": "2025-01-10",
        "机构": "上海分行",
    }
    writer.writerows([base | values for values in rows])
    return text.getvalue().encode("utf-8")


@pytest.mark.django_db
def test_the_import_pages_show_the_auditor_no_full_id_or_phone(client, staff, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recovery.models import ImportRun

    settings.MEDIA_ROOT = tmp_path / "media"
    borrower = resident_id_with_check("32010219800101777")
    guarantor = resident_id_with_check("32010219700101555")
    wrong = borrower[:-1] + ("1" if borrower[-1] != "1" else "2")
    secrets = {borrower, guarantor, wrong, "13688889999"}
    content = _import_csv(
        [
            {"合同编号": "HT-1", "借款人": "王五", "证件号码": borrower, "手机号": "13688889999"},
            # One valid and one invalid guarantor in one cell: the valid one must not be quoted.
            {
                "合同编号": "HT-2",
                "借款人": "王五",
                "证件号码": borrower,
                "保证人": f"赵六,{guarantor},连带;钱七,{wrong},一般",
            },
            {"合同编号": "HT-3", "借款人": "孙八", "证件号码": wrong, "手机号": "13688889999"},
        ]
    )
    client.force_login(staff["head"])
    client.post(reverse("recovery_imports:upload"), {"file": SimpleUploadedFile("清单.csv", content)})
    run = ImportRun.objects.get()
    client.force_login(staff["auditor"])
    rendered = 0
    for name, params in sorted(set(_walk(get_resolver()))):
        if not name.startswith("recovery_imports:") or len(params) > 1:
            continue
        url = reverse(name, kwargs={next(iter(params)): run.pk}) if params else reverse(name)
        response = client.get(url)
        if response.status_code == 200:
            rendered += 1
            assert _leaks(_body(response), secrets) == [], url
    assert rendered >= 3  # the listing, the run's page and its error report at least


def test_every_id_or_phone_field_of_every_model_is_registered_as_personal():
    """A new ID or phone field is masked everywhere only once it is in PERSONAL_FIELDS."""
    from django.apps import apps

    from recovery.lib.masking import personal_masker

    looks_personal = ("id_number", "id_no", "phone", "mobile", "id_card")
    missing = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label in {"recovery", "assets", "litigation", "documents"}
        for field in model._meta.concrete_fields
        if any(word in field.name for word in looks_personal) and personal_masker(model, field.name) is None
    ]
    assert missing == []
