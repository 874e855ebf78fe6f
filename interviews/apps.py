from django.apps import AppConfig


class InterviewsConfig(AppConfig):
    name = "interviews"

    def ready(self):
        # Connects the signals that keep the cached card records fresh, in every
        # process (commands too), not only where a view imports it.
        from interviews import cards  # noqa: F401
