"""Recovery Desk settings: every deployment knob is an environment variable.

Each variable is documented once, in README.md ("Configuration"). With none set, the product
runs on its embedded defaults: SQLite under var/, tasks run in-process, mail written to files.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("RECOVERY_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    """A string setting; `NAME_FILE` pointing at a file wins (for secrets mounted as files)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"  # noqa: S105
ALLOWED_HOSTS = [h.strip() for h in env_str("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env_str("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """`X-Forwarded-Proto: https` → ("HTTP_X_FORWARDED_PROTO", "https"); unset → None.

    Opt-in only: trusting the header is right behind a proxy that sets it and wrong anywhere
    else (a client could claim https and get secure-only treatment over plain http)."""
    raw = env_str(name).strip()
    if not raw:
        return None
    header, sep, value = raw.partition(":")
    header, value = header.strip(), value.strip()
    if not sep or not header or not value:
        raise ImproperlyConfigured(f"{name} must look like 'X-Forwarded-Proto: https', not {raw!r}")
    return "HTTP_" + header.upper().replace("-", "_"), value


# Transport security. Off in DEBUG so `make run` works over plain http; on by default otherwise,
# so a production deployment is secure unless someone turns a knob off on purpose.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# The header only: a domain joins browsers' preload lists only when someone submits it.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)

# Content-Security-Policy (django-csp). Scripts only from this site, and inline ones only with
# the per-request nonce (templates write nonce="{{ request.csp_nonce }}"). Wagtail's date, time
# and date-time widgets start their pickers from inline scripts: recovery/templates overrides
# those widget templates and recovery/static/recovery/js/csp-widgets.js starts them instead.
# Styles may be inline: Wagtail's admin sets style attributes in its templates and scripts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Lower case on purpose: any upper-case CSP_* name is a setting, and django-csp 4 refuses
# every manage.py command (csp.E001) when it sees one.
if _csp_report_uri := env_str("CSP_REPORT_URI").strip():
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [_csp_report_uri]
BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = BASE_URL
WAGTAIL_SITE_NAME = "Recovery Desk"
# No avatars from Gravatar: the admin must not call out to third parties with staff e-mails.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# An approved workflow publishes through the model's approval service, never by itself.
WAGTAIL_FINISH_WORKFLOW_ACTION = "recovery.services.approvals.workflow_finish"

INSTALLED_APPS = [
    "recovery",
    "litigation",
    "assets",
    "documents",
    "wagtail.contrib.forms",
    "wagtail.contrib.settings",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.users",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a sign-in refused for a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# DATABASE_URL: postgres://user:pass@host:5432/name or sqlite:////abs/path.sqlite3
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    # The zero-setup default: an embedded SQLite file under var/.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'recovery.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    # Django's default similarity bound (0.7) lets the user name twice with a digit through
    # (lawyer2lawyer2 for "lawyer" scores 0.6). Lower than 0.6 starts refusing random
    # passwords that merely share a few letters with a short part of the e-mail address.
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"max_similarity": 0.6},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "wagtailadmin_login"

# Brute-force protection (django-axes): the admin sign-in and HTTP Basic on the API both go
# through authenticate(), so the first backend refuses a locked-out account or address before
# the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins that lock an account (from any address), and that lock one address (over all
# user names). The address limit is higher: a bank's staff often share one address (NAT, a
# proxy), and one person's typos must not lock the whole office out.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 30)
for _name, _limit in (
    ("LOGIN_FAILURE_LIMIT", LOGIN_FAILURE_LIMIT),
    ("LOGIN_ADDRESS_FAILURE_LIMIT", LOGIN_ADDRESS_FAILURE_LIMIT),
):
    if _limit < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1, not {_limit}")
# axes compares the larger of its per-parameter counts with one limit; with two limits the
# callable decides (recovery/accounts.py).
AXES_FAILURE_LIMIT = "recovery.admin.accounts.failure_limit"
_cooloff_minutes = env_int("LOGIN_COOLOFF_MINUTES", 30)
if _cooloff_minutes < 0:
    raise ImproperlyConfigured(f"LOGIN_COOLOFF_MINUTES must be 0 or more, not {_cooloff_minutes}")
# 0: locked until the head of recovery unlocks (Settings → locked accounts).
AXES_COOLOFF_TIME = timedelta(minutes=_cooloff_minutes) if _cooloff_minutes else None
# Counted per user name (guesses spread over many addresses) and per address (one address
# trying many user names); either one reaching its limit locks.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "recovery.admin.accounts.lockout_response"
AXES_CLIENT_IP_CALLABLE = "recovery.admin.accounts.client_ip"
# Behind a reverse proxy every request comes from the proxy's address: name the header the
# proxy sets to the client's address (e.g. X-Real-IP), or one address locks everyone out.
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER").strip()
# The head's list of lockouts lives in the Wagtail admin; Django's admin is not mounted.
AXES_ENABLE_ADMIN = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Uploaded proofs and hand-over files above this size are refused (bytes).
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024
# Bounded JSON input (the calculator API and commands): a body larger than API_MAX_BODY_BYTES
# gets 413, more than API_MAX_ITEMS objects in one call 400; nesting and number length are
# checked before the values are used (Python's json recursion and int() limits give 500s).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)
API_MAX_ITEMS = env_int("API_MAX_ITEMS", 1000)
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", 20)
JSON_MAX_NUMBER_DIGITS = env_int("JSON_MAX_NUMBER_DIGITS", 30)
# Hand-over files with more (estimated) rows than this are checked and imported by a Celery
# task behind a progress bar; smaller ones run within the request.
HANDOVER_ASYNC_ROWS = env_int("HANDOVER_ASYNC_ROWS", 2000)
# What one hand-over file may cost: records read (counted while reading, whatever the sheet
# declares), bytes an .xlsx unpacks to, and its parts' compression ratio (zip bombs).
HANDOVER_MAX_ROWS = env_int("HANDOVER_MAX_ROWS", 200_000)
HANDOVER_MAX_UNPACKED_BYTES = env_int("HANDOVER_MAX_UNPACKED_BYTES", 512 * 1024 * 1024)
HANDOVER_MAX_COMPRESSION_RATIO = env_int("HANDOVER_MAX_COMPRESSION_RATIO", 200)
# Problems kept per import run (the first ones by row; the total is counted and shown).
HANDOVER_MAX_ERRORS = env_int("HANDOVER_MAX_ERRORS", 1000)
# A background import whose worker reported no progress for this long is marked failed.
HANDOVER_STALE_SECONDS = env_int("HANDOVER_STALE_SECONDS", 900)
# A checked file not confirmed within this time must be checked again before it is imported.
HANDOVER_PREVIEW_SECONDS = env_int("HANDOVER_PREVIEW_SECONDS", 24 * 60 * 60)

# Mail: with EMAIL_HOST set mail goes over SMTP, otherwise into files under var/mail.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Recovery Desk <recovery-desk@localhost>")

# Celery: with CELERY_BROKER_URL unset, tasks run in-process (no Redis needed to try it out).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://localhost/"  # never used while eager; keeps kombu quiet
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# The cache carries what several processes share while a transaction is still open (an
# import's progress): Redis when there is one, otherwise files under var/.
CACHE_URL = env_str("CACHE_URL", CELERY_BROKER_URL if (CELERY_BROKER_URL or "").startswith("redis") else "")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Hand-over rows that name no branch, imported by someone without one, go to this branch.
RECOVERY_DEFAULT_BRANCH = env_str("RECOVERY_DEFAULT_BRANCH", "总行")
# The institution documents are issued in the name of (document templates' `creditor.*`); an empty
# name falls back to the case's branch.
CREDITOR_NAME = env_str("CREDITOR_NAME")
CREDITOR_ADDRESS = env_str("CREDITOR_ADDRESS")
CREDITOR_REPRESENTATIVE = env_str("CREDITOR_REPRESENTATIVE")
CREDITOR_CREDIT_CODE = env_str("CREDITOR_CREDIT_CODE")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "jpg", "jpeg", "png"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Wagtail's reference-index task logs every run at INFO; that is noise on the console.
    # Celery logs every task at INFO; in eager mode (no broker) that lands in command output.
    # django-axes announces itself at every start: noise in every command's output.
    "loggers": {
        "django_tasks": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},
    },
}

if os.environ.get("RECOVERY_TESTING"):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A workflow-managed snippet for the tests of the approval hook, with its own migrations.
    INSTALLED_APPS += ["tests.approvals_app"]
    # Tasks run in-process in tests; the tests that need a real worker start one on Redis.
    CELERY_TASK_ALWAYS_EAGER = True

# A claim on an alert older than this is taken to be a crashed worker's and is claimed again.
ALERT_CLAIM_STALE_SECONDS = env_int("ALERT_CLAIM_STALE_SECONDS", 600)
# First retry of a failed alert mail after this many seconds, doubling up to an hour.
ALERT_RETRY_BASE_SECONDS = float(env_str("ALERT_RETRY_BASE_SECONDS", "30"))
