"""Waypoint settings, read from the environment.

Every value that differs between a laptop and a server comes from an environment
variable; the defaults suit local development on SQLite.
"""

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}.")


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


# Off unless asked for: a forgotten variable must not expose debug pages.
DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. It is required when DJANGO_DEBUG is off; "
            "set it to a long random string (for local development, set DJANGO_DEBUG=1 instead)."
        )
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_tasks_db",
    "crontask",
    "accounts",
    "roadmap",
    "cohorts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compress to a fraction of their size. Django's gzip pads each response
    # with random bytes against BREACH, and CSRF tokens are masked per response.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Ours (config/http.py): NUL bytes refused before anything reads the database.
    "config.http.UnstorableInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # django-allauth: keeps a sign-in that waits for a verified address in the session.
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Ours (config/http.py): send signed-out htmx requests to sign-in, keep private
    # answers out of every cache.
    "config.http.SignInAgainMiddleware",
    "config.http.PrivatePagesMiddleware",
    # Last: it turns a request that a sign-in or reset limit refused into a 429 page.
    "accounts.security.RefusalMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

# SQLite in var/ by default; PostgreSQL (or anything dj-database-url knows) through
# DATABASE_URL.
SQLITE_PATH = BASE_DIR / "var" / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE transactions take
    # the write lock up front, so concurrent writers wait (busy timeout) instead
    # of failing with "database is locked" half-way through a transaction.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
        ),
    }
    # Tests use a file too: an in-memory database shares one cache between threads
    # and answers concurrent writers with "table is locked" instead of waiting.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-db.sqlite3")}
    SQLITE_PATH.parent.mkdir(exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# One backend: Django's, with every guess counted before the password is hashed
# (accounts/throttle.py). django-allauth's sign-in calls authenticate(email=...) and so
# comes through it too; a second backend would hash a wrong password a second time.
# Sessions name this path, so it stays as it is.
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Older hashes keep working and are upgraded at the next sign-in.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "start"
# After sign-up: the new student follows WAYPOINT_DEFAULT_ROADMAP, then goes on.
WAYPOINT_AFTER_SIGN_UP_URL = "roadmap:welcome"
LOGOUT_REDIRECT_URL = "home"

# Sign-up, sign-in, verification and password reset: django-allauth (accounts/adapter.py,
# accounts/forms.py, templates/account/). Sign-in by email only: User has no username.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_FORMS = {
    "login": "accounts.forms.SignInForm",
    "signup": "accounts.forms.SignUpForm",
    "change_password": "accounts.forms.GuardedChangePasswordForm",
    "reset_password": "accounts.forms.LimitedResetPasswordForm",
    "reset_password_from_key": "accounts.forms.ResetSetPasswordForm",
}
# A taken address at sign-up, or an unknown one at password reset, gets the same answer
# as any other; the address's owner is told by mail instead of the person asking. allauth
# can only do so for sign-up when verification is mandatory (WAYPOINT_EMAIL_VERIFICATION):
# with optional or none, sign-up says the address is taken (docs/deploy.md).
ACCOUNT_PREVENT_ENUMERATION = True
# No mail to addresses that have no account: the reset form cannot be used to mail strangers.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
# Reset links and verification links carry the site's scheme.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Our subjects (templates/account/email/) name Waypoint themselves.
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = True
# One limit per concern (docs/deploy.md, "Limits"). Password guesses and reset mails are
# counted in the database by accounts/throttle.py, shared by every app server with or
# without Redis; allauth's counts for the same things live in the cache (per process
# without Redis), so they are turned off rather than run twice. allauth keeps the limits
# that ours never had (at their defaults): sign-ups per address (20 a minute), one
# verification mail per address every 3 minutes, reset-link pages (20 a minute per address).
ACCOUNT_RATE_LIMITS = {
    "login_failed": None,
    "login": None,
    "change_password": None,
    "reset_password": None,
}


def oidc_providers(raw: str) -> list[dict]:
    """WAYPOINT_OIDC_PROVIDERS, a JSON list of {"id", "name", "server_url", "client_id",
    "secret"} and optionally "verified_domains" (a list), as allauth's openid_connect
    apps; ImproperlyConfigured names what is wrong."""
    try:
        providers = json.loads(raw or "[]")
    except json.JSONDecodeError as error:
        raise ImproperlyConfigured(f"WAYPOINT_OIDC_PROVIDERS is not valid JSON: {error}") from None
    keys = {"id", "name", "server_url", "client_id", "secret"}
    if not isinstance(providers, list) or not all(isinstance(p, dict) for p in providers):
        raise ImproperlyConfigured("WAYPOINT_OIDC_PROVIDERS must be a JSON list of objects.")
    for provider in providers:
        if missing := sorted(keys - provider.keys()):
            raise ImproperlyConfigured(
                f"WAYPOINT_OIDC_PROVIDERS: a provider lacks {', '.join(missing)}."
            )
        if not str(provider["server_url"]).startswith("https://") and not DEBUG:
            raise ImproperlyConfigured(
                f"WAYPOINT_OIDC_PROVIDERS: {provider['id']}'s server_url must be https://."
            )
    return [
        {
            "provider_id": p["id"],
            "name": p["name"],
            "client_id": p["client_id"],
            "secret": p["secret"],
            "settings": {"server_url": p["server_url"]}
            # Optional: addresses at these domains count as verified without the provider's
            # email_verified claim, which Microsoft Entra does not send; only for a
            # provider that alone controls them (a single-tenant Entra app).
            | ({"verified_email": p["verified_domains"]} if p.get("verified_domains") else {}),
        }
        for p in providers
    ]


# College sign-in: OpenID Connect (Google Workspace, Microsoft Entra) through allauth's
# socialaccount (accounts/adapter.py SocialAccountAdapter; docs/deploy.md, "College
# sign-in"). Providers come from WAYPOINT_OIDC_PROVIDERS or the admin (Social applications).
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
SOCIALACCOUNT_FORMS = {"signup": "accounts.forms.SocialSignUpForm"}
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": oidc_providers(os.environ.get("WAYPOINT_OIDC_PROVIDERS", "")),
    }
}
# An address counts as verified only when the provider says so (its email_verified
# claim): allauth's VERIFIED_EMAIL stays off. A verified provider address that belongs to
# an account whose own address is verified signs in to that account and connects the
# provider to it (SocialAccountAdapter.authenticate_by_email): never an account whose
# address nobody confirmed, which someone else may have created to wait for its owner.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# A new person always sees the short form (batch, entry year, programme) first.
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_STORE_TOKENS = False
# Only these email domains may sign in or sign up through a provider ("" = any):
# "college.edu,students.college.edu".
WAYPOINT_SIGN_IN_DOMAINS = [d.lower() for d in env_list("WAYPOINT_SIGN_IN_DOMAINS", "")]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Twelve spaces, or "aaaaaaaaaaaa", are twelve characters too.
    {"NAME": "accounts.validators.DistinctCharactersValidator", "OPTIONS": {"min_distinct": 5}},
]

LANGUAGE_CODE = "en-in"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Asia/Kolkata")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# In production whitenoise serves collected, compressed files with far-future cache
# headers under hashed names; development and tests read the source folders.
STATIC_MANIFEST = env_bool("DJANGO_STATIC_MANIFEST", not DEBUG)
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Mail (email verification, password resets). With DJANGO_EMAIL_HOST: SMTP. Without it,
# in development (DEBUG on): printed to the console, readable (accounts/mail.py). Without
# it in production: mail is off. The password-reset pages then say so and send nothing,
# and the deployment check says so (accounts.W001); nothing is printed nor lost silently.
email_host = os.environ.get("DJANGO_EMAIL_HOST", "")
MAIL_DELIVERS = bool(email_host) or DEBUG
if email_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": email_host,
                "port": int(os.environ.get("DJANGO_EMAIL_PORT", "587")),
                "username": os.environ.get("DJANGO_EMAIL_USER", ""),
                "password": os.environ.get("DJANGO_EMAIL_PASSWORD", ""),
                "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", True),
                "timeout": 10,
            },
        }
    }
elif DEBUG:
    MAILERS = {"default": {"BACKEND": "accounts.mail.ReadableConsoleBackend"}}
else:
    MAILERS = {"default": {"BACKEND": "accounts.mail.MailOffBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "Waypoint <noreply@localhost>")
# Links in mail and in the calendar feed are absolute: the address people open Waypoint at.
WAYPOINT_BASE_URL = os.environ.get(
    "WAYPOINT_BASE_URL", "http://127.0.0.1:8000" if DEBUG else ""
).rstrip("/")
# A mail that could not be handed to the SMTP relay (it was down, or answered 4xx) is
# tried again after each of these waits, in minutes; then it is given up.
WAYPOINT_MAIL_RETRY_MINUTES = [
    int(minutes) for minutes in env_list("WAYPOINT_MAIL_RETRY_MINUTES", "1,5,30,120,720")
]

# Email verification (WAYPOINT_EMAIL_VERIFICATION): "mandatory" (the default: nobody signs
# in before following the link mailed to them), "optional" (a link is mailed, sign-in works
# at once) or "none". It needs mail: without it (production with no SMTP relay) nothing
# could be verified, so the default is then "none" and the deployment check says so
# (accounts.W001); asking for verification without mail stops the start.
WAYPOINT_EMAIL_VERIFICATION = os.environ.get(
    "WAYPOINT_EMAIL_VERIFICATION", "mandatory" if MAIL_DELIVERS else "none"
).strip()
if WAYPOINT_EMAIL_VERIFICATION not in {"mandatory", "optional", "none"}:
    raise ImproperlyConfigured(
        "WAYPOINT_EMAIL_VERIFICATION must be mandatory, optional or none, "
        f"not {WAYPOINT_EMAIL_VERIFICATION!r}."
    )
if WAYPOINT_EMAIL_VERIFICATION != "none" and not MAIL_DELIVERS:
    raise ImproperlyConfigured(
        f"WAYPOINT_EMAIL_VERIFICATION={WAYPOINT_EMAIL_VERIFICATION} needs mail: set "
        "DJANGO_EMAIL_HOST (docs/deploy.md, 'Mail'), or WAYPOINT_EMAIL_VERIFICATION=none."
    )
ACCOUNT_EMAIL_VERIFICATION = WAYPOINT_EMAIL_VERIFICATION

# Shared cache (and so shared rate-limit state) when several app servers run: Redis.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
    # Sessions read from the cache, written through to the database.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # Nothing that must be shared between app servers lives in this cache: sessions
    # are then kept in the database (and sign-in counts always are).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work (mail, digests, notifications) on Django's task framework. The queue is
# a table in the database (django-tasks-db): `manage.py db_worker` works it, and several
# workers on several machines each claim a task with SELECT ... FOR UPDATE SKIP LOCKED on
# PostgreSQL (an exclusive transaction on SQLite), so none runs twice. `manage.py crontask`
# enqueues the recurring work (each app's tasks.py); with Redis, a lock there keeps a
# second scheduler idle until the first stops (docs/deploy.md, "Worker and scheduler").
# Without Redis, run one scheduler: the work it enqueues is safe to run twice anyway.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A second scheduler (another server) waits for the lock instead of giving up, and takes
# over within LOCK_TIMEOUT seconds of the first one stopping: a hot standby.
CRONTASK = {"REDIS_URL": os.environ.get("REDIS_URL") or None, "LOCK_BLOCKING_TIMEOUT": None}
# /health/ says the queue is not being worked when a task has waited longer than this.
WAYPOINT_QUEUE_STALE_SECONDS = int(os.environ.get("WAYPOINT_QUEUE_STALE_SECONDS", "600"))

# Security. Production (DEBUG off) is strict by default; each switch can be turned
# off from the environment, e.g. for plain-HTTP smoke tests on loopback.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# The load balancer's health probe speaks plain HTTP to the app server.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
# Strict by default, as Django's deployment check asks; a site whose subdomains are not
# all on HTTPS turns these off (see docs/deploy.md).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
# Behind a TLS-terminating proxy or load balancer that sets X-Forwarded-Proto:
# set DJANGO_TRUST_X_FORWARDED_PROTO=1 (only if the proxy always overwrites it).
if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A stale form (signed out, or in again, in another tab) is told to reload, in our words.
CSRF_FAILURE_VIEW = "config.http.csrf_failure"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SIGN_IN_ORIGINS = sorted(
    {
        "{0.scheme}://{0.netloc}".format(urlsplit(app["settings"]["server_url"]))
        for app in SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]
    }
)
# Everything is served from our own origin: no CDN, no inline script or style.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    # The college sign-in button's POST is answered with a redirect to the provider: only
    # providers from WAYPOINT_OIDC_PROVIDERS are allowed here, not ones added in the admin.
    "form-action": [CSP.SELF, *SIGN_IN_ORIGINS],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Password guesses and reset mails (accounts/throttle.py). Each guess at a password is
# counted in the database before the password is hashed; past a limit it is refused
# with a 429 page, at no hashing cost. Limits per window of WAYPOINT_LOGIN_COOLOFF_MINUTES:
# guesses at one account from one address, and guesses from one address at any accounts.
WAYPOINT_GUESSES_PER_ACCOUNT = int(os.environ.get("WAYPOINT_LOGIN_FAILURE_LIMIT", "5"))
WAYPOINT_GUESSES_PER_ADDRESS = int(os.environ.get("WAYPOINT_LOGIN_ADDRESS_LIMIT", "30"))
# ... of which at most this many in a minute: a flood's first burst of password
# hashing must leave the workers free for everyone else (and the health probe). More
# than the per-account limit, so a person who mistyped is told about their account.
WAYPOINT_GUESS_BURST = int(os.environ.get("WAYPOINT_LOGIN_BURST_LIMIT", "10"))
WAYPOINT_GUESS_BURST_SECONDS = int(os.environ.get("WAYPOINT_LOGIN_BURST_SECONDS", "60"))
WAYPOINT_GUESS_WINDOW_SECONDS = 60 * int(os.environ.get("WAYPOINT_LOGIN_COOLOFF_MINUTES", "15"))
# Reset mails per hour: requests from one address, mails to one account.
WAYPOINT_RESET_MAILS_PER_ADDRESS = int(os.environ.get("WAYPOINT_RESET_ADDRESS_LIMIT", "10"))
WAYPOINT_RESET_MAILS_PER_ACCOUNT = int(os.environ.get("WAYPOINT_RESET_ACCOUNT_LIMIT", "3"))
# Pages anyone can open by their address (accounts.throttle.public_page): requests from
# one address per window, and among them the addresses that lead nowhere (404s), so that
# nobody finds an unsubscribe token or a portfolio name by trying many.
# A campus's students and visitors often share one address: room for a career fair's
# worth of scans, and for the typos and stale links among them.
WAYPOINT_PUBLIC_PAGES_PER_ADDRESS = int(os.environ.get("WAYPOINT_PUBLIC_PAGES_PER_ADDRESS", "1200"))
WAYPOINT_PUBLIC_MISSES_PER_ADDRESS = int(os.environ.get("WAYPOINT_PUBLIC_MISSES_PER_ADDRESS", "60"))
WAYPOINT_PUBLIC_WINDOW_SECONDS = int(os.environ.get("WAYPOINT_PUBLIC_WINDOW_SECONDS", "600"))
# An IPv6 client is counted by its network of this size: a home or a phone has a whole /64.
WAYPOINT_IPV6_PREFIX = int(os.environ.get("WAYPOINT_IPV6_PREFIX", "64"))
# Behind proxies, the client address is read from X-Forwarded-For, counting this many
# proxies from the right (accounts/security.py); 0 uses the connection's address.
WAYPOINT_PROXY_COUNT = int(os.environ.get("WAYPOINT_PROXY_COUNT", "0"))

# Waypoint's own settings.
# The Indian academic year starts in July: a batch admitted in 2025 is in year 1
# from July 2025 to June 2026.
WAYPOINT_ACADEMIC_YEAR_START_MONTH = int(os.environ.get("WAYPOINT_ACADEMIC_YEAR_START_MONTH", "7"))
# A cohort student with no change for this many days shows as inactive to mentors.
WAYPOINT_INACTIVE_DAYS = int(os.environ.get("WAYPOINT_INACTIVE_DAYS", "14"))
# Weekly digests (students and mentors) leave at this local time (TIME_ZONE) on this day:
# a crontab line whose day of week is a name (django-crontask), e.g. "0 7 * * Mon".
WAYPOINT_DIGEST_SCHEDULE = os.environ.get("WAYPOINT_DIGEST_SCHEDULE", "0 7 * * Mon")
# A mentor hears of new evidence to review at most once in this many hours.
WAYPOINT_REVIEW_MAIL_HOURS = int(os.environ.get("WAYPOINT_REVIEW_MAIL_HOURS", "3"))
# Nudges one mentor may send in a day (a student is nudged at most once a day anyway).
WAYPOINT_NUDGES_PER_DAY = int(os.environ.get("WAYPOINT_NUDGES_PER_DAY", "200"))
# A mentor's Verify can be undone for this many minutes (a slip of the finger).
WAYPOINT_REVIEW_UNDO_MINUTES = int(os.environ.get("WAYPOINT_REVIEW_UNDO_MINUTES", "5"))
WAYPOINT_DEFAULT_ROADMAP = os.environ.get("WAYPOINT_DEFAULT_ROADMAP", "machine-learning-engineer")
# A roster upload (cohorts/roster.py): the largest file and the most students read at once.
WAYPOINT_ROSTER_MAX_BYTES = int(os.environ.get("WAYPOINT_ROSTER_MAX_BYTES", "1000000"))
WAYPOINT_ROSTER_MAX_ROWS = int(os.environ.get("WAYPOINT_ROSTER_MAX_ROWS", "2000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # The scheduler logs each job it runs (the lock refresh every few seconds): only trouble.
    "loggers": {"apscheduler": {"level": "WARNING"}},
}
