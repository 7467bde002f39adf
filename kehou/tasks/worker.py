"""Entry point for ``celery -A kehou.tasks.worker worker|beat``."""

from kehou.tasks.app import get_app

app = get_app()
