"""The transactional outbox: tasks written in the transaction that causes them, relayed to Celery after."""
