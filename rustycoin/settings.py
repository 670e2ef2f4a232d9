"""Django settings, driven by the environment (see docs/OPERATIONS.md).

With no environment at all this is the embedded default of `make run`: development mode,
SQLite in the data directory, the in-memory channel layer and Celery tasks run in-process.
`DATABASE_URL` selects Postgres (psycopg 3), `REDIS_URL` selects channels-redis and the
Celery broker, and `RUSTY_ENV=production` turns on the deployment hardening that
`manage.py check --deploy` looks for (and requires `DJANGO_SECRET_KEY`).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from rustycoin.env import database_from_url, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

RUSTY_ENV = env_str("RUSTY_ENV", "development")
if RUSTY_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"RUSTY_ENV={RUSTY_ENV!r}: use development or production")
PRODUCTION = RUSTY_ENV == "production"

RUSTY_NETWORK = env_str("RUSTY_NETWORK", "devnet")
RUSTY_DATADIR = Path(env_str("RUSTY_DATADIR", str(BASE_DIR / "data"))).resolve()
RUSTY_NETWORK_DIR = RUSTY_DATADIR / RUSTY_NETWORK
RUSTY_RPC_URL = env_str("RUSTY_RPC_URL", "")

DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)


def _secret_key() -> str:
    key = env_str("DJANGO_SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when RUSTY_ENV=production")
    # Development: a random key kept in the data dir so sessions survive restarts.
    path = RUSTY_DATADIR / "django-secret-key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "template_partials",
    "indexer",
    "explorer",
    "governance_ui",
    "wallet_ui",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "rustycoin.urls"
ASGI_APPLICATION = "rustycoin.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rustycoin.context.site",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL")
if _database_url:
    DATABASES = {"default": database_from_url(_database_url)}
else:
    RUSTY_NETWORK_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": RUSTY_NETWORK_DIR / "web.sqlite3",
            # WAL: pages keep reading while the indexer in the node process writes.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py's default 5 s socket timeout equals channels-redis's 5 s blocking read,
            # so idle websocket receivers would time out and drop: give reads more room.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": env_str("RUSTY_CHANNEL_PREFIX", "asgi"),
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# Periodic tasks (`celery beat`; the embedded `manage.py run` runs them from a timer thread).
RUSTY_STATS_INTERVAL = env_int("RUSTY_STATS_INTERVAL", 300)
CELERY_BEAT_SCHEDULE = {
    "daily-stats": {
        "task": "indexer.tasks.update_daily_stats",
        "schedule": float(RUSTY_STATS_INTERVAL),
    },
}

# The indexer in the node process (docs/INDEXER.md): catch-up batch limits and how often
# the mempool snapshot is written.
RUSTY_INDEXER_BATCH_BLOCKS = env_int("RUSTY_INDEXER_BATCH_BLOCKS", 500)
RUSTY_INDEXER_BATCH_TXS = env_int("RUSTY_INDEXER_BATCH_TXS", 20_000)
RUSTY_MEMPOOL_SNAPSHOT_SECONDS = env_int("RUSTY_MEMPOOL_SNAPSHOT_SECONDS", 3)

# Django's cache: Redis when REDIS_URL is set (shared by every web worker: the API's rate
# limits and short-lived answers), else per-process memory.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "rusty",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# REST API (docs/REST.md): per-client-IP limits, 0 = off. RATE requests per RATE_WINDOW
# seconds and BURST requests per BURST_WINDOW seconds; PROXY_DEPTH = trusted reverse proxies
# in front (the client IP is then read from X-Forwarded-For); CORS_ORIGIN "" = no CORS header.
RUSTY_API_RATE = env_int("RUSTY_API_RATE", 600)
RUSTY_API_RATE_WINDOW = env_int("RUSTY_API_RATE_WINDOW", 60)
RUSTY_API_BURST = env_int("RUSTY_API_BURST", 50)
RUSTY_API_BURST_WINDOW = env_int("RUSTY_API_BURST_WINDOW", 1)
RUSTY_API_PROXY_DEPTH = env_int("RUSTY_API_PROXY_DEPTH", 0)
RUSTY_API_CORS_ORIGIN = env_str("RUSTY_API_CORS_ORIGIN", "*")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))

# Security: safe defaults everywhere, deployment hardening in production.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("RUSTY_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
