"""The verifiable draw. When the choice window opens the platform publishes ``commitment(seed)``; at allocation
it reveals the seed. A child's place in the draw comes only from the seed and the child's public draw reference
(``sha256("<seed>:<ref>")``, lowest first), so anyone with the published seed and references recomputes the
order (``kehou selection verify-draw``) and checks that the seed is the one committed to before anyone chose.

Priority (county settings) only moves whole groups: children in a higher tier come first; siblings drawn
together take the place of the one of them drawn earliest. Within a tier the hash alone decides."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

VERSION = "kehou-draw-v1"


def new_seed() -> str:
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    """What is published before the draw: the seed's SHA-256 (with the scheme's version)."""
    return hashlib.sha256(f"{VERSION}:{seed}".encode()).hexdigest()


def ticket(seed: str, ref: str) -> str:
    """A child's lottery ticket: the lower, the earlier."""
    return hashlib.sha256(f"{seed}:{ref}".encode()).hexdigest()


def draw_ref(secret: str, menu_id: int, student_id: int) -> str:
    """A child's public reference in one menu's draw: pseudonymous (no name, no id), stable, shown to the family."""
    return hmac.new(secret.encode(), f"draw:{menu_id}:{student_id}".encode(), hashlib.sha256).hexdigest()[:12]


def order(seed: str, refs: Iterable[str], *, tiers: Mapping[str, int] | None = None,
          families: Mapping[str, str] | None = None) -> list[str]:
    """The draw order of ``refs``: by tier (higher first), then by the ticket of the family's earliest-drawn
    member (siblings next to each other), then by the child's own ticket."""
    tiers, families = tiers or {}, families or {}
    own = {ref: ticket(seed, ref) for ref in refs}
    best: dict[str, str] = {}
    for ref, t in own.items():
        family = families.get(ref)
        if family is not None and (family not in best or t < best[family]):
            best[family] = t
    return sorted(own, key=lambda r: (-tiers.get(r, 0), best.get(families.get(r, ""), own[r]), own[r], r))


def verify(seed: str, published_commitment: str, refs: Iterable[str], published_order: list[str], *,
           tiers: Mapping[str, int] | None = None, families: Mapping[str, str] | None = None) -> list[str]:
    """What does not check out (empty: the draw is verified)."""
    problems = []
    if not hmac.compare_digest(commitment(seed), published_commitment.strip().lower()):
        problems.append("种子与选课开始时公布的承诺值不符。")
    again = order(seed, refs, tiers=tiers, families=families)
    if again != published_order:
        first = next((i for i, (a, b) in enumerate(zip(again, published_order, strict=False)) if a != b),
                     min(len(again), len(published_order)))
        problems.append(f"重新计算的抽签顺序与公布的顺序自第{first + 1}位起不同。")
    return problems
