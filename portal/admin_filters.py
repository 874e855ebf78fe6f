from django.contrib import admin, messages
from django.contrib.admin.utils import get_fields_from_path
from django.http import HttpResponseRedirect

from accounts.roles import OwnDecisionRefused

# The query parameters Django's own field filters use (Boolean, Choices, Date,
# AllValues, Related): comparisons only, never a regex or a text search.
_FIELD_FILTER_SUFFIXES = ("", "__exact", "__isnull", "__gte", "__gt", "__lt", "__lte")


class ListedLookupsOnlyMixin:
    """A changelist filters only through its `list_filter` (and the few
    parameters its own links use, `extra_lookups`). Anything else, e.g.
    `?utr__regex=[` or `?student__password__startswith=x`, is a 400
    (DisallowedModelAdminLookup) before any query runs.

    Django's default allows any lookup on the model's own fields, regex
    included: a broken pattern is a 500 and a catastrophic one stalls a worker.
    """

    extra_lookups = ()

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in self.allowed_lookups(request)

    def allowed_lookups(self, request=None):
        allowed = set(self.extra_lookups)
        list_filter = (
            self.get_list_filter(request) if request is not None else self.list_filter
        )
        for item in list_filter:
            if isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
                allowed.add(item.parameter_name)
                continue
            path = item[0] if isinstance(item, list | tuple) else item
            allowed.update(path + suffix for suffix in _FIELD_FILTER_SUFFIXES)
            field = get_fields_from_path(self.model, path)[-1]
            if field.is_relation:
                allowed.add(f"{path}__{field.target_field.name}__exact")
        return allowed


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
