# syntax=docker/dockerfile:1
# Kehou production image: web (default command), or `celery -A kehou.tasks.worker worker|beat`
# as the command for the task processes. See docs/deployment.md and docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

# uv from PyPI, the version uv.lock was written with.
RUN pip install --no-cache-dir "uv==0.13.9"

WORKDIR /app

# Dependencies first: this layer is rebuilt only when pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# Then the project itself (see .dockerignore for what stays out).
COPY . .
RUN uv sync --frozen --no-dev \
    && chmod 0755 /app/docker/entrypoint.sh

# Run as an unprivileged user. /app stays owned by root (read-only to the app);
# /data (KEHOU_DATA_DIR) is the only writable place, e.g. for beat's schedule file.
RUN groupadd --system --gid 10001 kehou \
    && useradd --system --uid 10001 --gid kehou --home-dir /app --no-create-home --shell /usr/sbin/nologin kehou \
    && mkdir -p /data \
    && chown kehou:kehou /data

ENV PATH="/app/.venv/bin:$PATH" \
    KEHOU_DATA_DIR=/data

USER 10001:10001
# Run from the writable data directory, so anything a library writes relative to
# the working directory (e.g. kombu's filesystem-broker "control" folder) can be written.
WORKDIR /data

EXPOSE 8000

# Default: `kehou migrate && uvicorn --factory kehou.app:asgi --host 0.0.0.0 --port 8000`.
CMD ["/app/docker/entrypoint.sh"]
