#!/bin/sh
# Default command of the Kehou image: bring the database schema up to date, then
# serve the ASGI app with uvicorn (kehou serve: TCP_NODELAY on every connection, which
# uvicorn's own CLI loses with several workers). WEB_CONCURRENCY sets the number of worker
# processes; KEHOU_TRUSTED_PROXIES names the reverse proxies trusted for X-Forwarded-*.
set -eu

kehou migrate
exec kehou serve --no-worker --host 0.0.0.0 --port 8000
