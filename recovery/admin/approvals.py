"""The admin side of approvals (recovery.services.approvals): a workflow action taken in the
admin runs in one transaction, and the approval service's refusal comes back as the message the
reviewer reads, with the task, the workflow and the object left as they were.

A workflow-managed snippet's viewset takes `ApprovalSnippetViewSetMixin` (the modal action
view) and its edit view `ApprovalEditViewMixin` (the action buttons of the edit form)."""

from typing import Any

from django.db import transaction
from django.shortcuts import redirect
from wagtail.admin import messages
from wagtail.snippets.views.snippets import WorkflowActionView

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
