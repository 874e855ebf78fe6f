"""Times as people read them: in the site's time zone (settings.TIME_ZONE), in
the site's one form for dates and one for date and time (portal/formats/)."""

import datetime

from django.utils import dateformat, formats, timezone


def _local(moment):
    return timezone.localtime(moment, timezone.get_default_timezone())


def site_time(moment, fmt=None):
    """`moment` as shown to people: in the site's time zone, as DATETIME_FORMAT
    unless `fmt` asks for a machine form (e.g. "Y-m-d"); "-" when unset."""
    if moment is None:
        return "-"
    return dateformat.format(
        _local(moment), fmt or formats.get_format("DATETIME_FORMAT")
    )


def site_date(moment):
    """The day of `moment` (a datetime, in site time, or a date) as DATE_FORMAT."""
    if moment is None:
        return "-"
    if isinstance(moment, datetime.datetime):
        moment = _local(moment)
    return dateformat.format(moment, formats.get_format("DATE_FORMAT"))
