"""Verifier settings, read from the environment (12-factor).

Every variable is listed in ``.env.example`` and in the README. With no
environment at all the project refuses to start: ``SECRET_KEY`` is required
unless ``DEBUG`` is on, so a production server can never run on a known key.
"""

import datetime
import math
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean variable; anything but a recognised spelling is an error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off."
    )


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list; blanks are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.") from None


def env_float(name: str, default: float) -> float:
    """Read a positive number, such as seconds to wait."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:  # NaN fails this too
        raise ImproperlyConfigured(
            f"{name} must be a positive number of seconds, not {raw!r}."
        )
    return value


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random string "
            "(e.g. the output of `openssl rand -base64 48`), "
            "or set DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "verifier.exceptions.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "knox",
    "corsheaders",
    "simple_history",
    "axes",
    "verifier",
    "sources",
    "claims",
    "verifier.idempotency",
    "verifier.changes",
    # Before django_tasks_db: its db_worker command is the webhooks app's one.
    "verifier.webhooks",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First: it times the whole request and logs the answer every layer made.
    "verifier.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "verifier.middleware.RequestSizeLimitMiddleware",
    "verifier.middleware.JSONBodyMiddleware",
    "verifier.middleware.MethodNotAllowedMiddleware",
    "verifier.throttling.RateLimitHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "verifier.throttling.SignInThrottleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "verifier.middleware.ContentSecurityPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so it can turn a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out sign-in is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "verifier.urls"
WSGI_APPLICATION = "verifier.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "verifier" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database(url: str) -> dict:
    """One entry of ``DATABASES`` for ``url``: the primary and each replica
    alike, with the app's PostgreSQL options."""
    entry = dj_database_url.parse(
        url,
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    if entry["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with a health check that sends nothing to a server
        # that has not hung up (verifier/postgresql/base.py).
        entry["ENGINE"] = "verifier.postgresql"
        # An unreachable server fails a request within seconds (a 503 to
        # retry), well before gunicorn's 30 s worker timeout would kill it.
        options = entry.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5))
        # Milliseconds; gunicorn.conf.py sets 20 s for the web server, below
        # its worker timeout. Unset (0) for management commands such as migrate.
        if statement_timeout := env_int("DATABASE_STATEMENT_TIMEOUT", 0):
            options["options"] = (
                f"{options.get('options', '')} -c statement_timeout={statement_timeout}"
            ).strip()
    return entry


# PostgreSQL in production and tests; a SQLite file is the zero-setup default.
DATABASES = {
    "default": database(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
# Streaming replicas for the reads of anonymous readers (verifier/routers.py):
# replica1, replica2, … In tests each is the test database itself.
for number, url in enumerate(env_list("DATABASE_REPLICA_URL", []), start=1):
    DATABASES[f"replica{number}"] = {
        **database(url),
        "TEST": {"MIRROR": "default"},
    }
# After a client's write, its reads go to the primary for this long (a
# cookie), so that it sees its own write on a replica that lags.
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 10)
if len(DATABASES) > 1:
    DATABASE_ROUTERS = ["verifier.routers.ReplicaRouter"]
    # Second, inside the request log: it decides where the request reads.
    MIDDLEWARE.insert(1, "verifier.routers.ReplicaMiddleware")
# The API's and the pages' hottest statements are prepared once per database
# session (verifier/postgresql/prepared.py). Off behind a transaction-pooling
# proxy (PgBouncer in transaction mode), which shares sessions between clients.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

# How many proxies of ours stand in front of the app: 0 means the client is
# REMOTE_ADDR; n means the address the outermost proxy saw, from the right of
# X-Forwarded-For. Throttles and sign-in lockouts count by it
# (verifier.throttling.client_ip). Never more than there really are: the rest
# of the header is the client's to forge.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Repeated failed sign-ins lock that username from that address for a while.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "verifier.throttling.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# A 429 with Retry-After: problem details for the API, the page for the admin.
AXES_LOCKOUT_CALLABLE = "verifier.exceptions.lockout_response"

# Reverting from the history page would write past claims.services.
SIMPLE_HISTORY_REVERT_DISABLED = True

LANGUAGE_CODE = "en"
# UTC everywhere: old dates in other zones carry second-level offsets that are
# not valid RFC 3339.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security. Production defaults are strict; each can be relaxed explicitly,
# e.g. SECURE_SSL_REDIRECT=0 behind a proxy that already redirects.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP, from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Our own stylesheet and no scripts: nothing inline, nothing from elsewhere.
# JSON-LD blocks are data, which script-src does not govern.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Sites that may frame the verdict card (``/claims/<slug>/embed/``, and only
# it): origins such as https://news.example.org or https://*.example.org,
# comma-separated, or * for any site. The site itself always may.
_EMBED_ORIGIN = re.compile(r"^\*$|^https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
EMBED_ALLOWED_ORIGINS = [
    origin.rstrip("/") for origin in env_list("EMBED_ALLOWED_ORIGINS", [])
]
for _origin in EMBED_ALLOWED_ORIGINS:
    if not _EMBED_ORIGIN.match(_origin):
        raise ImproperlyConfigured(
            "EMBED_ALLOWED_ORIGINS must list origins such as "
            f"https://news.example.org, or *, not {_origin!r}."
        )
# The admin's autocomplete widget (Select2) sets style attributes, which
# style-src 'self' blocks. Scripts stay as strict there as everywhere else.
CONTENT_SECURITY_POLICY_ADMIN = {
    **CONTENT_SECURITY_POLICY,
    "style-src": ["'self'", "'unsafe-inline'"],
}
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Who publishes the verdicts: the author of every ClaimReview and feed.
PUBLISHER_NAME = os.environ.get("PUBLISHER_NAME", "Verifier")
PUBLISHER_URL = os.environ.get("PUBLISHER_URL", "")

# Request bodies above this are refused (413), in the admin and the API alike.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)

# Throttle counters live in Redis when REDIS_URL is set, otherwise in the
# database (verifier.throttling); either way every process shares them.
# Public pages rendered for anonymous readers (claims.page_cache.public_page) live
# in a cache of their own, so that many pages never evict a throttle history.
# Per process, it holds at most PAGE_CACHE_ENTRIES pages; each for 60 s at most.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "OPTIONS": {"MAX_ENTRIES": env_int("PAGE_CACHE_ENTRIES", 500)},
    },
}
# Redis may fail without failing a request (verifier.cache): each connection
# attempt and each reply waits at most these many seconds; a Redis that failed
# is left alone, pages rendered and throttles counted in the database, and
# tried again every REDIS_RECHECK_SECONDS.
REDIS_CONNECT_TIMEOUT = env_float("REDIS_CONNECT_TIMEOUT", 0.5)
REDIS_TIMEOUT = env_float("REDIS_TIMEOUT", 0.5)
REDIS_RECHECK_SECONDS = env_float("REDIS_RECHECK_SECONDS", 5.0)


def redis_caches(url: str, *, connect_timeout: float, timeout: float) -> dict:
    """Both caches in Redis at ``url``: throttle counters, and pages under
    keys of their own."""
    redis = {
        "BACKEND": "verifier.cache.ResilientRedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "socket_connect_timeout": connect_timeout,
            "socket_timeout": timeout,
        },
    }
    return {"default": redis, "pages": {**redis, "KEY_PREFIX": "pages"}}


if os.environ.get("REDIS_URL"):
    CACHES = redis_caches(
        os.environ["REDIS_URL"],
        connect_timeout=REDIS_CONNECT_TIMEOUT,
        timeout=REDIS_TIMEOUT,
    )

REST_FRAMEWORK = {
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "verifier.rest.ContentNegotiation",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "verifier.rest.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "verifier.rest.MethodAllowed",
        "verifier.rest.RolePermission",
    ],
    "DEFAULT_PARSER_CLASSES": ["verifier.rest.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "verifier.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "verifier.pagination.OrderingFilter",
    ],
    # Counted in Redis or the database, so the limits hold across processes.
    "DEFAULT_THROTTLE_CLASSES": [
        "verifier.throttling.AnonRateThrottle",
        "verifier.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "120/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "1200/minute"),
        "login": os.environ.get("API_THROTTLE_LOGIN", "10/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "verifier.schema.AutoSchema",
    "EXCEPTION_HANDLER": "verifier.exceptions.api_exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "iso-8601",
}

# How long a POST's Idempotency-Key is remembered (clear_idempotency_keys).
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24)

# Background tasks (webhook deliveries): rows in the database, run by
# ``manage.py db_worker`` processes (django-tasks, the backport of Django 6's
# tasks API). A task is enqueued in the transaction of the change it follows.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Webhooks (verifier.webhooks). Targets on private, loopback or link-local
# addresses are refused unless WEBHOOK_ALLOW_PRIVATE is on (local development).
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
# Seconds to wait for a receiver to connect, and then for each read.
WEBHOOK_TIMEOUT = env_float("WEBHOOK_TIMEOUT", 10.0)
# A failed delivery is tried again after WEBHOOK_RETRY_BASE seconds, then
# twice as long each time (at most WEBHOOK_RETRY_MAX_DELAY apart), for
# WEBHOOK_RETRY_HOURS after the change; an endpoint whose deliveries have
# failed without a success for WEBHOOK_DISABLE_AFTER_HOURS is disabled.
WEBHOOK_RETRY_BASE = env_float("WEBHOOK_RETRY_BASE", 5.0)
WEBHOOK_RETRY_MAX_DELAY = env_float("WEBHOOK_RETRY_MAX_DELAY", 3600.0)
WEBHOOK_RETRY_HOURS = env_float("WEBHOOK_RETRY_HOURS", 24.0)
WEBHOOK_DISABLE_AFTER_HOURS = env_float("WEBHOOK_DISABLE_AFTER_HOURS", 24.0)
# A delivery a worker took and did not finish within this many seconds (the
# worker was killed) is run again by another worker.
WEBHOOK_LEASE_SECONDS = env_float("WEBHOOK_LEASE_SECONDS", 120.0)
# What a delivery carries for each kind of object: a callable taking the
# object's id and a user, returning ``(object, JSON)`` or None if that user
# may not see it. The anonymous reader's view is the one sent.
WEBHOOK_REPRESENTATIONS = {"claim": "claims.api.documents.claim_detail_json"}

REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=env_int("API_TOKEN_TTL_DAYS", 30)),
    "AUTO_REFRESH": False,
    "TOKEN_PREFIX": "vrf_",
    # verifier.rest.TokenAuthentication takes "Token" as well.
    "AUTH_HEADER_PREFIX": "Bearer",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Verifier API",
    "DESCRIPTION": (
        "Claims, who asserts and who denies them, the evidence, and every "
        "change of verdict. Reads of published data are public; writes need a "
        "token (`Authorization: Bearer …`). Writes to a claim or its parts send "
        "the claim's `ETag` in `If-Match`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ClaimStatusEnum": "claims.models.Status",
        "StanceEnum": "claims.models.Stance",
        "EvidenceStanceEnum": "claims.models.EvidenceStance",
        "LinkKindEnum": "claims.models.LinkKind",
        "PlaceKindEnum": "claims.models.PlaceKind",
        "SourceKindEnum": "sources.models.SourceKind",
        "ReliabilityEnum": "sources.models.Reliability",
        "AffiliationEnum": "sources.models.Affiliation",
        "VisibilityEnum": "claims.models.Visibility",
    },
}

# Public reads from any origin, so a newsroom page can show a claim's status;
# writes stay same-origin (no credentials, no unsafe methods).
# The API, and the oEmbed endpoint for consumers that ask from a browser.
CORS_URLS_REGEX = r"^/(api|oembed)/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = [
    "ETag",
    "X-Request-ID",
    "Idempotent-Replayed",
    "RateLimit",
    "RateLimit-Policy",
    "Retry-After",
]

# One line per request (verifier.request), each line stamped with the id of
# the request it belongs to, which the response carries in X-Request-ID.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "verifier.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Replaces Django's own console handler, which would print twice.
        "django": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "django.request": {"level": "ERROR"},
        "django.db.backends": {"level": "WARNING"},
        # Lockouts are logged at WARNING; its start-up banner is noise.
        "axes": {"level": "WARNING"},
    },
}
