"""Runs vetting rules over a snapshot. Pure: no database, no I/O beyond logging."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from kehou.vetting.types import Finding, Rule, Verdict, VettingInput

log = logging.getLogger(__name__)


def collect_rules(source: Any) -> list[Rule]:
    """Every rule answered by ``kehou_register_vetting_rules``. ``source`` is a plugin
    manager, or a hook caller for that hook (e.g. a per-county one from
    ``hooks_for_county``). Rule names must be unique: they key findings and overrides."""
    caller = source.hook.kehou_register_vetting_rules if hasattr(source, "hook") else source
    rules: list[Rule] = []
    seen: set[str] = set()
    for answer in caller():
        for rule in answer or []:
            if not isinstance(rule, Rule):
                raise TypeError(f"vetting rule {rule!r} is not a kehou.vetting.types.Rule")
            if rule.name in seen:
                raise ValueError(f"vetting rule {rule.name!r} registered twice")
            seen.add(rule.name)
            rules.append(rule)
    return rules


def _failed(rule: Rule, exc: BaseException) -> Finding:
    return Finding(
        rule=rule.name,
        verdict=Verdict.block,
        message=f"规则执行出错：「{rule.label}」（{rule.name}）未能完成检查，须人工核查并联系平台管理员",
        evidence={"error": type(exc).__name__},
        source=rule.source,
    )


def _checked(rule: Rule, f: Any) -> Finding:
    """A rule's finding, with a plain-string verdict ("warn") turned into :class:`Verdict`."""
    if not isinstance(f, Finding):
        raise TypeError(f"rule {rule.name} returned {type(f).__name__}, not Finding")
    return f if isinstance(f.verdict, Verdict) else replace(f, verdict=Verdict(f.verdict))


def run_rules(inp: VettingInput, rules: Iterable[Rule]) -> list[Finding]:
    """All findings of all rules, in rule order. A rule that raises, or returns something
    other than findings, yields one blocking "规则执行出错" finding; the run goes on."""
    findings: list[Finding] = []
    for rule in rules:
        try:
            produced = [_checked(rule, f) for f in rule.check(inp)]
        except Exception as exc:  # a broken rule must never stop the run
            log.exception("vetting rule %s failed", rule.name)
            findings.append(_failed(rule, exc))
            continue
        findings.extend(produced)
    return findings


def summarise(findings: Iterable[Finding]) -> dict[str, int]:
    """Counts by verdict: ``{"pass": n, "warn": n, "block": n}``."""
    counts = {v.value: 0 for v in Verdict}
    for f in findings:
        counts[Verdict(f.verdict).value] += 1
    return counts


def outcome(findings: Iterable[Finding]) -> Verdict:
    """The worst verdict: block if any finding blocks, else warn if any warns, else pass."""
    verdicts = {Verdict(f.verdict) for f in findings}
    return Verdict.block if Verdict.block in verdicts else Verdict.warn if Verdict.warn in verdicts else Verdict.passed
