"""Pages of school finance: record a receipt, import a bank statement, match what is left by hand."""

from __future__ import annotations

from typing import Any

HTML_ROUTES: list[Any] = []
