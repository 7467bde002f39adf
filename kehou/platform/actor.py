"""Who is acting: a frozen snapshot of the user, passed to every service."""

from __future__ import annotations

from dataclasses import dataclass

from kehou.errors import NotAuthenticated, PermissionDenied


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    display_name: str
    role: str
    county_code: str | None = None
    provider_id: int | None = None
    school_id: int | None = None
    department: str | None = None
    can_review: bool = False
    can_decide: bool = False
    ip: str = ""

    @classmethod
    def anonymous(cls, ip: str = "") -> Actor:
        return cls(user_id=None, username="", display_name="公众", role="public", ip=ip)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(user_id=None, username=name, display_name="系统", role="system")

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    def require(self, *roles: str) -> None:
        if not self.authenticated and self.role != "system":
            raise NotAuthenticated("请先登录。")
        if roles and self.role not in roles:
            raise PermissionDenied("您的角色无权执行此操作。")

    def require_county(self, county_code: str) -> None:
        """County staff and departments act only inside their own county."""
        if self.role == "platform_admin" or self.role == "system":
            return
        if self.county_code != county_code:
            raise PermissionDenied("无权访问其他区县的数据。")
