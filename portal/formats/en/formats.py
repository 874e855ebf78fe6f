"""The site's one way of writing dates (issue 16): on every page, in every email
and in the console. Django reads these before its own "en" formats
(FORMAT_MODULE_PATH); templates name them (`|date:"DATETIME_FORMAT"`, `|date`),
Python code goes through portal/dates.py. Names not set here (input formats,
month/year headings) stay Django's."""

DATE_FORMAT = "D j M Y"  # Wed 2 Dec 2026
DATETIME_FORMAT = "D j M Y, H:i"  # Wed 2 Dec 2026, 14:30 (24-hour, site time)
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
