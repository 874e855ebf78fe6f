from django.contrib import admin


class StatusQueueFilter(admin.SimpleListFilter):
    """A status filter that opens on a queue (`default`); "All" is an explicit
    choice. Subclasses set `status_choices` (a TextChoices) and `default`."""

    title = "status"
    parameter_name = "status"
    ALL = "all"
    status_choices = None
    default = None

    def lookups(self, request, model_admin):
        return [*self.status_choices.choices, (self.ALL, "All")]

    def value(self):
        return super().value() or self.default

    def queryset(self, request, queryset):
        if self.value() == self.ALL:
            return queryset
        return queryset.filter(status=self.value())

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }
