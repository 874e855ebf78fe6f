from django.conf import settings


def site(request):
    return {
        "SITE_NAME": "Video Interview Portal",
        "TIME_ZONE_NAME": settings.TIME_ZONE,
        "STATUS_POLL_SECONDS": settings.STATUS_POLL_SECONDS,
    }
