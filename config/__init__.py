"""Project configuration. Importing the Celery app here makes `@shared_task` bind to it
(the usual Django wiring, as in the Celery "First steps with Django" guide)."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
