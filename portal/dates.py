"""Times as people read them: in the site's time zone (settings.TIME_ZONE)."""

from django.utils import dateformat, timezone


def site_time(moment, fmt="D j M Y, H:i"):
    """`moment` as shown to people: in the site's time zone; "-" when unset."""
    if moment is None:
        return "-"
    return dateformat.format(
        timezone.localtime(moment, timezone.get_default_timezone()), fmt
    )
