"""Local development and the README's run command: SQLite, debug toolbar-free, a dev secret."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-change-me-in-production"  # noqa: F405
