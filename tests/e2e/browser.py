"""Helpers for the browser journeys: launching Chromium, sessions, axe, screenshots."""

from pathlib import Path

from django.conf import settings
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
# Playwright's default 30 s hides hangs; pages here answer in well under a second.
TIMEOUT_MS = 10_000
SERIOUS = {"serious", "critical"}


def log_in_context(context, user, base_url):
    """Give a browser context the session cookie of `user`, skipping the form
    (and, for staff, with the second factor passed)."""
    from accounts.testing import log_in_verified

    client = Client()
    log_in_verified(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
    )
    return context


def log_in_with_form(page, username, password):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def axe_violations(page):
    """Run axe-core on the page as it is now; return the serious and critical ones.

    The page's context must bypass the CSP, which forbids the injected script."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v["impact"] in SERIOUS]


def format_violations(where, violations):
    lines = [f"axe: {len(violations)} serious or critical problem(s) on {where}:"]
    for violation in violations:
        lines.append(
            f"- [{violation['impact']}] {violation['id']}: {violation['help']}"
            f" ({violation['helpUrl']})"
        )
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}")
            lines.append(f"      {node['html'][:200]}")
            summary = " ".join(node.get("failureSummary", "").split())
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def horizontal_overflow(page):
    """How many CSS pixels the document is wider than the viewport (0 is good)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"
    )


def save_screenshots(page, name):
    """Save docs/screenshots/<name>-1280.png and <name>-375.png, full page.
    Returns how many pixels the page is wider than the 375 px screen."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    overflow = 0
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        if viewport is PHONE:
            overflow = horizontal_overflow(page)
        page.screenshot(
            path=str(SCREENSHOTS / f"{name}-{viewport['width']}.png"),
            full_page=True,
            animations="disabled",
            caret="hide",
        )
    page.set_viewport_size(DESKTOP)
    return overflow
