"""Template helpers for the review workbench and the feedback report (issue 16)."""

from django import template

from interviews.models import seconds_label

register = template.Library()


@register.filter
def minutes_seconds(value):
    """75.4 -> "1:15"; None -> ""."""
    return seconds_label(value)
