"""Database expressions the analytics page groups by: seconds between two times,
and the site-time date, hour and weekday of a time.

Django's own versions are right everywhere but, on SQLite, run a Python function
per row (`django_timestamp_diff`, `django_datetime_cast_date`): 4-7 us a row,
which is most of a second over the scale data. On SQLite these compile to its
native `julianday()` / `strftime()` instead, which are exact for a site time zone
whose UTC offset does not change inside the period (Asia/Kolkata never does; a
DST zone falls back to Django's functions for periods that cross a change).
PostgreSQL and MySQL use their native SQL; a MongoDB backend needs an `as_mql`
for `SecondsBetween` (its `$dateDiff`).
"""

from datetime import datetime, timedelta

from django.db.models import FloatField, Func, IntegerField
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate


def fixed_utc_offset(tz, start, end):
    """The zone's UTC offset in whole minutes if it is the same all through
    [start, end] (checked at every day boundary), else None."""
    offsets = set()
    moment = start
    while moment < end:
        offsets.add(tz.utcoffset(moment.replace(tzinfo=None)))
        moment += timedelta(days=1)
    offsets.add(tz.utcoffset(end.replace(tzinfo=None)))
    if len(offsets) != 1:
        return None
    (offset,) = offsets
    return int(offset.total_seconds() // 60)


class SecondsBetween(Func):
    """end - start in seconds (a float), or NULL when either is NULL."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::float",
            arg_joiner=" - ",
            **extra,
        )

    def as_mysql(self, compiler, connection, **extra):
        end, start = self.source_expressions
        return Func(
            start, end, template="TIMESTAMPDIFF(MICROSECOND, %(expressions)s) / 1e6"
        ).as_sql(compiler, connection)

    def as_mql_expr(self, compiler, connection):
        # MongoDB (issue 18): date - date is milliseconds; null when either is.
        end, start = (
            expression.as_mql(compiler, connection, as_expr=True)
            for expression in self.get_source_expressions()
        )
        return {"$divide": [{"$subtract": [end, start]}, 1000.0]}


def _shift(minutes):
    return f"{minutes:+d} minutes"


class SiteDate(TruncDate):
    """The date in `tzinfo`; native on SQLite when the offset is fixed."""

    def __init__(self, expression, tzinfo, fixed_offset=None, **extra):
        self.fixed_offset = fixed_offset
        super().__init__(expression, tzinfo=tzinfo, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        if self.fixed_offset is None:
            return super().as_sqlite(compiler, connection, **extra)
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, %s)", (*params, _shift(self.fixed_offset))

    def as_mql_expr(self, compiler, connection):
        # MongoDB (issue 18): the backend's TruncDate refuses a time zone. The
        # local date as text, read back as that date at midnight (as DateFields
        # are stored), and convert_value keeps the date as it is.
        local_day = {
            "$dateToString": {
                "format": "%Y-%m-%d",
                "date": self.lhs.as_mql(compiler, connection, as_expr=True),
                "timezone": self.get_tzname(),
            }
        }
        return {
            "$dateFromString": {"dateString": {"$concat": [local_day, "T00:00:00"]}}
        }

    def convert_value(self, value, expression, connection):
        if connection.vendor == "mongodb":
            # Midnight UTC of the local date: that date, not shifted again.
            return value.date() if isinstance(value, datetime) else value
        return super().convert_value(value, expression, connection)


class SiteHour(ExtractHour):
    """The hour (0-23) in `tzinfo`; native on SQLite when the offset is fixed."""

    def __init__(self, expression, tzinfo, fixed_offset=None, **extra):
        self.fixed_offset = fixed_offset
        super().__init__(expression, tzinfo=tzinfo, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        if self.fixed_offset is None:
            return super().as_sqlite(compiler, connection, **extra)
        sql, params = compiler.compile(self.lhs)
        template = "CAST(strftime('%%H', {}, %s) AS INTEGER)"
        return template.format(sql), (*params, _shift(self.fixed_offset))


class SiteIsoWeekDay(ExtractIsoWeekDay):
    """The ISO weekday (1 Monday .. 7 Sunday) in `tzinfo`."""

    output_field = IntegerField()

    def __init__(self, expression, tzinfo, fixed_offset=None, **extra):
        self.fixed_offset = fixed_offset
        super().__init__(expression, tzinfo=tzinfo, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        if self.fixed_offset is None:
            return super().as_sqlite(compiler, connection, **extra)
        sql, params = compiler.compile(self.lhs)
        # strftime's %w counts from Sunday = 0.
        template = "((CAST(strftime('%%w', {}, %s) AS INTEGER) + 6) %% 7 + 1)"
        return template.format(sql), (*params, _shift(self.fixed_offset))
