"""The assets app's Wagtail hooks: registrations only (the admin itself is assets.admin)."""

from wagtail import hooks
from wagtail.snippets.models import register_snippet

from assets.admin import disposal, docket
from assets.demo import seed_demo_disposal_plans
from recovery.selectors.liability import COLLATERAL_HOOK
from recovery.services.loan_parties import COLLATERAL_ACTIONS_HOOK, LOAN_SECURITY_HOOK

register_snippet(docket.AssetsGroup)
hooks.register("register_admin_urls", docket.register_asset_file_urls)
hooks.register("register_admin_urls", disposal.register_disposal_urls)
hooks.register("recovery_case_sections", docket.assets_section)
hooks.register(COLLATERAL_ACTIONS_HOOK, docket.collateral_actions)
hooks.register(LOAN_SECURITY_HOOK, docket.loan_security_interests)
hooks.register(COLLATERAL_HOOK, docket.liability_collateral)
hooks.register("recovery_seed_demo", seed_demo_disposal_plans)
