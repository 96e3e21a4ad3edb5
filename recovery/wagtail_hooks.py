"""The recovery app's Wagtail hooks: registrations only. The viewsets, views, columns and panels
they register live in recovery.admin."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from recovery.admin import (
    accounts,
    alerts,
    approvals,
    deadlines,
    docket,
    estates,
    imports,
    liability,
    loan_parties,
    receipts,
    widgets,
)
from recovery.models import DailyNeedsLimit

register_snippet(docket.DocketGroup)
hooks.register("register_admin_viewset", docket.register_import_viewset)
hooks.register(imports.DOCKET_MENU_HOOK, imports.upload_menu_item)
hooks.register("register_admin_viewset", docket.register_deadline_viewset)
hooks.register("register_admin_menu_item", deadlines.calculator_menu_item)
register_snippet(deadlines.HolidayYearViewSet)
hooks.register("recovery_case_sections", loan_parties.loan_security_section, order=-5)
hooks.register("recovery_case_sections", docket.deadlines_section, order=-10)
hooks.register("register_admin_urls", docket.register_proof_urls)
hooks.register("construct_homepage_panels", docket.add_docket_panel)
hooks.register("register_log_actions", docket.register_audit_actions)
hooks.register("construct_reports_menu", docket.hide_site_history_from_scoped_users)
hooks.register("register_admin_urls", accounts.register_lockout_urls)
hooks.register("register_settings_menu_item", accounts.register_locked_accounts_menu_item)
hooks.register("register_log_actions", accounts.register_unlock_action)
hooks.register("insert_global_admin_js", widgets.csp_widget_starter)
hooks.register("register_account_settings_panel", alerts.alert_preferences_panel)
hooks.register("register_admin_urls", alerts.register_alert_urls)
hooks.register("register_log_actions", alerts.register_alert_log_actions)
hooks.register("register_admin_viewset", alerts.register_alert_viewset)
hooks.register("register_admin_viewset", alerts.register_alert_policy_viewset)
register_permission_policy(
    DailyNeedsLimit, estates.HeadOnlyPermissionPolicy(DailyNeedsLimit), exact_class=True
)
register_snippet(estates.LiabilityFactsGroup)
hooks.register("recovery_case_sections", estates.estate_facts_section)
hooks.register("register_admin_urls", estates.register_estate_urls)
hooks.register("recovery_case_sections", liability.liability_section, order=-4)
hooks.register("register_admin_urls", liability.register_liability_urls)
hooks.register("register_admin_viewset", liability.register_claim_viewset)
hooks.register("register_admin_viewset", receipts.register_receipt_viewset)

hooks.register("construct_homepage_panels", approvals.add_approvals_panel)
hooks.register("register_log_actions", approvals.register_approval_log_actions)
hooks.register("register_admin_viewset", approvals.register_approval_limit_viewset)
