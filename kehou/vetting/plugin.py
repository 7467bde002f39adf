"""The vetting engine's own hook implementations: its settings and built-in rules."""

from __future__ import annotations
