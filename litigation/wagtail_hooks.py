"""The litigation app's Wagtail hooks: registrations only (the admin itself is litigation.admin)."""

from wagtail import hooks
from wagtail.snippets.models import register_snippet

from litigation.admin import docket, writeoff
from litigation.demo import seed_demo_write_offs

register_snippet(docket.LitigationGroup)
hooks.register("register_log_actions", docket.register_litigation_log_actions)
hooks.register("recovery_case_sections", docket.lawsuits_section)
hooks.register("recovery_case_timeline", docket.lawsuit_events)
hooks.register("recovery_dashboard_dates", docket.upcoming_hearings)
hooks.register("recovery_seed_demo", docket.seed_demo_lawsuits)
hooks.register("recovery_seed_demo", seed_demo_write_offs)
hooks.register("recovery_calendar_events", docket.hearing_calendar_events)
hooks.register("register_admin_urls", writeoff.register_write_off_urls)
hooks.register("recovery_case_sections", writeoff.write_offs_section)
