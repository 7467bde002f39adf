#!/bin/sh
# Default command of the Kehou image: bring the database schema up to date, then
# serve the ASGI app. uvicorn also reads WEB_CONCURRENCY (number of worker
# processes) and FORWARDED_ALLOW_IPS (reverse proxies trusted for X-Forwarded-*).
set -eu

kehou migrate
exec uvicorn --factory kehou.app:asgi --host 0.0.0.0 --port 8000
