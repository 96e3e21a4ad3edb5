"""The admin side of approvals (recovery.services.approvals): a workflow action taken in the
admin runs in one transaction, and the approval service's refusal comes back as the message the
reviewer reads, with the task, the workflow and the object left as they were.

A workflow-managed snippet's viewset takes `ApprovalSnippetViewSetMixin` (the modal action
view) and its edit view `ApprovalEditViewMixin` (the action buttons of the edit form)."""

from typing import Any

from django import forms
from django.db import transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.forms import TaskStateCommentForm
from wagtail.log_actions import LogFormatter
from wagtail.snippets.views.snippets import WorkflowActionView

from recovery.admin.base import ServiceFormMixin
from recovery.lib.approval_routing import yuan
from recovery.lib.masking import SafeExportMixin
from recovery.models import ApprovalLimit, Role
from recovery.selectors.access import role_of
from recovery.selectors.approvals import approvals_pending_for
from recovery.services import RecoveryError


class ApprovalWorkflowActionView(WorkflowActionView):
    """The modal's approve / reject / … POST."""

    def post(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            with transaction.atomic():
                return super().post(request, *args, **kwargs)
        except RecoveryError as refusal:
            messages.error(request, refusal.message)
        if request.headers.get("x-requested-with") == "XMLHttpRequest":
            # The modal closes and the page reloads to show the message.
            return self.render_modal_json(request, {"step": "success", "redirect": self.redirect_url})
        return redirect(self.redirect_url)


class ApprovalEditViewMixin:
    """The edit form's workflow action: saved as a draft first (Wagtail's own step), then the
    action in its own transaction; a refusal shows the message and stays on the form."""

    def workflow_action_action(self) -> Any:
        try:
            with transaction.atomic():
                return super().workflow_action_action()  # type: ignore[misc]
        except RecoveryError as refusal:
            messages.error(self.request, refusal.message)  # type: ignore[attr-defined]
            return redirect(self.get_edit_url())  # type: ignore[attr-defined]


class ApprovalSnippetViewSetMixin:
    workflow_action_view_class = ApprovalWorkflowActionView


# --- the approver's decision form ---------------------------------------------------------------


class ApprovalCommentForm(TaskStateCommentForm):
    """Asking for changes or rejecting says why: the comment goes back to the requester."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["comment"].required = True


def approval_action_form(action: str) -> type[forms.Form]:
    from recovery.services.approvals import APPROVE

    return TaskStateCommentForm if action == APPROVE else ApprovalCommentForm


# --- the routing decision in the history ------------------------------------------------------


def register_approval_log_actions(actions: Any) -> None:
    from recovery.services.approvals import APPROVAL_ROUTED

    @actions.register_action(APPROVAL_ROUTED)
    class ApprovalRouted(LogFormatter):
        label = gettext_lazy("Approval routed by amount")

        def format_message(self, log_entry: Any) -> str:
            data = log_entry.data
            if data.get("head_needed"):
                return _("Head approval needed: %(comparison)s") % data
            return _("Head approval not needed: %(comparison)s") % data


# --- awaiting your approval (dashboard) -----------------------------------------------------------


class ApprovalsPendingPanel(Component):
    """待我审批: what awaits the user's decision, oldest first, with its age."""

    name = "approvals_pending"
    order = 30
    template_name = "recovery/approvals/dashboard_panel.html"

    def __init__(self, request: Any) -> None:
        self.request = request

    def get_context_data(self, parent_context: Any) -> dict:
        from wagtail.admin.admin_url_finder import AdminURLFinder

        finder = AdminURLFinder(self.request.user)
        rows = [
            {"row": row, "url": finder.get_edit_url(row.instance)}
            for row in approvals_pending_for(user=self.request.user)
        ]
        return {"rows": rows}

    def render_html(self, parent_context: Any = None) -> str:
        if role_of(self.request.user) not in (Role.MANAGER, Role.HEAD):
            return ""
        return super().render_html(parent_context)


def add_approvals_panel(request: Any, panels: list) -> None:
    panels.append(ApprovalsPendingPanel(request))


# --- approval limits (Settings) ---------------------------------------------------------------------


class ApprovalLimitIndexView(SafeExportMixin, IndexView):
    def get_list_buttons(self, instance: Any) -> list:
        return []


class ApprovalLimitEditView(ServiceFormMixin, EditView):
    """Saved through `approval_limit_update`: the head only, audited old → new."""

    def save_instance(self) -> ApprovalLimit:
        from recovery.services.approvals import approval_limit_update

        instance = self.form.save(commit=False)
        return approval_limit_update(
            limit=instance, manager_limit=instance.manager_limit, user=self.request.user
        )


class ApprovalLimitViewSet(ModelViewSet):
    """One limit per approval kind (kept by recovery after every migrate): listed and edited by
    the head, never added or deleted."""

    model = ApprovalLimit
    name = "approval_limits"
    url_prefix = "recovery/approval-limits"
    icon = "tasks"
    menu_label = gettext_lazy("Approval limits")
    menu_order = 920
    add_to_settings_menu = True
    index_view_class = ApprovalLimitIndexView
    edit_view_class = ApprovalLimitEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    ordering = ["kind"]
    list_display = [
        TitleColumn("kind_label", label=gettext_lazy("Kind"), url_name="approval_limits:edit"),
        Column(
            "manager_limit",
            label=gettext_lazy("Branch manager approves up to"),
            accessor=lambda limit: yuan(limit.manager_limit),
        ),
        Column("updated_at", label=gettext_lazy("Changed at")),
    ]
    panels = [FieldPanel("manager_limit")]

    def get_common_view_kwargs(self, **kwargs: Any) -> dict:
        return super().get_common_view_kwargs(
            **{"add_url_name": None, "delete_url_name": None, "usage_url_name": None, **kwargs}
        )

    def get_urlpatterns(self) -> list:
        return [
            pattern
            for pattern in super().get_urlpatterns()
            if pattern.name in {"index", "index_results", "edit", "history", "history_results"}
        ]


def register_approval_limit_viewset() -> ApprovalLimitViewSet:
    return ApprovalLimitViewSet()
