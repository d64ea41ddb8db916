"""Django core settings shared by every mode."""

from __future__ import annotations

from config.env import BASE_DIR, PRODUCTION, embedded_secret_key, env, require

SECRET_KEY = (
    require("SECRET_KEY")
    if PRODUCTION
    else env.str("SECRET_KEY", default="") or (embedded_secret_key())
)
DEBUG = env.bool("DJANGO_DEBUG", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    # htmx (vendored in the package, no CDN) and request.htmx for the scenario player.
    "django_htmx",
    "lti_tool.core",
    "lti_tool.lti",
    "lti_tool.grading",
    "lti_tool.grading.frameworks",
    "lti_tool.activities",
    "lti_tool.activities.roleplays",
    "lti_tool.activities.dsl",
    "lti_tool.activities.dpa",
    "lti_tool.api",
]
# The built-in platform is part of the embedded install and of the tests; a production
# site switches it off (it would let anyone launch as anyone).
DEMO_PLATFORM_ENABLED = env.bool("ATELIER_DEMO", default=not PRODUCTION)
if DEMO_PLATFORM_ENABLED:
    INSTALLED_APPS.append("lti_tool.demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff pages keep X-Frame-Options: DENY; LTI views opt out and send a CSP
    # frame-ancestors naming the platform instead (shared/moodle.md, "Framing").
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lti_tool.lti.middleware.LaunchMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "lti_tool.core.middleware.ApplicationErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "lti_tool" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# French first, English second (README "What we build").
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
# English catalogues: each app has its own locale/ folder (found by the app loader);
# LOCALE_PATHS holds only the project-wide templates (lti_tool/templates). Update them all
# with `cd lti_tool && django-admin makemessages -l en`; .mo files are compiled, not committed.
LOCALE_PATHS = [BASE_DIR / "lti_tool" / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

STATIC_URL = "static/"
# lti_tool/static holds the shared stylesheet; lti_tool itself is not an app, so the
# app-directories finder would not see it.
STATICFILES_DIRS = [BASE_DIR / "lti_tool" / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is absent
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve app static files straight from the finders when collectstatic was not run
# (the embedded install); https://whitenoise.readthedocs.io/en/stable/django.html
WHITENOISE_USE_FINDERS = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "admin:login"

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "lti_tool.api.exception_handlers.drf_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
