"""The ranked-choice lottery's draw and allocation at county scale (issue 19): 50,000 children with 3 ranked
choices each over 2,000 course entries (about 1.5 seats per child), two courses each, snake order, priority
groups first. ``python -m benchmarks.lottery_allocation [children] [entries]``. Prints figures; asserts nothing.

This times the pure engine (draw, allocation, every decision with its reason). Writing the enrolments to the
database is not part of it yet: the menu-side workflow (choice window, publication) is still to be built."""

from __future__ import annotations

import random
import sys
import time

from kehou.plugins.course_catalogue.lottery import draw
from kehou.plugins.course_catalogue.lottery.allocate import Child, Course, Rules, allocate


def market(n_children: int, n_entries: int, rng: random.Random) -> tuple[list[Course], list[Child]]:
    courses = [Course(i, f"课程{i}", rng.randint(20, 55), frozenset(rng.sample(range(1, 7), 3)),
                      ((rng.randrange(5), 960, 1020),), rng.choice([15000, 20000, 30000])) for i in range(1, n_entries + 1)]
    popular = [c.entry_id for c in courses[: n_entries // 10]]  # a tenth of the courses draw most first choices
    children = []
    for j in range(n_children):
        grade = rng.randint(1, 6)
        first = rng.choice(popular) if rng.random() < 0.6 else rng.randint(1, n_entries)
        rest = rng.sample(range(1, n_entries + 1), 2)
        choices = tuple(dict.fromkeys([first, *rest]))
        children.append(Child(draw.draw_ref("bench", 1, j), grade, choices, tier=int(rng.random() < 0.05),
                              family=f"f{j // 2}" if rng.random() < 0.1 else None))
    return courses, children


def main() -> None:
    n_children = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    n_entries = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000
    courses, children = market(n_children, n_entries, random.Random(2027))
    seed = draw.new_seed()
    started = time.perf_counter()
    order = draw.order(seed, [c.ref for c in children])
    drawn = time.perf_counter() - started
    started = time.perf_counter()
    result = allocate(seed, courses, children, Rules(course_limit=2, term_cap_fen=60000))
    allocated = time.perf_counter() - started
    seats = sum(c.capacity for c in courses)
    given = sum(len(v) for v in result.assigned.values())
    nothing = sum(1 for v in result.assigned.values() if not v)
    first_choice = sum(1 for c in children if result.assigned[c.ref][:1] == [c.choices[0]])
    full = sum(1 for c in courses if result.filled[c.entry_id] == c.capacity)
    print(f"lottery: {n_children} children × {len(children[0].choices)} choices over {n_entries} entries ({seats} seats)")
    print(f"  draw order of {len(order)} children: {drawn:.2f} s; allocation with {len(result.decisions)} decisions: "
          f"{allocated:.2f} s; canonical result {len(result.canonical()) / 1e6:.1f} MB")
    print(f"  seats filled {given}/{seats} ({given / seats:.0%}); courses full {full}/{n_entries}; children with "
          f"their first choice {first_choice / n_children:.0%}; with nothing {nothing} ({nothing / n_children:.1%})")


if __name__ == "__main__":
    main()
