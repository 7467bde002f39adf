"""The automatic content check of a course's title and description (subject teaching, commercial promotion),
with three outcomes: pass, warn (a person decides, the reason shown) and block. Used when a provider submits
an offering and by the county's "try a title" page, with the county's word lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kehou.vetting.rules import academic_content, promotion
from kehou.vetting.types import CourseSnapshot, Finding, ProviderSnapshot, Verdict, VettingInput

RULES = (academic_content.RULE, promotion.RULE)


@dataclass(frozen=True)
class ContentCheck:
    verdict: str  # pass | warn | block
    findings: tuple[Finding, ...]  # the warnings and blocks (a passing rule's finding is left out)

    @property
    def messages(self) -> list[str]:
        return [f.message for f in self.findings]

    @property
    def field(self) -> str:
        """The input the first problem is in (title or description)."""
        return str(self.findings[0].evidence.get("field") or "title") if self.findings else "title"


def outcome(findings: list[Finding]) -> ContentCheck:
    """The worst verdict of the findings: block over warn over pass."""
    shown = tuple(f for f in findings if f.verdict in (Verdict.block, Verdict.warn))
    verdict = ("block" if any(f.verdict == Verdict.block for f in shown) else "warn" if shown else "pass")
    return ContentCheck(verdict, tuple(sorted(shown, key=lambda f: f.verdict != Verdict.block)))


def check_input(inp: VettingInput) -> ContentCheck:
    return outcome([f for rule in RULES for f in rule.check(inp)])


def check_text(settings: Mapping[str, Any], county_code: str, title: str, description: str = "") -> ContentCheck:
    """The check of a title (and description) alone, by the county's settings: no provider needed."""
    nobody = ProviderSnapshot(0, "", "", "", "", "", "", "")
    inp = VettingInput(county_code=county_code, today=dt.date.min, period_end=dt.date.min, provider=nobody, staff=(),
                       documents=(), categories=(), courses=(CourseSnapshot(title.strip(), description.strip(), ""),),
                       statement="", settings=settings, blacklist=frozenset())
    return check_input(inp)
