"""Loopdesk settings: one module, configured by environment variables.

SQLite (WAL) under LOOPDESK_DATA_DIR is the embedded default; DATABASE_URL switches to PostgreSQL.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("LOOPDESK_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """A stable secret per data dir, so sessions survive restarts without configuration."""
    if key := os.environ.get("LOOPDESK_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("LOOPDESK_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("LOOPDESK_ALLOWED_HOSTS", "*").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("LOOPDESK_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "loopdesk.core",
    "loopdesk.orgs",
    "loopdesk.accounts",
    "loopdesk.customers",
    "loopdesk.assets",
    "loopdesk.catalog",
    "loopdesk.workflows",
    "loopdesk.tickets",
    "loopdesk.sla",
    "loopdesk.integrations",
    "loopdesk.imports",
    "loopdesk.knowledge",
    "loopdesk.problems",
    "loopdesk.rules",
    "loopdesk.assist",
    "loopdesk.api",
    "loopdesk.portal",
    "loopdesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "loopdesk.core.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "loopdesk.core.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "config.urls"
FORM_RENDERER = "loopdesk.core.forms.FormRenderer"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "loopdesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "loopdesk.accounts.context_processors.navigation",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)}
    # Server-side cursors cost a round trip per iterated queryset (every dropdown) and break behind
    # a transaction-pooling PgBouncer; our iterations are small or chunked explicitly.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("LOOPDESK_SQLITE_PATH", str(DATA_DIR / "loopdesk.sqlite3")),
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN
                # so two writers queue on busy_timeout instead of failing with "database is locked".
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "loopdesk" / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Attachments live on disk outside the database and are served only through a permission-checked view.
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media-not-public/"
WHITENOISE_USE_FINDERS = True

TASKS = {
    "default": {
        "BACKEND": os.environ.get("LOOPDESK_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

EMAIL_BACKEND = os.environ.get("LOOPDESK_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOOPDESK_LOG_LEVEL", "WARNING")},
}

# Product policy: how long a customer may reopen a resolved ticket, and after how long a resolved
# ticket closes by itself when nobody answers.
LOOPDESK_REOPEN_WINDOW_DAYS = int(os.environ.get("LOOPDESK_REOPEN_WINDOW_DAYS", "14"))
LOOPDESK_AUTO_CLOSE_DAYS = int(os.environ.get("LOOPDESK_AUTO_CLOSE_DAYS", "7"))
# The address people and other systems reach this deployment at (links in webhooks and callbacks).
LOOPDESK_BASE_URL = os.environ.get("LOOPDESK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Uploaded import spreadsheets are deleted this many days after the import finished.
LOOPDESK_IMPORT_KEEP_DAYS = int(os.environ.get("LOOPDESK_IMPORT_KEEP_DAYS", "30"))
LOOPDESK_ATTACHMENT_MAX_BYTES = int(os.environ.get("LOOPDESK_ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))
LOOPDESK_ATTACHMENT_TYPES = [
    "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain", "text/csv",
    "application/zip", "application/x-zip-compressed", "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]
# How often the worker's scheduler wakes to enqueue periodic jobs (seconds).
LOOPDESK_SCHEDULER_INTERVAL = int(os.environ.get("LOOPDESK_SCHEDULER_INTERVAL", "60"))

NINJA_PAGINATION_PER_PAGE = 50
