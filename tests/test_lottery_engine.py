"""The ranked-choice lottery's draw and allocation (issue 19), pure: determinism, a verifiable draw, fairness by a
chi-square test over 1,000 seeds, priority shifting chances as configured, and a property test that an
allocation never breaks capacity, the timetable, the grade, the course limit or the fee cap."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehou.cli.main import main
from kehou.plugins.course_catalogue.lottery import draw
from kehou.plugins.course_catalogue.lottery.allocate import Child, Course, Rules, _clash, allocate
from tests.test_billing_reconcile import cli_env  # noqa: F401 - the fixture

#: chi-square critical values at p = 0.001 (a fair draw fails the test one time in a thousand)
CHI2_999 = {39: 72.055, 34: 65.247}


def course(entry_id: int, capacity: int, *, weekday: int = 0, start: int = 960, grades: tuple[int, ...] = (3,),
           fee: int = 20000) -> Course:
    return Course(entry_id, f"课程{entry_id}", capacity, frozenset(grades), ((weekday, start, start + 60),), fee)


def kids(n: int, choices: tuple[int, ...], **kw: object) -> list[Child]:
    return [Child(f"c{i:03d}", 3, choices, **kw) for i in range(n)]  # type: ignore[arg-type]


def chi_square(counts: list[int], expected: float) -> float:
    return sum((c - expected) ** 2 / expected for c in counts)


def test_same_seed_and_inputs_give_byte_identical_results_and_the_draw_verifies() -> None:
    courses = [course(1, 3), course(2, 2, weekday=1), course(3, 2, start=990)]
    children = [Child(f"r{i}", 3, ((1, 2, 3), (2, 1), (3,))[i % 3], family="f1" if i in (4, 5) else None)
                for i in range(9)]
    seed = "5f" * 32
    first = allocate(seed, courses, children, Rules())
    assert first.canonical() == allocate(seed, courses, list(children), Rules()).canonical()
    assert allocate("6a" * 32, courses, children, Rules()).order != first.order  # another seed: another draw
    refs, families = [c.ref for c in children], {c.ref: c.family for c in children if c.family}
    assert draw.verify(seed, draw.commitment(seed), refs, first.order, families=families) == []
    problems = draw.verify("00" * 32, draw.commitment(seed), refs, first.order, families=families)
    assert problems and "承诺值不符" in problems[0]
    swapped = [first.order[1], first.order[0], *first.order[2:]]
    assert "自第1位起不同" in draw.verify(seed, draw.commitment(seed), refs, swapped, families=families)[0]
    a, b = first.order.index("r4"), first.order.index("r5")
    assert abs(a - b) == 1  # siblings are drawn together


def test_nothing_depends_on_input_order_or_when_a_list_was_saved() -> None:
    courses = [course(1, 4), course(2, 4, weekday=2)]
    children = [Child(f"k{i}", 3, (1, 2) if i % 2 else (2, 1)) for i in range(12)]
    seed = "ab" * 32
    assert allocate(seed, courses, children, Rules()).canonical() == \
        allocate(seed, list(reversed(courses)), list(reversed(children)), Rules()).canonical()


def test_each_child_is_equally_likely_to_get_an_oversubscribed_course() -> None:
    """40 children want a course of 10 seats: over 1,000 draws each should win about 250 times."""
    children, wins = kids(40, (1,)), {f"c{i:03d}": 0 for i in range(40)}
    for n in range(1000):
        result = allocate(f"{n:064x}", [course(1, 10)], children, Rules(course_limit=1))
        assert result.filled == {1: 10}
        for ref, got in result.assigned.items():
            wins[ref] += bool(got)
    assert chi_square(list(wins.values()), 250) < CHI2_999[39], sorted(wins.values())


def test_priority_groups_come_first_and_the_rest_is_still_uniform() -> None:
    children = kids(5, (1,), tier=1) + [Child(f"n{i:03d}", 3, (1,)) for i in range(35)]
    wins = {c.ref: 0 for c in children}
    for n in range(1000):
        for ref, got in allocate(f"{n:064x}", [course(1, 10)], children, Rules(course_limit=1)).assigned.items():
            wins[ref] += bool(got)
    assert all(wins[f"c{i:03d}"] == 1000 for i in range(5))
    others = [wins[f"n{i:03d}"] for i in range(35)]
    assert chi_square(others, 1000 * 5 / 35) < CHI2_999[34], others


def test_a_reserved_share_and_the_nothing_last_term_boost_shift_chances_as_configured() -> None:
    """Half of 10 seats reserved in round 1 for 8 priority children among 40: they win 5 reserved seats plus
    their lottery share of the other 5 (5/40 of them each), i.e. 5/8 + 5/40 = 0.75 each; the others 5/40 less
    what priority children took of the open seats. The boost puts children who got nothing last term first."""
    reserved = Rules(course_limit=1, priority="reserved", reserved_percent=50)
    children = kids(8, (1,), tier=1) + [Child(f"n{i:03d}", 3, (1,)) for i in range(32)]
    wins = {c.ref: 0 for c in children}
    for n in range(1000):
        result = allocate(f"{n:064x}", [course(1, 10)], children, reserved)
        assert sum(bool(result.assigned[f"c{i:03d}"]) for i in range(8)) >= 5
        for ref, got in result.assigned.items():
            wins[ref] += bool(got)
    priority_rate = sum(wins[f"c{i:03d}"] for i in range(8)) / 8000
    other_rate = sum(wins[f"n{i:03d}"] for i in range(32)) / 32000
    assert 0.70 < priority_rate < 0.80 and 0.10 < other_rate < 0.20, (priority_rate, other_rate)
    boosted = Rules(course_limit=1, boost_nothing_last_term=True)
    children = kids(3, (1,), nothing_last_term=True) + [Child(f"n{i:03d}", 3, (1,)) for i in range(20)]
    for n in range(50):
        result = allocate(f"{n:064x}", [course(1, 5)], children, boosted)
        assert all(result.assigned[f"c{i:03d}"] == [1] for i in range(3))


def test_round_two_runs_in_snake_order_and_every_decision_has_its_reason() -> None:
    courses = [course(1, 1), course(2, 1, weekday=1), course(3, 2, weekday=2), course(4, 1, grades=(5,), weekday=3)]
    children = [Child("a", 3, (1, 4, 2, 3)), Child("b", 3, (1, 2, 3))]
    result = allocate("cd" * 32, courses, children, Rules(course_limit=2))
    first, second = result.order
    assert result.assigned[first][0] == 1  # the first drawn gets the first choice both wanted
    by = {(d.ref, d.round, d.entry_id): d for d in result.decisions}
    assert by[(second, 1, 1)].outcome == "full"
    # round 2 starts with the child drawn second
    round2 = [d for d in result.decisions if d.round == 2]
    assert round2[0].ref == second
    [grade] = [d for d in result.decisions if d.ref == "a" and d.entry_id == 4]  # looked at once, in round 1 or 2
    assert grade.outcome == "grade" and "5年级" in grade.detail


fees = st.integers(min_value=0, max_value=40000)


@st.composite
def markets(draw_: st.DrawFn) -> tuple[list[Course], list[Child], Rules]:
    n_courses = draw_(st.integers(1, 8))
    courses = [Course(i, f"课程{i}", draw_(st.integers(0, 5)), frozenset(draw_(st.sets(st.integers(1, 6), min_size=1))),
                      ((draw_(st.integers(0, 4)), (s := draw_(st.integers(900, 1000))), s + draw_(st.integers(30, 90))),),
                      draw_(fees)) for i in range(1, n_courses + 1)]
    children = [Child(f"k{j}", draw_(st.integers(1, 6)),
                      tuple(draw_(st.lists(st.integers(1, n_courses + 1), max_size=5, unique=True))),
                      tier=draw_(st.integers(0, 1)), family=draw_(st.sampled_from([None, "f1", "f2"])),
                      held_fen=draw_(st.integers(0, 20000)))
                for j in range(draw_(st.integers(0, 25)))]
    rules = Rules(course_limit=draw_(st.integers(1, 3)), snake=draw_(st.booleans()),
                  priority=draw_(st.sampled_from(["first", "reserved"])), reserved_percent=draw_(st.integers(0, 100)),
                  term_cap_fen=draw_(st.sampled_from([0, 30000, 60000])))
    return courses, children, rules


@settings(max_examples=300, deadline=None)
@given(markets(), st.integers(0, 2**32))
def test_no_allocation_breaks_capacity_timetable_grade_limit_or_fee_cap(market: tuple, seed: int) -> None:
    courses, children, rules = market
    result = allocate(f"{seed:064x}", courses, children, rules)
    by_id = {c.entry_id: c for c in courses}
    for c in courses:
        assert sum(c.entry_id in got for got in result.assigned.values()) == result.filled[c.entry_id] <= c.capacity
    for child in children:
        got = [by_id[e] for e in result.assigned[child.ref]]
        assert len(got) <= rules.course_limit and len(set(result.assigned[child.ref])) == len(got)
        assert all(g.entry_id in child.choices and child.grade in g.grades for g in got)
        slots = [s for g in got for s in g.slots]
        assert not any(_clash(a, b) for i, a in enumerate(slots) for b in slots[i + 1:])
        if rules.term_cap_fen:
            assert child.held_fen + sum(g.fee_fen for g in got) <= rules.term_cap_fen
        assigned = [d for d in result.decisions if d.ref == child.ref and d.outcome == "assigned"]
        assert [d.entry_id for d in assigned] == result.assigned[child.ref]


@pytest.mark.usefixtures("cli_env")
def test_verify_draw_command_recomputes_a_published_draw(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As anyone would with the public draw page: the revealed seed, the earlier commitment, the order file."""
    seed = draw.new_seed()
    refs = [draw.draw_ref("secret", 7, i) for i in range(30)]
    tiers = {refs[3]: 1}
    published = draw.order(seed, refs, tiers=tiers)
    order_file = tmp_path / "draw.csv"
    order_file.write_text("".join(f"{r},{tiers.get(r, '')}\n" for r in published), encoding="utf-8")
    assert main(["selection", "verify-draw", "--seed", seed, "--commitment", draw.commitment(seed),
                 "--order", str(order_file)]) == 0
    assert "核验通过：种子与承诺值相符，30名学生" in capsys.readouterr().out
    order_file.write_text("".join(f"{r},{tiers.get(r, '')}\n" for r in [published[1], published[0], *published[2:]]))
    assert main(["selection", "verify-draw", "--seed", seed, "--commitment", draw.commitment(seed),
                 "--order", str(order_file)]) == 1
    assert "自第1位起不同" in capsys.readouterr().out
    assert main(["selection", "verify-draw", "--seed", draw.new_seed(), "--commitment", draw.commitment(seed),
                 "--order", str(order_file)]) == 1
    assert "承诺值不符" in capsys.readouterr().out
