"""The ``kehou`` command: up, serve, migrate, demo, create-admin, audit verify."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from kehou.settings import InsecureSettings, Settings, SettingsError, load_settings


def migrate(settings: Settings) -> None:
    from alembic import command
    from alembic.config import Config

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    root = Path(__file__).resolve().parent.parent
    cfg = Config()
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.set_main_option("sqlalchemy.url", settings.database.url.replace("%", "%%"))
    from kehou.platform.pii import PiiVault, install

    install(PiiVault(settings.security.pii_key))  # migrations that seal existing values (0024)
    command.upgrade(cfg, "head")
    _sync_calendar(settings)


def _sync_calendar(settings: Settings) -> None:
    """Enter the working-day calendar years the installed chinesecalendar knows and the database lacks."""
    from kehou.db import Database
    from kehou.platform.calendar.sources import sync_from_package

    db = Database(settings.database.url, pool_size=1)
    try:
        with db.write_session() as session:
            sync_from_package(session)
            session.commit()
    finally:
        db.dispose()


def _cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    migrate(settings)
    print("数据库已迁移到最新版本。")
    return 0


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from kehou.cli import demo
    from kehou.platform.context import build_context

    migrate(settings)
    ctx = build_context(settings)
    try:
        created = demo.load(ctx, only_if_empty=not args.force)
    finally:
        ctx.close()
    print("演示数据已载入。" if created else "数据库中已有数据，未重复载入（使用 --force 强制）。")
    if created:
        print(demo.CREDENTIALS_NOTE)
    return 0


def _cmd_create_admin(args: argparse.Namespace, settings: Settings) -> int:
    from kehou.errors import KehouError
    from kehou.platform.accounts import services as accounts
    from kehou.platform.actor import Actor
    from kehou.platform.context import build_context

    password = args.password or os.environ.get("KEHOU_ADMIN_PASSWORD") or getpass.getpass("密码：")
    migrate(settings)
    ctx = build_context(settings)
    try:
        with ctx.db.write_session() as session:
            accounts.create_user(session, Actor.system("cli"), username=args.username, display_name=args.name or args.username,
                                 password=password, role="platform_admin")
    except KehouError as exc:
        print(f"错误（{exc.code}）：{exc.message}", file=sys.stderr)
        return 2
    finally:
        ctx.close()
    print(f"已创建平台管理员 {args.username}。")
    return 0


def _cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from kehou.db import Database
    from kehou.platform.audit import anchor
    from kehou.platform.audit import services as audit
    from kehou.storage import make_storage

    db = Database(settings.database.url)
    storage = make_storage(settings.storage, settings.security.secret_key)
    try:
        if args.audit_command == "checkpoint":
            with db.read_session() as session:
                cp, where = anchor.checkpoint(settings, session, storage)
            print(f"已签署审计检查点：{len(cp.heads)}条链、共{cp.entries}条记录（密钥指纹 {cp.key}），写入：{'、'.join(where)}")
            return 0
        with db.read_session() as session:
            checked, problems = audit.verify(session)
            latest, forged = anchor.newest_valid(settings, storage)
            findings = forged + (anchor.check(session, latest) if latest is not None else [])
    finally:
        db.dispose()
    for p in [*problems, *findings]:
        print(p)
    if problems or findings:
        print(f"审计日志校验失败：{len(problems) + len(findings)}处问题（共检查{checked}条）。")
        return 1
    anchored = f"，与{latest.at[:19].replace('T', ' ')} UTC的签名检查点一致" if latest is not None else "（尚无签名检查点）"
    print(f"审计日志完整：共{checked}条，哈希链全部一致{anchored}。")
    return 0


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from kehou.cli import launcher

    return launcher.serve(settings, host=args.host, port=args.port, worker=not args.no_worker, workers=args.workers,
                          log_level=args.log_level)


def _cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    args.force = False
    _cmd_demo(args, settings)
    return _cmd_serve(args, settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kehou", description="课后服务第三方机构管理平台")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("up", "迁移数据库、载入演示数据（如为空）并启动"), ("serve", "启动网站和后台任务进程")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--host", default=None)
        p.add_argument("--port", type=int, default=None)
        p.add_argument("--no-worker", action="store_true", help="不启动内置的 Celery worker")
        p.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY") or 1),
                       help="网站进程数（默认读取 WEB_CONCURRENCY，否则为 1）")
        p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                       help="日志级别（info 含每个请求的访问日志）")
    sub.add_parser("migrate", help="把数据库迁移到最新版本")
    p = sub.add_parser("demo", help="载入演示数据")
    p.add_argument("--force", action="store_true")
    p = sub.add_parser("create-admin", help="创建平台管理员")
    p.add_argument("username")
    p.add_argument("--name", default="")
    p.add_argument("--password", default="")
    audit = sub.add_parser("audit", help="审计日志")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="重新计算哈希链，报告被修改、删除、插入或重排的记录，并与签名检查点核对（截断、重写）")
    audit_sub.add_parser("checkpoint", help="用审计签名密钥签署各链的链头，写入存储（及 KEHOU_AUDIT_ANCHOR_DIR）")
    for command in plugin_commands():
        command.configure(sub.add_parser(command.name, help=command.help))
    return parser


def plugin_commands() -> list[Any]:
    """Subcommands contributed by plugins (``kehou_register_commands``)."""
    from kehou.plugin_manager import build_plugin_manager

    return [c for answer in build_plugin_manager().hook.kehou_register_commands() for c in answer]


def _cmd_plugin(args: argparse.Namespace, settings: Settings) -> int:
    from kehou.platform.context import build_context

    command = next(c for c in plugin_commands() if c.name == args.command)
    ctx = build_context(settings)
    try:
        return int(command.run(args, ctx))
    finally:
        ctx.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {
        "up": _cmd_up, "serve": _cmd_serve, "migrate": _cmd_migrate, "demo": _cmd_demo,
        "create-admin": _cmd_create_admin, "audit": _cmd_audit,
    }
    try:
        settings = load_settings()
        return handlers.get(args.command, _cmd_plugin)(args, settings)
    except (SettingsError, InsecureSettings) as exc:  # a configuration mistake: say what, no traceback
        print(f"kehou: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
