"""Every registered deadline kind has an alert policy row after migrate (kept by
recovery.services.alerts.alert_policies_sync), so the head can set its thresholds in Settings."""

from recovery.models import AlertPolicy
from recovery.registry import deadline_kinds


def test_every_registered_kind_has_its_policy_row(db):
    kinds = {spec.value for spec in deadline_kinds()}
    assert {"auction_notice", "reauction_latest"} <= kinds
    assert kinds <= set(AlertPolicy.objects.values_list("kind", flat=True))
