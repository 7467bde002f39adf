"""Allocation after the draw: rounds in draw order (snake order from round 2 by default). In each round each
child gets the highest-ranked of their choices still open to them that has a seat and passes every rule —
capacity (and, in round 1, seats reserved for priority children), grade, one timetable, the course limit, the
per-student term cap, and whatever the county's plugins refuse (``validate``) — and every choice looked at is
recorded with its reason. A choice refused once is not looked at again (seats only fill, a child's timetable
and fees only grow, so what failed cannot pass later), except one passed over for seats reserved in round 1,
which is looked at again, in its rank, once the reservation lapses. Deterministic: the same inputs give the
same result."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from kehou.plugins.course_catalogue.lottery import draw
from kehou.plugins.course_catalogue.timewindow import overlaps

#: decision outcomes and how they read for families
OUTCOMES = {"assigned": "录取", "full": "名额已满", "reserved": "剩余名额为优先群体保留", "grade": "年级不符",
            "clash": "与已录取课程时间冲突", "over_cap": "超过每生每学期收费上限", "refused": "不符合本区县规定"}


@dataclass(frozen=True)
class Course:
    entry_id: int
    title: str
    capacity: int  # seats left for the allocation
    grades: frozenset[int]
    slots: tuple[tuple[int, int, int], ...]  # (weekday, start minute, end minute)
    fee_fen: int


@dataclass(frozen=True)
class Child:
    ref: str  # public draw reference
    grade: int
    choices: tuple[int, ...]  # entry ids, most wanted first
    tier: int = 0  # priority group (higher first); 0: none
    nothing_last_term: bool = False
    family: str | None = None  # siblings share it
    held_fen: int = 0  # fees of courses already held this term (count toward the cap)
    held_slots: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True)
class Rules:
    course_limit: int = 2  # courses a child may get (one per round)
    snake: bool = True  # round 2 runs in reverse draw order, round 3 forward …
    priority: str = "first"  # "first": priority children drawn first; "reserved": a share of seats kept for them
    reserved_percent: int = 0  # with "reserved": of each course's seats, in round 1
    boost_nothing_last_term: bool = False  # children who got nothing last term drawn before others of their tier
    siblings_together: bool = True
    term_cap_fen: int = 0  # 0: none


@dataclass(frozen=True)
class Decision:
    ref: str
    round: int
    rank: int  # 1 = first choice
    entry_id: int
    outcome: str  # OUTCOMES
    detail: str = ""


@dataclass
class Result:
    seed: str
    order: list[str]
    decisions: list[Decision] = field(default_factory=list)
    assigned: dict[str, list[int]] = field(default_factory=dict)
    filled: dict[int, int] = field(default_factory=dict)

    def canonical(self) -> bytes:
        """The result as bytes: equal results are byte-identical."""
        return json.dumps({"seed": self.seed, "order": self.order, "decisions": [asdict(d) for d in self.decisions],
                           "assigned": self.assigned, "filled": {str(k): v for k, v in sorted(self.filled.items())}},
                          ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


Validate = Callable[[Child, Sequence[Course], Course], str | None]


def _clash(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return a[0] == b[0] and overlaps(a[1], a[2], b[1], b[2])


def draw_inputs(children: Sequence[Child], rules: Rules) -> tuple[dict[str, int], dict[str, str]]:
    """The tiers and sibling groups the draw uses (what is published beside the order, for verification)."""
    tiers = {c.ref: (c.tier if rules.priority == "first" else 0) * 2 + int(rules.boost_nothing_last_term
                                                                            and c.nothing_last_term) for c in children}
    families = {c.ref: c.family for c in children if c.family} if rules.siblings_together else {}
    return {r: t for r, t in tiers.items() if t}, families


def draw_order(seed: str, children: Sequence[Child], rules: Rules) -> list[str]:
    tiers, families = draw_inputs(children, rules)
    return draw.order(seed, [c.ref for c in children], tiers=tiers, families=families)


def allocate(seed: str, courses: Sequence[Course], children: Sequence[Child], rules: Rules,
             validate: Validate | None = None) -> Result:
    by_id = {c.entry_id: c for c in courses}
    kids = {c.ref: c for c in children}
    order = draw_order(seed, children, rules)
    result = Result(seed=seed, order=order, assigned={ref: [] for ref in order})
    left = {c.entry_id: c.capacity for c in courses}
    reserved = {c.entry_id: math.ceil(c.capacity * rules.reserved_percent / 100) if rules.priority == "reserved" else 0
                for c in courses}
    open_choices = {ref: list(range(len(kids[ref].choices))) for ref in order}  # indices not yet settled
    for rnd in range(1, rules.course_limit + 1):
        sequence = order if not rules.snake or rnd % 2 else list(reversed(order))
        for ref in sequence:
            child, got, still, found = kids[ref], result.assigned[ref], [], False
            for i in open_choices[ref]:
                if found:  # this round's course found: the rest wait for the next round
                    still.append(i)
                    continue
                entry_id = child.choices[i]
                outcome, detail = _judge(child, by_id.get(entry_id), got, by_id, left, reserved, rnd, rules, validate)
                result.decisions.append(Decision(ref, rnd, i + 1, entry_id, outcome, detail))
                if outcome == "assigned":
                    got.append(entry_id)
                    left[entry_id] -= 1
                    found = True
                elif outcome == "reserved":
                    still.append(i)
            open_choices[ref] = still
    result.filled = {c.entry_id: c.capacity - left[c.entry_id] for c in courses}
    return result


def _judge(child: Child, course: Course | None, got: list[int], by_id: dict[int, Course], left: dict[int, int],
           reserved: dict[int, int], rnd: int, rules: Rules, validate: Validate | None) -> tuple[str, str]:
    if course is None:
        return "refused", "课程已取消"
    if child.grade not in course.grades:
        return "grade", f"该课程面向{'、'.join(map(str, sorted(course.grades)))}年级"
    if left[course.entry_id] <= 0:
        return "full", ""
    if rnd == 1 and child.tier == 0 and left[course.entry_id] <= reserved[course.entry_id]:
        return "reserved", ""
    held = [by_id[e] for e in got]
    for slot in course.slots:
        other = next((h for h in held if any(_clash(slot, s) for s in h.slots)), None)
        if other is not None:
            return "clash", f"与「{other.title}」时间冲突"
        if any(_clash(slot, s) for s in child.held_slots):
            return "clash", "与本学期已选课程时间冲突"
    if rules.term_cap_fen and child.held_fen + sum(h.fee_fen for h in held) + course.fee_fen > rules.term_cap_fen:
        return "over_cap", f"合计将超过{rules.term_cap_fen // 100}元"
    if validate is not None:
        refused = validate(child, held, course)
        if refused:
            return "refused", refused
    return "assigned", ""
