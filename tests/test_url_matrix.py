"""The generated permission matrix (issue 11, "Tests that keep it fixed").

Every URL pattern the project and Wagtail register is requested by every role (two lawyers, two
managers of different branches, the head, the auditor, and an anonymous visitor) against a record
of every docket model in a case the role may see and in one it may not. The expected answer of
each (pattern, role, record) comes from `MATRIX`, keyed by URL name: 404 for a record out of scope
(401/403 for the API, a redirect to the login for anonymous admin URLs), 200 where the role may,
and never a marker of a record the role may not see in any response body, export or search result.

A pattern without an entry in `MATRIX` fails the test: nobody adds a view without deciding who
may use it. Everything runs in one test that collects all failures into one report, so the data is
built once and a leak in one view does not hide another.
"""

import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from assets.models import (
    Asset,
    AssetFile,
    DisposalPlan,
    DisposalPlanFile,
    PreservationMeasure,
    SecurityInterest,
)
from documents.models import DocumentTemplate, DocumentTemplateVersion, GeneratedDocument
from documents.services import document_generate, document_template_add
from litigation.models import (
    CompleteTermination,
    CompleteTerminationEvidence,
    Enforcement,
    Hearing,
    Judgment,
    Lawsuit,
    WriteOff,
    WriteOffEvidence,
    WriteOffGround,
)
from recovery.models import (
    Alert,
    AlertPolicy,
    ApprovalLimit,
    Branch,
    Case,
    CaseParty,
    Collateral,
    CollectionAction,
    DailyNeedsLimit,
    Deadline,
    DefaultCause,
    Estate,
    EstateCreditor,
    EstateItem,
    EstateRecipient,
    FirstRecourseException,
    HolidayYear,
    ImportRun,
    Instalment,
    LiabilityClaim,
    Loan,
    LoanChange,
    LoanParty,
    LoanReceipt,
    MarriageRecord,
    Party,
)
from tests.assets.preservation_helpers import make_asset, make_measure

ROLES = ["lawyer", "other_lawyer", "manager", "other_manager", "head", "auditor", "anonymous"]

# Which groups of records each role sees. "A" is a case of `lawyer` in 上海分行, "B" one of
# `other_lawyer` in 杭州分行; "IA"/"IB" are hand-over imports started by `manager`/`other_manager`
# (managers see the runs they started; lawyers none; the head and auditors all).
SEES = {
    "lawyer": {"A"},
    "other_lawyer": {"B"},
    "manager": {"A", "IA"},
    "other_manager": {"B", "IB"},
    "head": {"A", "B", "IA", "IB"},
    "auditor": {"A", "B", "IA", "IB"},
    "anonymous": set(),
}
# Auditors read everything and change nothing.
CHANGES = SEES | {"auditor": set()}

# Every record of group G carries the marker "qz<G><model>leak" in a text field; a response may
# hold a marker only if the role sees group G. Searches send "qz", which matches every marker
# but is not one, so a search box echoing the query is no false alarm.
MARKER = re.compile(r"qz(IA|IB|A|B)([a-z]*)leak")


def marker(group: str, model: str) -> str:
    return f"qz{group}{model}leak"


# ---- the table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Who may use a URL.

    kind:
      "record"   takes the pk of a docket record `model`: 200 for roles with the Django permission
                 `action` on it whose scope holds the record, 404 when the scope does not hold it,
                 refused (redirect to the dashboard, 403 or 404) otherwise;
      "page"     takes no record: 200 for roles with permission `action` on `model` (every
                 staff role when `model` is None), refused otherwise; `search` sends ?q=<marker>,
                 `export` fetches the CSV and XLSX exports as well;
      "refused"  no role of the product may use it (Wagtail's pages, images, documents, users…);
      "public"   anyone, logged in or not (the login page, the JavaScript catalogue);
      "special"  checked by its own function in SPECIAL (API, calendar feed, editing sessions).
    action: the Django permission the view requires (Wagtail's history and usage views of a
      snippet require "change", so auditors do not get them).
    write: the view changes data; roles refused also POST an empty body, and nothing may change.
    """

    kind: str
    model: str | None = None
    action: str = "view"
    write: bool = False
    # Roles allowed at all (None: every role with the permission).
    roles: frozenset | None = None
    # The view accepts only POST: its GET answers 405 to everyone allowed and 404 out of scope;
    # those who may not also POST an empty body (404 out of scope, refused otherwise, nothing changed).
    post_only: bool = False
    # What "allowed" answers (the snippets index redirects to the first snippet listing).
    ok: tuple = (200,)
    search: bool = False
    export: bool = False
    params: dict = field(default_factory=dict)
    query: str = ""
    search_param: str = "q"
    # URL parameters that depend on the record requested (its revision, its workflow state).
    object_params: Any = None


def record(model: str, action: str = "view", **kw: Any) -> Rule:
    """`action` "change_read": a read-only view that Wagtail gives only to those who may change."""
    kw.setdefault("write", action not in ("view", "change_read"))
    return Rule("record", model, "change" if action == "change_read" else action, **kw)


def page(model: str | None = None, action: str = "view", **kw: Any) -> Rule:
    kw.setdefault("write", action not in ("view", "change_read"))
    return Rule("page", model, "change" if action == "change_read" else action, **kw)


REFUSED = Rule("refused")
PUBLIC = Rule("public")

SCOPED_SNIPPETS = {
    "recovery_case": "case",
    "recovery_party": "party",
    "recovery_loan": "loan",
    "recovery_instalment": "instalment",
    "recovery_caseparty": "caseparty",
    "recovery_collectionaction": "collectionaction",
    "litigation_lawsuit": "lawsuit",
    "litigation_hearing": "hearing",
    "litigation_judgment": "judgment",
    "litigation_enforcement": "enforcement",
    "assets_asset": "asset",
    "assets_securityinterest": "securityinterest",
    "assets_preservationmeasure": "preservationmeasure",
    "assets_assetfile": "assetfile",
    "assets_disposalplan": "disposalplan",
    "assets_disposalplanfile": "disposalplanfile",
    "recovery_estate": "estate",
    "recovery_estaterecipient": "estaterecipient",
    "recovery_estateitem": "estateitem",
    "recovery_estatecreditor": "estatecreditor",
    "recovery_marriagerecord": "marriagerecord",
    "recovery_loanchange": "loanchange",
    "recovery_firstrecourseexception": "firstrecourseexception",
    "litigation_writeoff": "writeoff",
    "litigation_completetermination": "completetermination",
    "litigation_writeoffevidence": "writeoffevidence",
    "litigation_completeterminationevidence": "completeterminationevidence",
}
# The standard views of a scoped snippet viewset; each model lists which ones it has, so that a
# view appearing (or vanishing) in one viewset shows up here.
SNIPPET_VIEWS = {
    "list": lambda m: page(m, search=True),
    "list_results": lambda m: page(m, search=True),
    "add": lambda m: page(m, "add"),
    "edit": lambda m: record(m, "change"),
    "delete": lambda m: record(m, "delete"),
    "usage": lambda m: record(m, "change_read"),
    "history": lambda m: record(m, "change_read"),
    "history_results": lambda m: record(m, "change_read"),
    "inspect": lambda m: record(m),
}
NO_INSPECT = {"assetfile", "disposalplanfile", "writeoffevidence", "completeterminationevidence"}
NO_DELETE = {"preservationmeasure"}  # measures end (lapse or lift) through their own view
EXPORTED = {
    "case",
    "party",
    "loan",
    "collectionaction",
    "lawsuit",
    "asset",
    "disposalplan",
    "writeoff",
    "completetermination",
}

HEAD_ONLY = frozenset({"head"})
APPROVAL_LIMIT = {"pk": "approvallimit"}
DECIDERS = frozenset({"lawyer", "other_lawyer", "manager", "other_manager", "head"})
# The approval requests (#15) are Wagtail drafts on a workflow: their revisions, locks and
# workflow views. Their workflow is started in the world, so the approvers' views have a task.
# The case's branch manager decides the manager's step, the head any step (recovery.services.approvals).
APPROVERS = frozenset({"manager", "other_manager", "head"})
# Every role but the auditor has the right to see personal data (recovery.services.staff).
PERSONAL_DATA = frozenset({"lawyer", "other_lawyer", "manager", "other_manager", "head"})


def _latest_revision(obj: Any) -> dict:
    return {"revision_id": obj.latest_revision_id}


def _workflow_state(obj: Any) -> dict:
    return {"workflow_state_id": obj.current_workflow_state.pk}


def _task_state(obj: Any) -> dict:
    return {"task_state_id": obj.current_workflow_task_state.pk, "action_name": "approve"}


def approval_request_views(model: str) -> dict[str, Rule]:
    return {
        "revisions_compare": record(model, "change_read"),
        "revisions_revert": record(model, "change", object_params=_latest_revision),
        # Nobody publishes (the approval service does) nor locks by hand.
        "revisions_unschedule": record(model, "publish"),
        "unpublish": record(model, "publish"),
        "lock": record(model, "lock"),
        "unlock": record(model, "unlock"),
        "workflow_history": record(model, "change_read"),
        "workflow_history_detail": record(model, "change_read", object_params=_workflow_state),
        "confirm_workflow_cancellation": record(model, "change"),
        "workflow_action": record(model, "change", roles=APPROVERS, object_params=_task_state),
        "collect_workflow_action_data": record(model, "change", roles=APPROVERS, object_params=_task_state),
    }


MATRIX: dict[str, Rule] = {}
for _prefix, _model in SCOPED_SNIPPETS.items():
    for _view, _make in SNIPPET_VIEWS.items():
        if (_view == "inspect" and _model in NO_INSPECT) or (_view == "delete" and _model in NO_DELETE):
            continue
        _rule = _make(_model)
        if _view == "list" and _model in EXPORTED:
            _rule = page(_model, search=True, export=True)
        MATRIX[f"wagtailsnippets_{_prefix}:{_view}"] = _rule
for _prefix, _model in (
    ("litigation_writeoff", "writeoff"),
    ("litigation_completetermination", "completetermination"),
):
    MATRIX |= {
        f"wagtailsnippets_{_prefix}:{view}": rule for view, rule in approval_request_views(_model).items()
    }
MATRIX |= {
    # The write-off page's fault determination (POST only) and the evidence downloads (#15).
    "litigation_write_off_fault": record("writeoff", "change", post_only=True),
    "litigation_write_off_evidence": record("writeoffevidence"),
    "litigation_termination_evidence": record("completeterminationevidence"),
    # Write-off grounds: reference data, read by every role, kept by the head.
    **{
        f"wagtailsnippets_litigation_writeoffground:{view}": (
            page("writeoffground", search=True)
            if view in ("list", "list_results")
            else page("writeoffground", "add")
            if view == "add"
            else page("writeoffground", action, params={"pk": "writeoffground"})
        )
        for view, action in (
            ("list", "view"),
            ("list_results", "view"),
            ("add", "add"),
            ("edit", "change"),
            ("delete", "delete"),
            ("usage", "change_read"),
            ("history", "change_read"),
            ("history_results", "change_read"),
        )
    },
    # Document templates (#16): reference data every role reads, managers and the head keep;
    # retired, never deleted. The preview fills one of the user's cases: not for auditors, who may
    # not see personal data.
    **{
        f"wagtailsnippets_documents_documenttemplate:{view}": (
            page("documenttemplate", search=True)
            if view in ("list", "list_results")
            else page("documenttemplate", "add")
            if view == "add"
            else page("documenttemplate", action, params={"pk": "documenttemplate"})
        )
        for view, action in (
            ("list", "view"),
            ("list_results", "view"),
            ("add", "add"),
            ("edit", "change"),
            ("usage", "change_read"),
            ("history", "change_read"),
            ("history_results", "change_read"),
        )
    },
    "documents_template_version_download": page(
        "documenttemplateversion", params={"pk": "documenttemplateversion"}
    ),
    "documents_template_preview": page(
        "documenttemplate", params={"pk": "documenttemplate"}, roles=PERSONAL_DATA
    ),
    # Generated documents: whoever may change the case generates one; the download needs the
    # case in scope and the right to see personal data.
    "documents_generate": record("case", "change"),
    "documents_generated_download": record("generateddocument", roles=PERSONAL_DATA),
    "wagtailsnippets_assets_preservationmeasure:renew": record("preservationmeasure", "change"),
    # The daily-needs thresholds: the head of recovery's alone, to see as to change.
    **{
        f"wagtailsnippets_recovery_dailyneedslimit:{view}": (
            page("dailyneedslimit", search=True, roles=HEAD_ONLY)
            if view in ("list", "list_results")
            else page("dailyneedslimit", "add", roles=HEAD_ONLY)
            if view == "add"
            else page("dailyneedslimit", action, params={"pk": "dailyneedslimit"}, roles=HEAD_ONLY)
        )
        for view, action in (
            ("list", "view"),
            ("list_results", "view"),
            ("add", "add"),
            ("edit", "change"),
            ("delete", "delete"),
            ("usage", "change_read"),
            ("history", "change_read"),
            ("history_results", "change_read"),
        )
    },
    "wagtailsnippets_assets_preservationmeasure:end": record("preservationmeasure", "change"),
    # Reference data: read by every role, changed by the head only. Their usage pages list the
    # cases that use them, so they are requested with the branch and cause of case B.
    **{
        f"wagtailsnippets_recovery_{ref}:{view}": (
            page(ref, search=True)
            if view in ("list", "list_results")
            else page(ref, "add")
            if view == "add"
            else page(ref, action, params={"pk": ref})
        )
        for ref in ("branch", "defaultcause", "holidayyear")
        for view, action in (
            ("list", "view"),
            ("list_results", "view"),
            ("add", "add"),
            ("edit", "change"),
            ("delete", "delete"),
            ("usage", "change_read"),
            ("history", "change_read"),
            ("history_results", "change_read"),
            ("copy", "add"),
        )
        if not (ref == "holidayyear" and view == "copy")
    },
    **{
        f"wagtailsnippetchoosers_recovery_{ref}:{view}": page(ref, search=view.startswith("choose"))
        for ref in ("branch", "defaultcause")
        for view in ("choose", "choose_results", "chosen_multiple")
    },
    "wagtailsnippetchoosers_recovery_branch:chosen": Rule("page", "branch", params={"pk": "branch"}),
    "wagtailsnippetchoosers_recovery_defaultcause:chosen": Rule(
        "page", "defaultcause", params={"pk": "defaultcause"}
    ),
    "wagtailsnippetchoosers_recovery_branch:create": page("branch", "add"),
    "wagtailsnippetchoosers_recovery_defaultcause:create": page("defaultcause", "add"),
    "wagtailsnippets:index": page(ok=(200, 302)),
    # The product's own views.
    "wagtailadmin_home": page(),
    "site_history": Rule("special"),
    "site_history_results": Rule("special"),
    "wagtailadmin_reports:site_history": Rule("special"),
    "wagtailadmin_reports:site_history_results": Rule("special"),
    "deadline_compute_api": Rule("special"),
    "recovery_calendar_feed": Rule("special"),
    "recovery_calendar_revoke": Rule("special"),
    "wagtailadmin_editing_sessions:ping": Rule("special"),
    "wagtailadmin_editing_sessions:release": Rule("special"),
    "recovery_editing_session_ping": Rule("special"),
    "recovery_editing_session_release": Rule("special"),
    "recovery_collection_action_proof": record("collectionaction"),
    "recovery_first_recourse_evidence": record("firstrecourseexception"),
    # The liability matrix (#14): moves and estimates by whoever may change the case (POST only).
    "recovery_claim_move": record("liabilityclaim", "change", post_only=True),
    "recovery_claim_estimate": record("liabilityclaim", "change", post_only=True),
    "recovery_spouse_pursue": record("marriagerecord", "change", post_only=True),
    "recovery_liability:index": page("liabilityclaim", export=True),
    "recovery_liability:index_results": page("liabilityclaim"),
    # Money received on loans (#15): everyone lists their cases' receipts; whoever may change
    # loans records one (the receipt itself only the service writes).
    "recovery_receipts:index": page("loanreceipt", export=True),
    "recovery_receipts:index_results": page("loanreceipt"),
    "recovery_receipts:record": page("loan", "change"),
    "assets_file_download": record("assetfile"),
    # A disposal plan's outcomes (#15) and its attachments, behind the plan's case scope.
    "wagtailsnippets_assets_disposalplan:fail": record("disposalplan", "change"),
    "wagtailsnippets_assets_disposalplan:second_round": record("disposalplan", "change"),
    "wagtailsnippets_assets_disposalplan:sale": record("disposalplan", "change"),
    "wagtailsnippets_assets_disposalplan:withdraw": record("disposalplan", "change"),
    "assets_disposal_file_download": record("disposalplanfile"),
    # Per-loan links the migration made: confirmed or removed from the case page (POST only).
    "recovery_loan_party_confirm": record("loanparty", "change", post_only=True),
    "recovery_loan_party_remove": record("loanparty", "delete", post_only=True),
    # Hand-over collateral made an asset with our security interest, in one step (POST only).
    # The view also needs assets.add_asset, which every role with recovery.change_collateral has.
    "assets_collateral_convert": record("collateral", "change", post_only=True),
    "recovery_imports:index": page("importrun", search=True),
    "recovery_imports:index_results": page("importrun", search=True),
    "recovery_imports:upload": page("importrun", "add"),
    "recovery_imports:run": record("importrun"),
    "recovery_imports:status": record("importrun"),
    "recovery_imports:confirm": record("importrun", "add", post_only=True),
    "recovery_imports:errors": record("importrun"),
    # The uploaded hand-over file holds every ID number unmasked: not for auditors (#1, #2).
    "recovery_import_run_file": record("importrun", roles=frozenset({"manager", "other_manager", "head"})),
    "recovery_imports:retry": record("importrun", "add", post_only=True),
    "recovery_imports:discard": record("importrun", "add", post_only=True),
    "recovery_deadlines:index": page("deadline", search=True, export=True),
    "recovery_deadlines:index_results": page("deadline", search=True),
    "recovery_deadlines:what_if": record("deadline"),
    # The decision on a lapsed deadline (#12 §4): whoever may change the case; auditors do not.
    "recovery_deadlines:lapse_decide": record("deadline", write=True, roles=DECIDERS),
    "recovery_deadlines:calculator": page(),
    # Alerts (#12 §6): everyone their own; managers also their cases', the head and auditors all.
    "recovery_alerts:index": page("alert", search=True),
    "recovery_alerts:index_results": page("alert", search=True),
    "recovery_alert_policies:index": page("alertpolicy"),
    "recovery_alert_policies:index_results": page("alertpolicy"),
    "recovery_alert_policies:edit": Rule(
        "page", "alertpolicy", "change", write=True, params={"pk": "alertpolicy"}
    ),
    "recovery_alert_policies:history": Rule("page", "alertpolicy", "change", params={"pk": "alertpolicy"}),
    "recovery_alert_policies:history_results": Rule(
        "page", "alertpolicy", "change", params={"pk": "alertpolicy"}
    ),
    # Approval limits (#15): everyone reads them, the head changes them.
    "approval_limits:index": page("approvallimit"),
    "approval_limits:index_results": page("approvallimit"),
    "approval_limits:edit": Rule("page", "approvallimit", "change", write=True, params=APPROVAL_LIMIT),
    "approval_limits:history": Rule("page", "approvallimit", "change", params=APPROVAL_LIMIT),
    "approval_limits:history_results": Rule("page", "approvallimit", "change", params=APPROVAL_LIMIT),
    # Lockout (#12): only the head lists locked accounts and unlocks them (POST only).
    "recovery_locked_accounts": page(roles=HEAD_ONLY),
    "recovery_account_unlock": page(roles=HEAD_ONLY, write=True, ok=(405,)),
    "recovery_page_set_position": Rule("special"),
    # Bulk actions do not exist for docket records (config/urls.py), for anyone.
    "admin/bulk/recovery/<str:model_name>/<str:action>/": Rule(
        "refused", write=True, params={"model_name": "case", "action": "delete"}, query="id=all"
    ),
    "admin/bulk/litigation/<str:model_name>/<str:action>/": Rule(
        "refused", write=True, params={"model_name": "lawsuit", "action": "delete"}, query="id=all"
    ),
    "admin/bulk/assets/<str:model_name>/<str:action>/": Rule(
        "refused", write=True, params={"model_name": "asset", "action": "delete"}, query="id=all"
    ),
    "admin/bulk/documents/<str:model_name>/<str:action>/": Rule(
        "refused", write=True, params={"model_name": "document", "action": "delete"}, query="id=all"
    ),
    # Wagtail's bulk actions on its own models (pages): the CMS side, refused too.
    "wagtail_bulk_action": Rule(
        "refused",
        write=True,
        params={"app_label": "wagtailcore", "model_name": "page", "action": "delete"},
        query="id=all",
    ),
    # Wagtail's own screens for every logged-in user.
    "wagtailadmin_account": page(),
    # POST only (a GET answers 405); not posted, it would end the matrix's session.
    "wagtailadmin_logout": Rule("refused"),
    "wagtailadmin_dismissibles": page(),
    "wagtailadmin_sprite": PUBLIC,
    "wagtailadmin_javascript_catalog": PUBLIC,
    "wagtailadmin_login": PUBLIC,
    "wagtailadmin_password_reset": PUBLIC,
    "wagtailadmin_password_reset_done": PUBLIC,
    "wagtailadmin_password_reset_confirm": PUBLIC,
    "wagtailadmin_password_reset_complete": PUBLIC,
    "wagtailadmin_tag_autocomplete": page(search=True, search_param="term"),
    # No docket model has tags: 404 for every role.
    "wagtailadmin_tag_model_autocomplete": Rule(
        "refused", params={"app_name": "recovery", "model_name": "case"}
    ),
    # Needs a block definition in its query; without one, 404.
    "wagtailadmin_block_preview": Rule("refused"),
}
# Wagtail's CMS side (pages, images, documents, collections, workflows, forms, users and groups,
# site settings, the admin API): 404 for every role of the product, the head included
# (recovery/wagtail_guards.py; users, groups and settings by Wagtail's own permissions).
WAGTAIL_CMS_PREFIXES = (
    "wagtailadmin_api:",
    "wagtailadmin_explore",
    "wagtailadmin_pages:",
    "wagtailadmin_choose_page",
    "wagtailadmin_collections:",
    "wagtailadmin_workflows:",
    "wagtailadmin_reports:",
    "wagtailadmin_error_test",
    "wagtailforms:",
    "wagtailsettings:",
    "wagtaildocs",
    "wagtailimages",
    "wagtailusers_",
)
# Not views of the product: Wagtail's deliberate error pages and its catch-all 404, the root
# redirect and the development media route (its own tests live with the files work, #1).
NOT_REQUESTED = {
    "admin/test404/": "Wagtail's 404 test page",
    "admin/^.*/$": "Wagtail's catch-all 404",
    "": "redirect from / to the dashboard",
    "recovery_wagtail_cms": "the CMS refusal: checked through every Wagtail CMS URL behind it",
    # Wagtail's workflow, revision and lock views of an approval request: behind the viewset's
    # case-scope guard like every snippet view, but they need a revision or task state in their
    # URL; the approval workflow's own tests cover them (APPROVALS.md: the integrator's).
    **{
        f"wagtailsnippets_assets_disposalplan:{view}": "approval workflow view (the integrator's tests)"
        for view in (
            "collect_workflow_action_data",
            "confirm_workflow_cancellation",
            "lock",
            "unlock",
            "revisions_compare",
            "revisions_revert",
            "revisions_unschedule",
            "unpublish",
            "workflow_action",
            "workflow_history",
            "workflow_history_detail",
        )
    },
}


def rule_for(key: str) -> Rule | str | None:
    if key in MATRIX:
        return MATRIX[key]
    if key in NOT_REQUESTED:
        return NOT_REQUESTED[key]
    if key.startswith(WAGTAIL_CMS_PREFIXES) and key not in MATRIX:
        return REFUSED
    return None


# Cells that leak today in areas other engineers are fixing in parallel (issue 11): (URL key,
# role) → finding. The lead removes an entry when its fix lands; an entry that no longer fails
# fails the test, so the list cannot go stale.
KNOWN_LEAKS_BEING_FIXED: dict[tuple[str, str], str] = {}


# ---- the data ------------------------------------------------------------------------------------


def _build_group(group: str, case: Case, user: Any) -> dict[str, Any]:
    """One record of every docket model in `case`, each carrying its marker."""

    def mark(model: str) -> str:
        return marker(group, model)

    party = case.debtor
    party.name = mark("party")
    party.notes = mark("party")
    party.save()
    case.summary = mark("case")
    case.save()
    loan = Loan.objects.get(case=case)
    loan.contract_no = mark("loan")
    loan.save()
    guarantor = Party.objects.create(
        kind="person", name=mark("guarantor"), id_number=f"G{group}{case.pk:016d}", phones="13900001111"
    )
    caseparty = CaseParty.objects.create(
        case=case, party=guarantor, role="guarantor", notes=mark("caseparty")
    )
    # Made by the migration for review: the case page offers to confirm or remove it.
    loanparty = LoanParty.objects.create(
        case_party=caseparty, loan=loan, guarantee_type="joint", needs_review=True
    )
    collateral = Collateral.objects.create(case=case, loan=loan, description=mark("collateral"))
    action = CollectionAction.objects.create(
        case=case, kind="notice", acted_on=date(2024, 3, 1), outcome=mark("collectionaction")
    )
    action.proof_file.save("proof.pdf", ContentFile(b"%PDF-1.4 " + mark("proof").encode()))
    suit = Lawsuit.objects.create(
        case=case,
        court="上海市浦东新区人民法院",
        cause_of_action="金融借款合同纠纷",
        claim_amount=Decimal("100.00"),
        filed_on=date(2024, 4, 1),
        notes=mark("lawsuit"),
    )
    asset = make_asset(case, description=mark("asset"), value="500000.00")
    interest = SecurityInterest.objects.create(
        asset=asset, kind="mortgage", creditor=mark("securityinterest"), secured_amount=Decimal("1.00")
    )
    measure = make_measure(asset, ruling=mark("preservationmeasure"), expires="2028-03-02")
    upload = AssetFile.objects.create(asset=asset, caption=mark("assetfile"))
    upload.file.save("photo.pdf", ContentFile(b"%PDF-1.4 " + mark("assetfilebody").encode()))
    # Approved, so that its outcome forms open for those who may change it.
    plan = DisposalPlan.objects.create(
        case=case,
        asset=asset,
        route="negotiated_sale",
        reference_price=Decimal("1.00"),
        reference_source="appraisal",
        notes=mark("disposalplan"),
        approved_at=timezone.now(),
        approval_reference=mark("disposalplan"),
    )
    plan_file = DisposalPlanFile.objects.create(plan=plan, caption=mark("disposalplanfile"))
    plan_file.file.save("report.pdf", ContentFile(b"%PDF-1.4 " + mark("disposalplanfilebody").encode()))
    # The liability facts: the debtor died; a general guarantor lost his first-recourse defence.
    estate = Estate.objects.create(case=case, deceased=party, died_on=date(2024, 11, 3), notes=mark("estate"))
    heir = Party.objects.create(
        kind="person", name=mark("estaterecipient"), id_number=f"H{group}{case.pk:016d}"
    )
    CaseParty.objects.create(case=case, party=heir, role="heir")
    general_role = CaseParty.objects.create(
        case=case,
        party=Party.objects.create(
            kind="person", name=f"一般保证人{group}", id_number=f"J{group}{case.pk:016d}"
        ),
        role="guarantor",
    )
    general = LoanParty.objects.create(case_party=general_role, loan=loan, guarantee_type="general")
    change = LoanChange.objects.create(
        loan=loan,
        kind="increase",
        agreed_on=date(2022, 6, 1),
        amount=Decimal("1.00"),
        note=mark("loanchange"),
    )
    change.consenting_guarantors.add(general)
    exception = FirstRecourseException.objects.create(
        link=general,
        kind="written_waiver",
        known_on=date(2024, 1, 1),
        evidence=mark("firstrecourseexception"),
    )
    exception.evidence_file.save("waiver.pdf", ContentFile(b"%PDF-1.4 " + mark("waiver").encode()))
    facts = {
        "estate": estate,
        "estaterecipient": EstateRecipient.objects.create(estate=estate, party=heir, kind="statutory_heir"),
        "estateitem": EstateItem.objects.create(estate=estate, description=mark("estateitem"), value=1),
        "estatecreditor": EstateCreditor.objects.create(
            estate=estate, creditor=mark("estatecreditor"), amount=1
        ),
        "marriagerecord": MarriageRecord.objects.create(
            case=case, party=party, spouse=guarantor, evidence_note=mark("marriagerecord")
        ),
        "loanchange": change,
        "firstrecourseexception": exception,
        "liabilityclaim": LiabilityClaim.objects.create(
            case=case, party=party, loan=loan, basis="spouse", status_note=mark("liabilityclaim")
        ),
    }
    # The approval requests (#15), drafts whose workflow has started, and their evidence.
    write_off = WriteOff.objects.create(
        case=case,
        loan=loan,
        write_off_ground=WriteOffGround.objects.get(code="bankruptcy"),
        principal=Decimal("1.00"),
        total=Decimal("1.00"),
        legal_opinion=mark("writeoff"),
        requested_by=user,
        live=False,
    )
    termination = CompleteTermination.objects.create(
        case=case,
        loan=loan,
        ground="court_terminated",
        opinion=mark("completetermination"),
        requested_by=user,
        live=False,
    )
    for request_ in (write_off, termination):
        request_.save_revision(user=user)
        request_.get_workflow().start(request_, user)
    write_off_evidence = WriteOffEvidence.objects.create(write_off=write_off, item=mark("writeoffevidence"))
    write_off_evidence.file.save("e.pdf", ContentFile(b"%PDF-1.4 " + mark("writeoffevidencebody").encode()))
    termination_evidence = CompleteTerminationEvidence.objects.create(
        complete_termination=termination, item=mark("completeterminationevidence")
    )
    termination_evidence.file.save("t.pdf", ContentFile(b"%PDF-1.4 " + mark("terminationbody").encode()))
    facts |= {
        "writeoff": WriteOff.objects.get(pk=write_off.pk),
        "completetermination": CompleteTermination.objects.get(pk=termination.pk),
        "writeoffevidence": write_off_evidence,
        "completeterminationevidence": termination_evidence,
    }
    # Created last, directly: services above recompute the case's deadlines.
    deadline = Deadline.objects.create(
        case=case,
        key=f"matrix:{group}",
        kind="limitation",
        rule="limitation",
        subject=mark("deadline"),
        trigger=date(2024, 1, 1),
        legal_end=timezone.localdate() + timedelta(days=5),
        safe_end=timezone.localdate() + timedelta(days=5),
        act_by=timezone.localdate() + timedelta(days=5),
        status="running",
        computed_at=timezone.now(),
    )
    alert = Alert.objects.create(
        deadline=deadline,
        act_by=deadline.act_by,
        threshold=7,
        recipient=user,
        recipient_role="assignee",
        planned_on=timezone.localdate(),
        status="sent",
        sent_at=timezone.now(),
    )
    receipt = LoanReceipt.objects.create(
        loan=loan,
        received_on=date(2024, 3, 1),
        amount=Decimal("5.00"),
        source="repayment",
        reference=mark("loanreceipt"),
        costs=Decimal("0.00"),
        interest=Decimal("0.00"),
        penalty_interest=Decimal("0.00"),
        principal=Decimal("5.00"),
        surplus=Decimal("0.00"),
    )
    return facts | {
        "case": case,
        "party": party,
        "loan": loan,
        "loanreceipt": receipt,
        "instalment": Instalment.objects.create(loan=loan, due_on=date(2023, 1, 1), amount=Decimal("5.00")),
        "caseparty": caseparty,
        "loanparty": loanparty,
        "collateral": collateral,
        "collectionaction": action,
        "lawsuit": suit,
        "hearing": Hearing.objects.create(lawsuit=suit, date=date(2024, 5, 1), notes=mark("hearing")),
        "judgment": Judgment.objects.create(
            lawsuit=suit, served_on=date(2024, 6, 1), amount_awarded=Decimal("1.00"), notes=mark("judgment")
        ),
        "enforcement": Enforcement.objects.create(
            lawsuit=suit, applied_on=date(2024, 7, 1), enforcement_case_number=mark("enforcement")
        ),
        "asset": asset,
        "securityinterest": interest,
        "preservationmeasure": measure,
        "assetfile": upload,
        "disposalplan": plan,
        "disposalplanfile": plan_file,
        "deadline": deadline,
        "alert": alert,
    }


def _import_run(group: str, user: Any) -> ImportRun:
    run = ImportRun.objects.create(
        file_name=marker(group, "importrun") + ".xlsx",
        checksum=f"{group:0>64}",
        source="web",
        status="previewed",
        started_by=user,
        preview={"rows": [{"row": 2, "name": marker(group, "importrow")}]},
        errors=[{"row": 3, "field": "name", "message": marker(group, "importerror")}],
    )
    run.upload.save("handover.csv", ContentFile(("name\n" + marker(group, "importfile") + "\n").encode()))
    return run


@dataclass
class World:
    groups: dict[str, dict[str, Any]]
    reference: dict[str, Any]
    staff: dict[str, Any]

    def record(self, group: str, model: str) -> Any:
        return self.groups[group][model]

    def fingerprint(self) -> dict:
        """Every row of the models the matrix touches, to prove an empty POST changed nothing."""
        models = [
            Case,
            Party,
            Loan,
            Instalment,
            CaseParty,
            LoanParty,
            Collateral,
            CollectionAction,
            Lawsuit,
            Hearing,
            Judgment,
            Enforcement,
            Asset,
            SecurityInterest,
            PreservationMeasure,
            AssetFile,
            Deadline,
            Alert,
            ImportRun,
            Branch,
            DefaultCause,
            HolidayYear,
            AlertPolicy,
            Estate,
            EstateRecipient,
            EstateItem,
            EstateCreditor,
            MarriageRecord,
            LiabilityClaim,
            LoanChange,
            FirstRecourseException,
            DailyNeedsLimit,
            LoanReceipt,
            WriteOff,
            WriteOffEvidence,
            CompleteTermination,
            CompleteTerminationEvidence,
            WriteOffGround,
            DocumentTemplate,
            DocumentTemplateVersion,
            GeneratedDocument,
        ]
        return {m._meta.label: sorted(map(repr, m.objects.order_by("pk").values_list())) for m in models}


def _matrix_template() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("{{ case.number }} {{ borrower.name }} {{ court.name }}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def world(staff, make_case, branches, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    cause = DefaultCause.objects.create(code="matrix", name="matrix cause", strategy="matrix strategy")
    case_a = make_case(assignee=staff["lawyer"], branch="上海分行")
    case_b = make_case(assignee=staff["other_lawyer"], branch="杭州分行")
    Case.objects.filter(pk=case_b.pk).update(default_cause=cause)
    case_b.refresh_from_db()
    groups = {
        "A": _build_group("A", case_a, staff["lawyer"]),
        "B": _build_group("B", case_b, staff["other_lawyer"]),
    }
    template = document_template_add(
        document_template=DocumentTemplate(name="matrix template", kind="other"),
        file=ContentFile(_matrix_template(), name="matrix.docx"),
        user=None,
    )
    for group, case in (("A", case_a), ("B", case_b)):
        groups[group]["generateddocument"] = document_generate(
            case=case,
            template=template,
            as_of=date(2024, 3, 1),
            court=marker(group, "generateddocument"),
            user=None,
        )
    groups["IA"] = {"importrun": _import_run("IA", staff["manager"])}
    groups["IB"] = {"importrun": _import_run("IB", staff["other_manager"])}
    reference = {
        "branch": branches["杭州分行"],
        "defaultcause": cause,
        "holidayyear": HolidayYear.objects.order_by("year").first()
        or HolidayYear.objects.create(year=2031, notice="matrix notice"),
        "alertpolicy": AlertPolicy.objects.order_by("pk").first(),
        "approvallimit": ApprovalLimit.objects.order_by("pk").first(),
        "writeoffground": WriteOffGround.objects.get(code="bankruptcy"),
        "dailyneedslimit": DailyNeedsLimit.objects.create(amount=Decimal("50000.00"), basis="matrix basis"),
        "documenttemplate": template,
        "documenttemplateversion": template.current_version,
    }
    return World(groups=groups, reference=reference, staff=staff)


# ---- walking the URLs ------------------------------------------------------------------------------


@dataclass
class Route:
    key: str  # the URL name (namespaced), or the route itself for an unnamed pattern
    route: str
    pattern: URLPattern


def all_routes() -> list[Route]:
    routes: list[Route] = []

    def walk(patterns: list, prefix: str, namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            else:
                route = prefix + str(entry.pattern)
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                routes.append(Route(key=name or route, route=route, pattern=entry))

    walk(get_resolver().url_patterns, "", "")
    return routes


def build_url(route: str, params: dict[str, Any]) -> str:
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(params[m[1]]), path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(params[m[1]]), path)
    return "/" + path.replace("\\.", ".")


def default_params(world: World) -> dict[str, Any]:
    from wagtail.models import Collection, Page

    # A page below the root: Wagtail's page views assume a parent (the root has none).
    root = Page.objects.order_by("-depth", "pk").filter(depth__lte=2).first()
    page_id = root.pk if root else 1
    return {
        "parent_page_id": page_id,
        "page_id": page_id,
        "page_pk": page_id,
        "page_to_move_id": page_id,
        "destination_id": page_id,
        "content_type_app_name": "wagtailcore",
        "content_type_model_name": "page",
        "app_label": "wagtailcore",
        "model_name": "page",
        "app_name": "recovery",
        "action_name": "approve",
        "task_state_id": 1,
        "task_id": 1,
        "revision_id": 1,
        "revision_id_a": "earliest",
        "revision_id_b": "latest",
        "workflow_state_id": 1,
        "workflow_pk": 1,
        "collection_id": Collection.objects.order_by("pk").values_list("pk", flat=True).first() or 1,
        "document_id": 1,
        "doc_id": 1,
        "image_id": 1,
        "uploaded_file_id": 1,
        "filter_spec": "original",
        "uidb64": "MQ",
        "token": "set-password",
        "session_id": 1,
        "object_id": 1,
        # Users admin: the other lawyer's account (its pages show who works on which cases).
        "pk": world.staff["other_lawyer"].pk,
    }


# ---- requests and checks ----------------------------------------------------------------------------


def body_text(response: Any) -> str:
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    if raw[:4] == b"PK\x03\x04":  # an .xlsx: read every part of the archive
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            raw = b"".join(archive.read(name) for name in archive.namelist())
    return raw.decode("utf-8", "replace")


def leaked(text: str, role: str) -> set[str]:
    return {m[0] for m in MARKER.finditer(text) if m[1] not in SEES[role]}


def refused(response: Any) -> bool:
    """Wagtail answers a missing permission with a redirect to the dashboard (and a message)."""
    if response.status_code in (403, 404, 405):
        return True
    return response.status_code == 302 and reverse("wagtailadmin_login") not in response["Location"]


def to_login(response: Any) -> bool:
    return response.status_code == 302 and reverse("wagtailadmin_login") in response["Location"]


class Matrix:
    def __init__(self, world: World) -> None:
        # One client per role, logged in once: a login per request would double the time.
        self.clients = {role: Client(raise_request_exception=False) for role in ROLES}
        for role, role_client in self.clients.items():
            if role != "anonymous":
                role_client.force_login(world.staff[role])
        self.world = world
        self.failures: list[tuple[str, str, str]] = []  # (key, role, message)
        self.cells = 0
        self.urls: set[str] = set()
        self.objects: set[str] = set()
        self.seconds: dict[str, float] = {}
        self.markers_shown: set[str] = set()

    def fail(self, key: str, role: str, message: str) -> None:
        self.failures.append((key, role, message))

    def request(self, key: str, role: str, method: str, url: str, **kwargs: Any) -> tuple[Any, str]:
        self.cells += 1
        started = time.perf_counter()
        # A view that crashes is one failed cell, reported with the others, not the end of the run.
        response = getattr(self.clients[role], method)(url, **kwargs)
        if key == "wagtailadmin_logout" and role != "anonymous":
            # Wagtail's logout drops the session cookie even when it refuses a GET.
            self.clients[role].force_login(self.world.staff[role])
        self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - started
        if response.status_code >= 500:
            self.fail(key, role, f"{method.upper()} {url} answered {response.status_code}")
        text = body_text(response)
        self.markers_shown.update(m[0] for m in MARKER.finditer(text))
        found = leaked(text, role)
        if found:
            self.fail(key, role, f"{method.upper()} {url} shows {sorted(found)}")
        return response, text

    def may(self, role: str, model: str | None, action: str) -> bool:
        if role == "anonymous":
            return False
        if model is None:
            return True
        app = {
            "lawsuit": "litigation",
            "hearing": "litigation",
            "judgment": "litigation",
            "enforcement": "litigation",
            "asset": "assets",
            "securityinterest": "assets",
            "preservationmeasure": "assets",
            "assetfile": "assets",
            "disposalplan": "assets",
            "disposalplanfile": "assets",
            "writeoff": "litigation",
            "writeoffevidence": "litigation",
            "completetermination": "litigation",
            "completeterminationevidence": "litigation",
            "writeoffground": "litigation",
            "documenttemplate": "documents",
            "documenttemplateversion": "documents",
            "generateddocument": "documents",
        }.get(model, "recovery")
        user = self.world.staff[role]
        return user.has_perm(f"{app}.{action}_{model}")

    # -- kinds ---------------------------------------------------------------------------------

    def allowed(self, rule: Rule, role: str) -> bool:
        if role == "anonymous":
            return False
        if rule.roles is not None and role not in rule.roles:
            return False
        return self.may(role, rule.model, rule.action)

    def check_record(self, route: Route, rule: Rule, params: dict) -> None:
        scope = CHANGES if rule.write else SEES
        for group, records in self.world.groups.items():
            if rule.model not in records:
                continue
            obj = records[rule.model]
            self.objects.add(f"{rule.model}:{group}")
            extra = rule.object_params(obj) if rule.object_params else {}
            url = build_url(route.route, params | {"pk": obj.pk} | extra)
            for role in ROLES:
                response, _text = self.request(route.key, role, "get", url)
                permitted = self.allowed(rule, role)
                may = permitted and group in scope[role]
                if role == "anonymous":
                    ok, expected = to_login(response), "a redirect to the login"
                elif permitted and group not in SEES[role]:
                    ok, expected = response.status_code == 404, "404 (out of scope)"
                elif may:
                    # A POST-only action answers a GET with 405, but only once the record is found.
                    code = 405 if rule.post_only else 200
                    ok, expected = response.status_code == code, str(code)
                else:
                    ok, expected = refused(response), "refused"
                if not ok:
                    self.fail(
                        route.key,
                        role,
                        f"GET {url} [{group}] answered {response.status_code}, expected {expected}",
                    )
                if rule.write and not may:
                    self.post_nothing(
                        route.key, role, url, out_of_scope=permitted and group not in SEES[role]
                    )

    def post_nothing(self, key: str, role: str, url: str, *, out_of_scope: bool = False) -> None:
        """An empty POST by a role that may not write; the test compares the data before and after
        all of a URL's requests (once per URL: comparing per request would triple the time)."""
        response, _text = self.request(key, role, "post", url, data={})
        if role == "anonymous":
            ok, expected = to_login(response) or response.status_code == 404, "a redirect to the login"
        elif out_of_scope:
            ok, expected = response.status_code == 404, "404 (out of scope)"
        else:
            ok, expected = refused(response), "refused"
        if not ok:
            self.fail(key, role, f"POST {url} answered {response.status_code}, expected {expected}")

    def check_page(self, route: Route, rule: Rule, params: dict) -> None:
        if "pk" in rule.params:
            obj = self.world.reference[rule.params["pk"]]
            params = params | {"pk": obj.pk}
            self.objects.add(f"{rule.model}:reference")
        url = build_url(route.route, params)
        if rule.query:
            url += "?" + rule.query
        for role in ROLES:
            response, _text = self.request(route.key, role, "get", url)
            may = rule.kind == "public" or (rule.kind == "page" and self.allowed(rule, role))
            ok, expected = self.page_verdict(rule, role, may, response)
            if not ok:
                self.fail(route.key, role, f"GET {url} answered {response.status_code}, expected {expected}")
            if rule.write and not may:
                self.post_nothing(route.key, role, url)
            if may and rule.kind == "page":
                self.use_page(route.key, rule, role, url)

    @staticmethod
    def page_verdict(rule: Rule, role: str, may: bool, response) -> tuple[bool, str]:
        """(whether a page's GET answered as it must for this role, what it must answer)."""
        if rule.kind == "public":
            return response.status_code in (200, 302), "200 for anyone"
        if role == "anonymous":
            # Docket bulk-action URLs do not exist (404) even before the login.
            return to_login(response) or response.status_code == 404, "a redirect to the login"
        if may:
            return response.status_code in rule.ok, "/".join(map(str, rule.ok))
        return refused(response), "refused"

    def use_page(self, key: str, rule: Rule, role: str, url: str) -> None:
        """Search and export a page the role may open, as its user would."""
        sep = "&" if "?" in url else "?"
        if rule.search:
            # "qz" matches every marker of every group, and is none itself.
            self.request(key, role, "get", f"{url}{sep}{rule.search_param}=qz")
        if rule.export:
            for fmt in ("csv", "xlsx"):
                response, _text = self.request(key, role, "get", f"{url}{sep}export={fmt}")
                if response.status_code != 200:
                    self.fail(key, role, f"export {fmt} answered {response.status_code}")

    # -- special URLs ----------------------------------------------------------------------------

    def check_special(self, route: Route, params: dict) -> None:
        checks = {
            "site_history": self.check_site_history,
            "site_history_results": self.check_site_history,
            "wagtailadmin_reports:site_history": self.check_site_history,
            "wagtailadmin_reports:site_history_results": self.check_site_history,
            "deadline_compute_api": self.check_compute_api,
            "recovery_calendar_feed": self.check_calendar_feed,
            "recovery_calendar_revoke": self.check_calendar_revoke,
            "recovery_page_set_position": self.check_page_set_position,
            "wagtailadmin_editing_sessions:ping": self.check_ping,
            "recovery_editing_session_ping": self.check_ping,
            "wagtailadmin_editing_sessions:release": self.check_release,
            "recovery_editing_session_release": self.check_release,
        }
        check = checks.get(route.key)
        if check is None:  # pragma: no cover - a special entry without its check
            self.fail(route.key, "-", "special entry without a check")
            return
        check(route, params)

    def check_site_history(self, route: Route, params: dict) -> None:
        key = route.key
        url = build_url(route.route, params)
        for role in ROLES:
            response, _text = self.request(key, role, "get", url)
            expected = 200 if role in ("head", "auditor") else 404
            if role == "anonymous":
                ok = to_login(response)
            else:
                ok = response.status_code == expected
            if not ok:
                self.fail(key, role, f"GET {url} answered {response.status_code}")

    def check_compute_api(self, route: Route, params: dict) -> None:
        key = route.key
        url = build_url(route.route, params)
        body = '{"rule":"limitation","trigger":"2021-03-15","events":[]}'
        for role in ROLES:
            response, _text = self.request(key, role, "post", url, data=body, content_type="application/json")
            ok = response.status_code in ((401, 403) if role == "anonymous" else (200,))
            if not ok:
                self.fail(key, role, f"POST {url} answered {response.status_code}")

    def check_calendar_feed(self, route: Route, params: dict) -> None:
        from recovery.models import AlertPreference

        key = route.key
        for role in ROLES:
            if role == "anonymous":
                response, _text = self.request(key, role, "get", build_url(route.route, {"token": "nope"}))
                if response.status_code != 404:
                    self.fail(key, role, f"unknown token answered {response.status_code}")
                continue
            user = self.world.staff[role]
            token = AlertPreference.objects.get_or_create(user=user)[0].calendar_token
            # The feed is a credential: requested without a session, as a calendar app does.
            self.cells += 1
            url = build_url(route.route, {"token": token})
            response = self.clients["anonymous"].get(url)
            found = leaked(body_text(response), role)
            if response.status_code != 200 or found:
                self.fail(key, role, f"own feed answered {response.status_code}, shows {sorted(found)}")

    def check_calendar_revoke(self, route: Route, params: dict) -> None:
        key = route.key
        url = build_url(route.route, params)
        for role in ROLES:
            response, _text = self.request(key, role, "get", url)
            ok = to_login(response) if role == "anonymous" else response.status_code in (302, 405, 404)
            if not ok:
                self.fail(key, role, f"GET {url} answered {response.status_code}")

    def check_page_set_position(self, route: Route, params: dict) -> None:
        from wagtail.models import Page

        key = route.key
        for page_obj in (Page.objects.get(depth=1), Page.objects.filter(depth=2).first()):
            url = build_url(route.route, {"page_to_move_id": page_obj.pk})
            for role in ROLES:
                response, _text = self.request(key, role, "post", url)
                if role == "anonymous":
                    ok = to_login(response)
                elif page_obj.depth == 1:
                    ok = response.status_code == 404  # the root is never reordered
                else:
                    ok = refused(response)
                if not ok:
                    self.fail(key, role, f"POST {url} answered {response.status_code}")

    def check_ping(self, route: Route, params: dict) -> None:
        for group in ("A", "B"):
            for model, obj in self.world.groups[group].items():
                if model in ("deadline", "alert", "loanparty", "collateral", "liabilityclaim"):
                    continue  # no edit view of their own, hence no editing session
                self.objects.add(f"{model}:{group}")
                meta = obj._meta
                url = build_url(
                    route.route,
                    {
                        "app_label": meta.app_label,
                        "model_name": meta.model_name,
                        "object_id": obj.pk,
                        "session_id": 0,
                    },
                )
                for role in ROLES:
                    response, _text = self.request(route.key, role, "post", url)
                    if role == "anonymous":
                        ok = to_login(response)
                    elif group in CHANGES[role] and self.may(role, model, "change"):
                        ok = response.status_code == 200
                    else:
                        ok = response.status_code == 404
                    if not ok:
                        self.fail(route.key, role, f"POST {url} [{group}] answered {response.status_code}")

    def check_release(self, route: Route, params: dict) -> None:
        from wagtail.admin.models import EditingSession

        case = self.world.record("B", "case")
        session = EditingSession.objects.create(
            user=self.world.staff["other_lawyer"],
            content_type=ContentType.objects.get_for_model(Case),
            object_id=str(case.pk),
            last_seen_at=timezone.now(),
        )
        url = build_url(route.route, {"session_id": session.pk})
        for role in ROLES:
            if role == "other_lawyer":
                continue
            response, _text = self.request(route.key, role, "post", url)
            ok = to_login(response) if role == "anonymous" else response.status_code == 404
            if not ok or not EditingSession.objects.filter(pk=session.pk).exists():
                self.fail(
                    route.key, role, f"POST {url} (someone else's session) answered {response.status_code}"
                )


@pytest.mark.django_db
def test_every_url_answers_every_role_as_the_matrix_says(world, capsys):
    routes = all_routes()
    missing = [r.key for r in routes if rule_for(r.key) is None]
    assert not missing, "new view without a matrix entry: " + ", ".join(sorted(set(missing)))
    stale = set(MATRIX) - {r.key for r in routes}
    assert not stale, "matrix entries for URLs that no longer exist: " + ", ".join(sorted(stale))

    matrix = Matrix(world)
    params = default_params(world)
    served: set[str] = set()
    for route in routes:
        rule = rule_for(route.key)
        # A pattern shadowed by an earlier one on the same path (the project's guards ahead of
        # Wagtail's views) is never reached: requesting its path checks the guard, already done.
        if isinstance(rule, str) or route.route in served:
            continue
        served.add(route.route)
        matrix.urls.add(route.route)
        merged = params | {k: v for k, v in rule.params.items() if k != "pk"}
        before = world.fingerprint() if rule.write else None
        if rule.kind == "record":
            matrix.check_record(route, rule, merged)
        elif rule.kind == "special":
            matrix.check_special(route, merged)
        else:
            matrix.check_page(route, rule, merged)
        if before is not None and world.fingerprint() != before:
            matrix.fail(route.key, "-", "an empty POST by a role that may not write changed data")

    # The markers do render for those who may see them: otherwise "no marker leaked" proves nothing.
    unseen = {marker(group, model) for group in world.groups for model in world.groups[group]} - set(
        matrix.markers_shown
    )
    # No text of their own:
    unseen -= {marker(g, m) for g in ("A", "B") for m in ("alert", "instalment", "loanparty")}

    known = {(key, role) for key, role, _message in matrix.failures if (key, role) in KNOWN_LEAKS_BEING_FIXED}
    unexpected = [f for f in matrix.failures if (f[0], f[1]) not in KNOWN_LEAKS_BEING_FIXED]
    fixed = set(KNOWN_LEAKS_BEING_FIXED) - known
    with capsys.disabled():
        print(
            f"\nURL matrix: {len(matrix.urls)} URLs × {len(ROLES)} roles × {len(matrix.objects)} objects, "
            f"{matrix.cells} requests; {len(unexpected)} failures, {len(known)} known leaks"
        )
        slowest = sorted(matrix.seconds.items(), key=lambda item: -item[1])[:8]
        print("slowest: " + ", ".join(f"{key} {seconds:.1f}s" for key, seconds in slowest))
    report = [f"{key} | {role} | {message}" for key, role, message in unexpected]
    report += [
        f"{key} | {role} | fixed: remove it from KNOWN_LEAKS_BEING_FIXED" for key, role in sorted(fixed)
    ]
    report += [f"marker {name} was shown to nobody: the leak check is blind to it" for name in sorted(unseen)]
    assert not report, f"{len(report)} matrix cells are wrong:\n" + "\n".join(report)
