import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
application = get_wsgi_application()
# What start-up loaded (Django, the apps, their models) lives as long as the worker: frozen,
# the garbage collector's full passes no longer walk it on every request that triggers one.
gc.freeze()
