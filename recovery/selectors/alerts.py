"""Reads of the deadline alerts for the admin: who sees which alerts sent, and the listing."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from recovery.models import Alert, Role
from recovery.selectors.access import cases_visible_to, role_of


def alerts_visible_to(user: Any) -> QuerySet[Alert]:
    """Everyone: the alerts sent to them. Managers also the alerts of the cases they see; head
    and auditors all; a user without a role none."""
    role = role_of(user)
    if role in (Role.HEAD, Role.AUDITOR):
        return Alert.objects.all()
    if role == Role.MANAGER:
        return Alert.objects.filter(
            Q(recipient=user) | Q(deadline__case__in=cases_visible_to(user).order_by().values("pk"))
        )
    if role is not None:
        return Alert.objects.filter(recipient=user)
    return Alert.objects.none()


def may_list_alerts(user: Any) -> bool:
    """Every role: at least their own alerts."""
    return role_of(user) is not None


def alert_listing(user: Any) -> QuerySet[Alert]:
    """The alerts `user` may see with what the listing shows of each (one query a page)."""
    return alerts_visible_to(user).select_related("recipient", "deadline__case")


def alert_recipients() -> QuerySet:
    """Whom the listing's recipient filter offers: the staff, by username."""
    return get_user_model().objects.filter(staff_profile__isnull=False).order_by("username")
