"""Scanning course titles, descriptions and the application statement for listed words.

Shared by the academic-content and promotion rules. Per text:

* block — a word of the blocking list, in a title, or in a description outside a
  negated clause;
* warn — a word of the warning list; a blocking word in a negated clause of a
  description ("不涉及语文、数学"); any word in the application statement (free prose
  about the organisation, not what is published to parents: a person reads it);
* pass — one finding for the whole rule when nothing was found.

A mixed text (:class:`Mixed`: a subject name beside a non-academic theme, "英语戏剧") is a warning: a person
decides, with the reason shown; a blocking word that is not a subject name ("提分") still blocks it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kehou.vetting.rules.common import make, words
from kehou.vetting.rules.textscan import Hit, normalise, prepare, scan
from kehou.vetting.types import Finding, Verdict, VettingInput


@dataclass(frozen=True)
class Mixed:
    """Blocking words that a theme word in the same text turns into a warning, and the theme words."""

    softened: list[str]
    themes: list[str]

    def theme_in(self, text: str, direct: list[str]) -> str | None:
        """The theme word that makes ``text`` mixed, when every blocking word found in it may be softened."""
        soft = {normalise(w) for w in self.softened}
        if not direct or any(w not in soft for w in direct):
            return None
        flat = normalise(text)
        return next((t for t in self.themes if normalise(t) and normalise(t) in flat), None)


@dataclass(frozen=True)
class Wording:
    strong: str  # what a blocking word is, e.g. "学科类培训用语"
    weak: str  # what a warning word is, e.g. "疑似学科类用语"
    ask: str  # what the reviewer should check


FIELD_NAMES = {"title": "名称", "description": "简介"}


def _finding(name: str, source: str, wording: Wording, where: str, hits: list[Hit], capped: bool,
             theme: str | None = None, **evidence: object) -> Finding:
    direct = [h.word for h in hits if h.strong and not h.negated]
    negated = [h.word for h in hits if h.strong and h.negated]
    weak = [h.word for h in hits if not h.strong]
    all_words = direct + negated + weak
    if theme is not None:
        return make(name, source, Verdict.warn, f"{where}含学科名称「{'、'.join(direct)}」，同时有非学科主题「{theme}」，"
                    f"{wording.ask}", words=all_words, theme=theme, mixed=True, **evidence)
    if direct and not capped:
        more = negated + weak
        also = f"（另含{wording.weak}：{'、'.join(more)}）" if more else ""
        return make(name, source, Verdict.block, f"{where}含{wording.strong}：{'、'.join(direct)}{also}",
                    words=all_words, **evidence)
    parts = []
    if direct:
        parts.append(f"含{wording.strong}：{'、'.join(direct)}")
    if negated:
        parts.append(f"在否定语境中提及{wording.strong}：{'、'.join(negated)}")
    if weak:
        parts.append(f"含{wording.weak}：{'、'.join(weak)}")
    return make(name, source, Verdict.warn, f"{where}{'；'.join(parts)}，{wording.ask}", words=all_words, **evidence)


def scan_submission(inp: VettingInput, *, name: str, source: str, block_key: str, warn_key: str,
                    allow_key: str | None, wording: Wording, mixed: Mixed | None = None) -> list[Finding]:
    strong, weak, allow = prepare(words(inp, block_key), words(inp, warn_key), words(inp, allow_key) if allow_key else [])
    out: list[Finding] = []
    for course in inp.courses:
        for field, text, prose in (("title", course.title, False), ("description", course.description, True)):
            hits = scan(text, strong, weak, allow, prose=prose) if text else []
            if hits:
                where = f"课程「{course.title}」的{FIELD_NAMES[field]}"
                direct = [h.word for h in hits if h.strong and not h.negated]
                theme = mixed.theme_in(text, direct) if mixed is not None else None
                out.append(_finding(name, source, wording, where, hits, False, theme, course=course.title, field=field))
    hits = scan(inp.statement, strong, weak, allow, prose=True) if inp.statement else []
    if hits:
        out.append(_finding(name, source, wording, "申请说明", hits, True, field="statement"))
    if out:
        return out
    return [make(name, source, Verdict.passed,
                 f"{len(inp.courses)}门课程的名称、简介及申请说明均未发现{wording.strong}", field="courses",
                 courses=len(inp.courses))]
