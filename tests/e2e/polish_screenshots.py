"""Screenshots of the pages issue 16's polish and the proof thumbnails touch, at
1280 and 375 px, into docs/screenshots/ (the names `make screenshots` uses).
Not collected by the normal runs: `.venv/bin/pytest tests/e2e/polish_screenshots.py`.
"""

import pytest
from django.core.management import call_command

from tests.e2e.browser import save_screenshots
from tests.e2e.feedback_world import completed_with_recordings
from tests.e2e.world import build_world

pytestmark = pytest.mark.e2e


def test_screenshots_of_the_polished_pages(new_context, page_as, db):
    world = build_world()
    call_command("make_proof_thumbnails")  # the world's proofs predate them
    payments = world.payments

    page = new_context().new_page()
    page.goto("/accounts/signup/")
    save_screenshots(page, "signup")
    page.goto("/accounts/password/reset/sent/")
    save_screenshots(page, "password-reset-sent")

    page = page_as(world.student)
    page.goto("/")
    save_screenshots(page, "dashboard")
    page.goto(f"/payments/{payments['pending'].public_id}/")
    save_screenshots(page, "payment-pending")
    page.goto(f"/payments/{payments['completed'].public_id}/")
    save_screenshots(page, "payment-ready")
    page.goto("/courses/product-manager/request/")
    save_screenshots(page, "request-form")

    console = page_as(world.approver)
    console.goto("/admin/payments/payment/?status=all")
    save_screenshots(console, "admin-payments-queue")
    console.goto(f"/admin/payments/payment/{payments['pending'].pk}/change/")
    save_screenshots(console, "admin-payment")
    pending = world.interviews["pending"]
    console.goto(f"/admin/interviews/interviewrequest/{pending.pk}/change/")
    save_screenshots(console, "admin-request")
    draft = completed_with_recordings(
        world.student, course=world.courses["ux-designer"]
    )
    console.goto(f"/admin/interviews/interviewtoreview/{draft.pk}/review/")
    save_screenshots(console, "admin-workbench")
