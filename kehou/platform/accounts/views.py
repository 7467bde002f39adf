"""HTML: log in and out, a parent's first activation, provider sign-up, notifications."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy import select

from kehou.errors import ValidationFailed
from kehou.platform.accounts import activation, services
from kehou.platform.accounts.models import User
from kehou.platform.context import Context
from kehou.platform.notifications.models import Notification
from kehou.platform.privacy import consent
from kehou.platform.providers import org_types
from kehou.platform.providers import services as providers
from kehou.timeutil import utcnow
from kehou.web import csrf_binding
from kehou.web.deps import DB, Ctx, Who, client_ip
from kehou.web.pages import done, field, render

LOGIN = {"title": "登录", "username": "用户名", "password": "密码", "submit": "登录", "activate": "首次登录？激活账户"}
ACTIVATE = {
    "title": "激活家长账户",
    "intro": "学校为您建立了家长账户，并发给您一张激活单。请输入激活单上的用户名和激活码，设置您自己的登录密码。",
    "username": "用户名（或学校登记的手机号）", "code": "激活码（8位，不区分大小写）",
    "password": "新密码（至少10位，含字母和数字）", "password2": "再次输入新密码", "submit": "激活并登录",
    "help": "激活码只能使用一次，有效期见激活单。激活码遗失、过期或已作废，请联系孩子的班主任重新打印激活单。",
    "login": "已激活？直接登录", "done": "账户已激活，欢迎使用。以后请用用户名 {username} 和新密码登录。",
    "agree_before": "我已阅读并同意", "notice": "《个人信息保护告知书》",
    "must_agree": "请先阅读并同意《个人信息保护告知书》。",
}
REGISTER = {
    "title": "第三方机构注册", "intro": "注册后即可向各区县教育局提交准入申请。带 * 的为必填项。",
    "org": "机构信息", "name": "机构名称 *", "uscc": "统一社会信用代码 *（18位）", "org_type": "机构类型 *",
    "legal_rep_name": "法定代表人 *", "legal_rep_id_number": "法定代表人身份证号 *（加密保存，仅显示后4位）",
    "contact_name": "联系人 *", "contact_phone": "联系电话 *", "contact_email": "电子邮箱", "address": "地址",
    "national_platform_id": "全国校外教育培训监管与服务综合平台编号（如有）", "account": "登录账号",
    "username": "用户名 *", "display_name": "您的姓名 *", "password": "密码 *（至少10位，含字母和数字）", "submit": "注册",
    "done": "注册成功，请登录。",
}
NOTIFY = {"title": "我的消息", "empty": "暂无消息。", "open": "查看"}

REGISTER_FIELDS = ["name", "uscc", "org_type", "legal_rep_name", "legal_rep_id_number", "contact_name", "contact_phone",
                   "contact_email", "address", "national_platform_id"]


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else ""


def start_session(request: Request[Any, Any, Any], ctx: Context, user: User) -> Cookie:
    """A new login session with a fresh CSRF token bound to it; returns the CSRF cookie to set."""
    csrf, cookie = csrf_binding.fresh(ctx.settings.security.secret_key, secure=ctx.settings.security.secure_cookies)
    request.clear_session()
    request.set_session({"uid": user.id, "sv": user.session_version, csrf_binding.SESSION_KEY: csrf})
    return cookie


class AccountPages(Controller):
    include_in_schema = False

    @get("/login", sync_to_thread=False)
    def login_form(self, request: Request[Any, Any, Any], actor: Who) -> Template:
        return render(request, "login.html", actor, LOGIN, next=_safe_next(request.query_params.get("next", "")))

    @post("/login", sync_to_thread=True)
    def login(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx) -> Redirect:
        user = services.login(db, ctx.settings.security, username=field(data, "username"), password=field(data, "password"),
                              ip=client_ip(request))
        cookie = start_session(request, ctx, user)
        home = {"provider": "/provider", "county_staff": "/desk", "department": "/desk", "platform_admin": "/desk",
                "school_admin": "/school/menus", "parent": "/parent"}
        return Redirect(path=_safe_next(field(data, "next")) or home.get(user.role, "/notifications"), status_code=303,
                        cookies=[cookie])

    @get("/activate", sync_to_thread=False)
    def activate_form(self, request: Request[Any, Any, Any], actor: Who) -> Template:
        return render(request, "activate.html", actor, ACTIVATE, username=request.query_params.get("username", "")[:64])

    @post("/activate", sync_to_thread=True)
    def activate(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx) -> Redirect:
        """The code spent and the password set, the parent is logged in (a failure goes back to the form, the
        name and code kept, never the passwords: kehou/web/errors.py)."""
        if field(data, "agree") != "yes":
            raise ValidationFailed(ACTIVATE["must_agree"], code="notice_not_accepted", field="agree")
        user = activation.activate(ctx, db, identifier=field(data, "username"), code=field(data, "code"),
                                   password=str(data.get("password") or ""), password2=str(data.get("password2") or ""),
                                   ip=client_ip(request))
        consent.give(db, services.actor_for(user, client_ip(request)), "notice", ip=client_ip(request))
        cookie = start_session(request, ctx, user)
        redirect = done(request, "/parent", ACTIVATE["done"].format(username=user.username))
        redirect.cookies.append(cookie)
        return redirect

    @post("/logout", sync_to_thread=False)
    def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect(path="/", status_code=303)

    @get("/register", sync_to_thread=True)
    def register_form(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        return render(request, "register.html", actor, REGISTER, org_types=org_types.anywhere(db))

    @post("/register", sync_to_thread=True)
    def register(self, request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, Any]], db: DB, ctx: Ctx,
                 actor: Who) -> Redirect:
        org = providers.ProviderInput(**{k: field(data, k) for k in REGISTER_FIELDS})
        providers.register(db, ctx.vault, actor, org, username=field(data, "username"), password=field(data, "password"),
                           display_name=field(data, "display_name"))
        return done(request, "/login", REGISTER["done"])

    @get("/notifications", sync_to_thread=True)
    def notifications(self, request: Request[Any, Any, Any], db: DB, actor: Who) -> Template:
        actor.require()
        rows = list(db.scalars(select(Notification).where(Notification.user_id == actor.user_id)
                               .order_by(Notification.id.desc()).limit(100)))
        page = render(request, "notifications.html", actor, NOTIFY, rows=rows)
        unread = [n for n in rows if n.read_at is None]
        if unread:
            with request.app.state.ctx.db.write_session() as w:
                for n in unread:
                    row = w.get(Notification, n.id)
                    if row is not None:
                        row.read_at = utcnow()
                w.commit()
        return page
