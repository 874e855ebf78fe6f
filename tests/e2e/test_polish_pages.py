"""Issue 16, item 11, in the browser: no grey band below the footer of a short
page, at a desktop and a phone width."""

import pytest

from tests.e2e.browser import DESKTOP, PHONE

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_the_footer_reaches_the_bottom_of_a_short_page(new_context, viewport, db):
    page = new_context(viewport=viewport).new_page()
    page.goto("/accounts/password/reset/sent/")  # a few lines of text

    gap = page.evaluate(
        """() => window.innerHeight -
             document.querySelector(".site-footer").getBoundingClientRect().bottom"""
    )

    assert abs(gap) < 1, f"{gap} px of page below the footer"
