"""Settings of the framework floor in bench/transfers_api: the app's own settings
(middleware, DRF, token authentication, database, cache) serving only bench._floor_urls."""

from postbank.settings import *  # noqa: F403

ROOT_URLCONF = "bench._floor_urls"
