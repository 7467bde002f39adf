"""JSON API: tokens, the current user, creating users, notifications."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import JSONBody
from sqlalchemy import select

from kehou.platform.accounts import services
from kehou.platform.accounts.models import User
from kehou.platform.notifications.models import Notification
from kehou.web.deps import DB, Ctx, Who, client_ip


class TokenRequest(msgspec.Struct):
    username: str
    password: str
    name: str = "api"


class NewUser(msgspec.Struct):
    username: str
    display_name: str
    password: str
    role: str
    county_code: str | None = None
    provider_id: int | None = None
    school_id: int | None = None
    department: str | None = None
    can_review: bool = False
    can_decide: bool = False


def user_out(user: User) -> dict[str, Any]:
    return {
        "id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
        "county_code": user.county_code, "provider_id": user.provider_id, "school_id": user.school_id,
        "department": user.department, "can_review": user.can_review, "can_decide": user.can_decide,
    }


class AccountsApi(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @post("/auth/token", sync_to_thread=True, status_code=201, summary="Log in and get an API token")
    def token(self, request: Request[Any, Any, Any], data: JSONBody[TokenRequest], db: DB, ctx: Ctx) -> dict[str, Any]:
        user = services.login(db, ctx.settings.security, username=data.username, password=data.password, ip=client_ip(request))
        token = services.issue_token(db, user, name=data.name)
        return {"token": token, "user": user_out(user)}

    @delete("/auth/token", sync_to_thread=True, status_code=204, summary="Revoke the token in use")
    def revoke(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> None:
        actor.require()
        services.revoke_token(db, request.headers.get("authorization", "")[7:].strip())

    @get("/me", sync_to_thread=True, summary="The current user")
    def me(self, db: DB, actor: Who) -> dict[str, Any]:
        actor.require()
        user = db.get(User, actor.user_id)
        assert user is not None
        return user_out(user)

    @post("/users", sync_to_thread=True, status_code=201, summary="Create a user (who may create whom: see docs)")
    def create_user(self, data: JSONBody[NewUser], db: DB, actor: Who) -> dict[str, Any]:
        actor.require()
        user = services.create_user(db, actor, **msgspec.structs.asdict(data))
        return user_out(user)

    @get("/notifications", sync_to_thread=True, summary="My notifications")
    def notifications(self, db: DB, actor: Who) -> list[dict[str, Any]]:
        actor.require()
        rows = db.scalars(select(Notification).where(Notification.user_id == actor.user_id)
                          .order_by(Notification.id.desc()).limit(100))
        return [{"id": n.id, "title": n.title, "body": n.body, "link": n.link, "created_at": n.created_at.isoformat(),
                 "read": n.read_at is not None} for n in rows]
