from django.conf import settings

from postbank.menu import menu_for


def site(request):
    user = getattr(request, "user", None)
    return {
        "menu_sections": menu_for(user),
        # Every request moves the session expiry forward, so a fresh page has it all.
        "session_seconds_left": settings.SESSION_COOKIE_AGE,
    }
