"""Help texts are announced with their fields (issue 16, item 11)."""

import re

from django.urls import reverse


def test_the_password_rules_are_what_the_field_describes(client, db):
    body = client.get(reverse("accounts:signup")).content.decode()

    described = re.search(r'id="id_password1"[^>]*aria-describedby="([^"]+)"', body)
    if described is None:  # attribute order differs
        described = re.search(r'aria-describedby="([^"]+)"[^>]*id="id_password1"', body)
    ids = described.group(1).split()
    helptext = next(i for i in ids if i.endswith("_helptext"))
    # The element holding the rules is a <div>: a <ul> inside a <p> would close
    # the <p> and leave the description empty.
    match = re.search(rf'<div class="help" id="{helptext}">\s*<ul>', body)
    assert match is not None
