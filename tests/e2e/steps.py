"""What a student and an approver do, step by step, found by role and label."""

import re
from base64 import b32decode
from datetime import timedelta

from django.utils import timezone
from django_otp.oath import TOTP
from playwright.sync_api import expect

from payments.factories import png_bytes

# ---- student -----------------------------------------------------------------


def card(page, course_title):
    """The course card (a list item) whose heading is `course_title`."""
    return page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=course_title, exact=True)
    )


def submit_payment_proof(page, utr, screenshot=None, name="paid.png"):
    """On the pay page: send the UTR and a screenshot (a PNG unless told)."""
    page.get_by_label("UTR (UPI transaction reference)").fill(utr)
    page.get_by_label("Screenshot of the successful payment").set_input_files(
        {
            "name": name,
            "mimeType": "image/png",
            "buffer": screenshot if screenshot is not None else png_bytes(),
        }
    )
    page.get_by_role("button", name="Submit payment proof").click()


def site_local(moment):
    return timezone.localtime(moment, timezone.get_default_timezone())


def bookable_day(days_ahead=2):
    """A date comfortably inside the booking window, as the date input wants it."""
    return (site_local(timezone.now()) + timedelta(days=days_ahead)).strftime(
        "%Y-%m-%d"
    )


def request_slot(page, day, at="10:00", notes=""):
    """On the request form: ask for `day` (YYYY-MM-DD) at `at` (HH:MM)."""
    page.get_by_label("Preferred date").fill(day)
    page.get_by_label(re.compile(r"^Preferred time")).fill(at)
    if notes:
        page.get_by_label("Notes").fill(notes)
    page.get_by_role("button", name="Send request").click()


def record_every_answer(page):
    """In the open room: device check, consent, then record, stop and submit
    each question until the room says the interview is completed."""
    camera_works = page.get_by_role("button", name="My camera and microphone work")
    expect(camera_works).to_be_enabled()
    expect(page.get_by_label("Camera preview")).to_be_visible()
    camera_works.click()
    page.get_by_role("button", name="I agree, start the interview").click()

    done = page.get_by_role("heading", name="Interview completed")
    stop = page.get_by_role("button", name="Stop")
    answered = 0
    while not done.is_visible():
        expect(stop.or_(done)).to_be_visible()
        if done.is_visible():
            break
        page.wait_for_timeout(1200)  # a second of test pattern on the fake camera
        stop.click()
        expect(page.get_by_label("Your answer", exact=True)).to_be_visible()
        page.get_by_role("button", name="Submit answer").click()
        answered += 1
        expect(page.get_by_role("status")).not_to_have_text(re.compile("Uploading"))
    return answered


# ---- approver (the Django admin) ------------------------------------------------


def _code_for(key):
    totp = TOTP(key, step=30, t0=0, digits=6, drift=0)
    return f"{totp.token():06d}"


def enrol_authenticator(admin):
    """First login of an approver: scan (here, read) the secret, type the code,
    see the recovery codes once, continue. Returns the recovery codes."""
    expect(admin.get_by_role("heading", name="Set up two-factor login")).to_be_visible()
    secret = admin.locator(".otp-secret").inner_text().replace(" ", "")
    admin.get_by_label("Code").fill(_code_for(b32decode(secret)))
    admin.get_by_role("button", name="Confirm the code").click()
    expect(admin.get_by_role("heading", name="Two-factor login is on")).to_be_visible()
    codes = admin.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    recovery = [code.strip() for code in codes.all_inner_texts()]
    admin.get_by_role("link", name="I have saved them: continue").click()
    return recovery


def enter_authenticator_code(admin, device):
    """After the password: the code the approver's app shows now."""
    expect(admin.get_by_role("heading", name="Enter your code")).to_be_visible()
    admin.get_by_label("Code").fill(_code_for(device.bin_key))
    admin.get_by_role("button", name="Verify").click()


def open_queue(admin, label):
    """Follow a row of the console index's "What waits" table, by its label."""
    admin.goto("/admin/")
    admin.get_by_role("table", name="What waits").get_by_role(
        "link", name=label
    ).click()


def waiting_count(admin, label):
    admin.goto("/admin/")
    row = admin.get_by_role("table", name="What waits").get_by_role(
        "row", name=re.compile(re.escape(label))
    )
    return int(row.get_by_role("cell").inner_text())


def open_payment(admin, reference):
    open_queue(admin, "Payments to verify")
    admin.get_by_role("link", name=reference, exact=True).click()


def approve_payment(admin, reference):
    open_payment(admin, reference)
    admin.get_by_role("button", name="Approve payment").click()
    expect(admin.get_by_text(f"Approved payment {reference}.")).to_be_visible()


def reject_payment(admin, reference, remarks):
    open_payment(admin, reference)
    admin.get_by_label("Remarks to the student", exact=True).fill(remarks)
    admin.get_by_role("button", name="Reject payment").click()
    expect(admin.get_by_text(f"Rejected payment {reference}.")).to_be_visible()


def open_request(admin, student_name):
    open_queue(admin, "Interview requests to schedule")
    admin.get_by_role("row", name=re.compile(re.escape(student_name))).get_by_role(
        "link"
    ).first.click()


def schedule_request(admin, student_name, at):
    """Approve the student's pending request with the time `at` (aware datetime)."""
    open_request(admin, student_name)
    local = site_local(at)
    admin.get_by_label(re.compile(r"^Date:?$")).fill(local.strftime("%Y-%m-%d"))
    admin.get_by_label(re.compile(r"^Time \(")).fill(local.strftime("%H:%M"))
    admin.get_by_role("button", name="Approve with this schedule").click()
    expect(admin.get_by_text(re.compile(r"scheduled for .*emailed"))).to_be_visible()


def reject_request(admin, student_name, reason):
    open_request(admin, student_name)
    admin.get_by_label(re.compile(r"^Reason \(the student reads this\)")).fill(reason)
    admin.get_by_role("button", name="Reject with this reason").click()
    expect(admin.get_by_text(re.compile(r"rejected\. The student"))).to_be_visible()
