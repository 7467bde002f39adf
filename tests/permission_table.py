"""The permission table's rows (see tests/test_permissions.py): who must be refused, with what, and who may."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Refusal:
    who: str
    status: int
    code: str
    bug: str = field(default="", compare=False)  # what the code does instead, until fixed

    def __str__(self) -> str:
        return f"{self.who}->{self.status} {self.code}"


def refuse(status: int, code: str, *who: str, bug: str = "") -> tuple[Refusal, ...]:
    return tuple(Refusal(w, status, code, bug) for w in who)


@dataclass(frozen=True)
class At:
    """In a request body: the value ``prepare`` found for ``name`` (e.g. a finding's fingerprint)."""

    name: str


ANON = refuse(401, "not_authenticated", "anonymous")
DENIED = (403, "permission_denied")
APP_404 = (404, "application_not_found")
PROVIDER_404 = (404, "provider_not_found")


@dataclass(frozen=True)
class Case:
    method: str
    route: str  # exactly as Litestar lists it, e.g. /api/v1/applications/{app_id:int}
    refused: tuple[Refusal, ...]
    allowed: tuple[str, ...]
    ok_status: int = 200
    state: str | None = None  # see application_in(); None: no application
    body: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    multipart: dict[str, Any] | None = None  # form fields; a tuple is a file (name, bytes, content type)

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.route

    def __str__(self) -> str:
        return f"{self.method} {self.route}"


@dataclass(frozen=True)
class PublicCase:
    method: str
    route: str
    ok_status: int = 200
    state: str | None = None
    body: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.route

    def __str__(self) -> str:
        return f"{self.method} {self.route}"
