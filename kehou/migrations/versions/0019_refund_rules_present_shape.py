"""refund rules in their present shape

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 04:00:00

Stored ``billing.refund_rules`` values move to the shape the settings now require (issue 18 part 3):
``{"kind": "absence", "min_days": N}`` becomes ``count=days, min=N, refund=after``, and quit steps of
``within_days`` become ``within, unit=days`` with ``from=term_start, of=untaught``, which is what they meant.
Bills keep the rules they were made under as they were (the arithmetic still reads the first shape).
"""

import json
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

KEY = "billing.refund_rules"


def _present(rule: dict) -> dict:
    if rule.get("kind") == "absence" and "min_days" in rule:
        return {"kind": "absence", "count": "days", "min": rule["min_days"], "refund": "after"}
    if rule.get("kind") == "quit" and any("within_days" in s for s in rule.get("schedule", [])):
        return {"kind": "quit", "from": "term_start", "of": "untaught",
                "schedule": [{"within": s["within_days"], "unit": "days", "percent": s["percent"]}
                             for s in rule["schedule"]]}
    return rule


def _first(rule: dict) -> dict:
    if rule.get("kind") == "absence" and rule.get("count") == "days" and rule.get("refund") == "after":
        return {"kind": "absence", "min_days": rule["min"]}
    if (rule.get("kind") == "quit" and rule.get("from") == "term_start" and rule.get("of") == "untaught"
            and all(s.get("unit") == "days" for s in rule.get("schedule", []))):
        return {"kind": "quit", "schedule": [{"within_days": s["within"], "percent": s["percent"]} for s in rule["schedule"]]}
    return rule


def _rewrite(change: Callable[[dict], dict]) -> None:
    bind = op.get_bind()
    table = sa.table("setting_value", sa.column("id", sa.Integer), sa.column("key", sa.String),
                     sa.column("value", sa.JSON))
    for row_id, value in bind.execute(sa.select(table.c.id, table.c.value).where(table.c.key == KEY)).all():
        rules = json.loads(value) if isinstance(value, str) else value
        if isinstance(rules, list):
            new = [change(r) if isinstance(r, dict) else r for r in rules]
            if new != rules:
                bind.execute(table.update().where(table.c.id == row_id).values(value=new))


def upgrade() -> None:
    _rewrite(_present)


def downgrade() -> None:
    _rewrite(_first)
