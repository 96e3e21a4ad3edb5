"""The party-role form with its loans and guarantee terms, the review buttons for links the
migration made, and the per-loan section of the case and loan pages."""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.widgets import AdminDateInput

from recovery.admin.base import CaseScopedForm, ServiceCreateView, ServiceEditView
from recovery.lib.links import case_path
from recovery.lib.masking import MaskedInspectView
from recovery.lib.validators import validate_supported_date
from recovery.models import LOAN_ROLES, MONEY, CoGuarantorRecourse, GuaranteeType, Loan, LoanParty, PartyRole
from recovery.selectors.access import allowed_choices, cases_editable_by, cases_visible_to
from recovery.services import RecoveryError
from recovery.services.loan_parties import (
    GuaranteeTerms,
    case_loan_security,
    loan_party_confirm,
    loan_security,
)
from recovery.services.loan_parties import loan_party_remove as remove_link

GUARANTEE_TERMS = ("guarantee_type", "guarantee_months", "max_amount", "signed_on", "co_guarantor_recourse")


class CasePartyForm(CaseScopedForm):
    """A party role and, for a co-borrower, guarantor, mortgagor or pledgor, the loans of the
    case it concerns (only this case's loans are offered; the service checks again)."""

    loans = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Loans"),
        queryset=Loan.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "The loans this party owes, guarantees or secures (co-borrower, guarantor, mortgagor)."
        ),
    )
    guarantee_type = forms.ChoiceField(
        label=gettext_lazy("guarantee type"),
        choices=[("", "—"), *GuaranteeType.choices],
        required=False,
        help_text=gettext_lazy("Not agreed: a general guarantee (CC 686)."),
    )
    guarantee_months = forms.IntegerField(
        label=gettext_lazy("agreed guarantee period (months)"),
        required=False,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=gettext_lazy(
            "Leave empty when nothing was agreed: the period is then six months (CC 692)."
        ),
    )
    max_amount = forms.DecimalField(
        label=gettext_lazy("maximum amount (最高额保证)"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
    )
    signed_on = forms.DateField(
        label=gettext_lazy("guarantee signed on"),
        required=False,
        widget=AdminDateInput,
        validators=[validate_supported_date],
    )
    co_guarantor_recourse = forms.ChoiceField(
        label=gettext_lazy("recourse against co-guarantors"),
        choices=CoGuarantorRecourse.choices,
        required=False,
        help_text=gettext_lazy(
            "Only where the loan has several guarantors. Not recorded: the matrix assumes recourse, "
            "the reading that asks the others for less (担保解释第13、29条)."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        case_id = self._case_id()
        field = self.fields["loans"]
        if case_id is None or case_id == -1:
            field.queryset = Loan.objects.none()
        else:
            allowed = allowed_choices(LoanParty, "loan", self.for_user, case_id=case_id)
            field.queryset = Loan.objects.filter(pk__in=allowed.values("pk")).order_by(
                "due_on", "contract_no"
            )
        if self.instance.pk:
            links = list(self.instance.loan_links.order_by("pk"))
            self.initial.setdefault("loans", [link.loan_id for link in links])
            first = next((link for link in links if link.guarantee_type), None)
            if first is not None:
                for name in GUARANTEE_TERMS:
                    self.initial.setdefault(name, getattr(first, name))

    def clean(self) -> dict:
        cleaned = super().clean()
        role = cleaned.get("role")
        terms = [cleaned.get(name) for name in GUARANTEE_TERMS]
        if role and role != PartyRole.GUARANTOR and any(value not in (None, "") for value in terms):
            self.add_error(
                "guarantee_type", _("A guarantee type, period, amount or date only applies to a guarantor.")
            )
        if role and role not in LOAN_ROLES and cleaned.get("loans"):
            self.add_error(
                "loans", _("Only a co-borrower, guarantor, mortgagor or pledgor is linked to loans.")
            )
        if role in LOAN_ROLES and not cleaned.get("loans") and self.fields["loans"].queryset.exists():
            # Linked to no loan, no deadline would run against the party: the service refuses too.
            self.add_error("loans", _("Pick the loans this party owes, guarantees or secures."))
        return cleaned

    def guarantee_terms(self) -> GuaranteeTerms:
        data = self.cleaned_data
        return GuaranteeTerms(
            guarantee_type=data.get("guarantee_type") or "",
            guarantee_months=data.get("guarantee_months"),
            max_amount=data.get("max_amount"),
            signed_on=data.get("signed_on"),
            co_guarantor_recourse=data.get("co_guarantor_recourse") or "",
        )


class _CasePartySaveMixin:
    # Wagtail sets it only when the form itself is invalid; a refusal by the service shows the
    # form again through the same path (recovery.admin.base.ServiceFormMixin).
    produced_error_message = None

    def save_instance(self) -> Any:
        # The viewset's service (case_party_save) with what the form adds to the record.
        instance = self.form.save(commit=False)
        return self.call_service(
            instance, loans=self.form.cleaned_data.get("loans") or [], terms=self.form.guarantee_terms()
        )


class CasePartyCreateView(_CasePartySaveMixin, ServiceCreateView):
    pass


class CasePartyEditView(_CasePartySaveMixin, ServiceEditView):
    pass


# --- review of links the migration made ------------------------------------------------------


def _review(request: Any, pk: int, *, remove: bool) -> Any:
    """POST only. A link outside the user's cases is a 404 whatever the method; one the
    user may not change is refused before the method is looked at."""
    link = get_object_or_404(
        LoanParty.objects.select_related("loan"),
        pk=pk,
        loan__case__in=cases_visible_to(request.user).values("pk"),
    )
    if not request.user.has_perm("recovery.delete_loanparty" if remove else "recovery.change_loanparty"):
        raise PermissionDenied
    if not cases_editable_by(request.user).filter(pk=link.loan.case_id).exists():
        raise PermissionDenied
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        if remove:
            remove_link(link=link, user=request.user)
            messages.success(
                request, _("Link removed: the party is no longer tied to loan %(c)s.") % {"c": link.loan}
            )
        else:
            loan_party_confirm(link=link, user=request.user)
            messages.success(request, _("Link to loan %(c)s confirmed.") % {"c": link.loan})
    except RecoveryError as error:
        messages.error(request, error.message)
    return HttpResponseRedirect(case_path(link.loan.case_id))


def loan_party_confirm_view(request: Any, pk: int) -> Any:
    return _review(request, pk, remove=False)


def loan_party_remove_view(request: Any, pk: int) -> Any:
    return _review(request, pk, remove=True)


# --- the per-loan section --------------------------------------------------------------------


def loan_security_section(case: Any, request: Any) -> str:
    data = case_loan_security(case, request)
    return render_to_string(
        "recovery/loan_security_section.html",
        {
            "case": case,
            "data": data,
            "can_edit": cases_editable_by(request.user).filter(pk=case.pk).exists(),
        },
        request=request,
    )


class LoanInspectView(MaskedInspectView):
    """The loan page: its fields, then who owes, guarantees and secures it and its collateral."""

    def get_template_names(self) -> list[str]:
        # The viewset hands every view Wagtail's template list; the loan page has its own.
        return ["recovery/loan_inspect.html"]

    def get_context_data(self, **kwargs: Any) -> dict:
        context = super().get_context_data(**kwargs)
        data = loan_security([self.object], self.request)
        context.update(
            security=data.loans[0],
            to_review=data.to_review,
            case_url=case_path(self.object.case_id),
            can_edit=cases_editable_by(self.request.user).filter(pk=self.object.case_id).exists(),
        )
        return context
