from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from accounts.roles import OwnDecisionRefused


class RefuseOwnDecisionsMixin:
    """For a ModelAdmin whose change form runs a transition (in save_model): when
    the transition refuses an approver's own decision, the save is rolled back
    (changeform_view is atomic) and the page says why instead of a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except OwnDecisionRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


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
