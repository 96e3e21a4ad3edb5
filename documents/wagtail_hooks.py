"""The documents app's Wagtail hooks: registrations only (the admin itself is documents.admin)."""

from wagtail import hooks
from wagtail.snippets.models import register_snippet

from documents.admin import views
from documents.demo import seed_demo_templates

register_snippet(views.DocumentTemplateViewSet)
hooks.register("register_admin_urls", views.register_document_urls)
hooks.register("recovery_case_sections", views.documents_section)
hooks.register("recovery_seed_demo", seed_demo_templates)
