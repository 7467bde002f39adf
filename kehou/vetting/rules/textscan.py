"""Deterministic word matching for course texts and statements.

Text and words are normalised the same way (NFKC — full-width to half-width —
whitespace removed, case folded), so "奥 数" or full-width letters do not slip by.
Allow phrases are masked out first. In prose (descriptions, statements) a word
that follows a negation cue in the same clause ("本课程不涉及语文、数学") is
reported as negated: the caller downgrades it to a warning for a person to read.
Titles are never treated as prose.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MASK = "\x00"
CLAUSES = re.compile(r"[。！？；;!?，,:：\n]")
NEGATION_CUES = (
    "不开展", "不涉及", "不含", "不包含", "不包括", "不进行", "不提供", "不组织", "不教授", "不讲授", "不属于",
    "不是", "不做", "不会", "不得", "不设", "不收取", "不推销", "不搞", "绝不", "并非", "非学科", "无关",
    "严禁", "禁止", "杜绝", "拒绝", "避免",
)


def normalise(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


@dataclass(frozen=True)
class Hit:
    word: str
    strong: bool  # from the blocking list (else from the warning list)
    negated: bool


def _mask(text: str, allow: list[str]) -> str:
    for phrase in sorted(allow, key=len, reverse=True):
        text = text.replace(phrase, MASK * len(phrase))
    return text


def prepare(block: list[str], warn: list[str], allow: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Normalise the three lists once; a word in both lists counts as blocking."""
    strong = list(dict.fromkeys(w for w in map(normalise, block) if w))
    weak = [w for w in dict.fromkeys(map(normalise, warn)) if w and w not in strong]
    return strong, weak, [a for a in map(normalise, allow) if a]


def scan(text: str, strong: list[str], weak: list[str], allow: list[str], *, prose: bool) -> list[Hit]:
    """Words found in ``text`` (lists from :func:`prepare`), each once, in list order; an
    un-negated occurrence wins over a negated one."""
    masked = _mask(normalise(text), allow)
    present = [(w, True) for w in strong if w in masked] + [(w, False) for w in weak if w in masked]
    if not present:
        return []
    clauses = CLAUSES.split(masked) if prose else [masked]
    found: dict[str, Hit] = {}
    for word, is_strong in present:
        for clause in clauses:
            at = clause.find(word)
            if at < 0:
                continue
            negated = prose and any(cue in clause[:at] for cue in NEGATION_CUES)
            if word not in found or (found[word].negated and not negated):
                found[word] = Hit(word, is_strong, negated)
    return list(found.values())
