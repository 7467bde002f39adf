"""What the evaluation area registers: its API and page routes."""

from __future__ import annotations

from typing import Any

from kehou.pluginapi import PeriodicTask
from kehou.plugins.outcome_reporting.evaluation_api import EvaluationApi
from kehou.plugins.outcome_reporting.evaluation_views import EvaluationPages

ROUTES: list[Any] = [EvaluationApi, EvaluationPages]
PERIODIC: list[PeriodicTask] = []
