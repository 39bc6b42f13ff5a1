"""The ``catalogue`` command: serve, migrate, seed-demo, token."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import sys

from catalogue.settings import ConfigurationError, Settings


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _prepare(settings: Settings, load_demo: bool) -> tuple[list[str], bool]:
    from catalogue.demo import seed_demo
    from catalogue.migrate import exclusive, migrate

    applied = await migrate(settings)
    loaded = False
    if load_demo:
        async with exclusive(settings):
            loaded = await seed_demo()
    return applied, loaded


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    host = args.host or settings.host
    port = args.port or settings.port
    demo = settings.demo_mode or args.demo
    if demo and not _is_loopback(host) and not args.allow_demo_on_network:
        print(
            f"Refusing to serve demo mode on {host}: demo mode lets anyone sign in as any role.\n"
            "Bind to 127.0.0.1, turn DEMO_MODE off, or pass --allow-demo-on-network.",
            file=sys.stderr,
        )
        return 2
    if demo:
        os.environ["DEMO_MODE"] = "true"
    if not args.no_migrate:
        applied, loaded = asyncio.run(_prepare(settings, demo))
        if applied:
            print(f"Applied {len(applied)} migration(s).")
        if loaded:
            print("Loaded demo data (invented units, resources and one user per role).")
    from catalogue.observability import configure_logging, prepare_multiprocess_dir

    # every worker writes its metrics to files here; /metrics sums them (set before the app loads)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = prepare_multiprocess_dir(settings.var_dir)
    configure_logging(settings.log_level, settings.log_format)
    import uvicorn

    shown_host = f"[{host}]" if ":" in host else host
    print(f"Læremiddelkatalogen on http://{shown_host}:{port}/  (database: {_describe(settings.database_url)})")
    same = " (with the same DATABASE_URL and VAR_DIR)" if os.environ.get("DATABASE_URL") or os.environ.get("VAR_DIR") else ""
    print(f"API token for scripts: .venv/bin/catalogue token --user NAME --role staff{same}")
    print("Press Ctrl-C to stop.", flush=True)
    uvicorn.run(
        "catalogue.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=settings.keep_alive_seconds,
        log_config=None,  # the service's own logging (catalogue.observability), JSON by default
        access_log=False,  # replaced by the request log: route template, status, latency, request id
    )
    return 0


def _describe(url: str) -> str:
    if url.startswith("sqlite"):
        return url
    from urllib.parse import urlparse

    parsed = urlparse(url)
    return f"postgresql://{parsed.hostname or ''}{':' + str(parsed.port) if parsed.port else ''}{parsed.path}"


def cmd_migrate(args: argparse.Namespace) -> int:
    from catalogue.migrate import migrate

    applied = asyncio.run(migrate(Settings.from_env()))
    print(f"Applied {len(applied)} migration(s)." if applied else "The schema is up to date.")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    loaded = asyncio.run(_prepare(Settings.from_env(), True))[1]
    print("Loaded demo data." if loaded else "Demo data was already loaded; nothing changed.")
    return 0


async def _token(settings: Settings, user: str, roles: list[str], ttl: int | None) -> str:
    from catalogue.migrate import migrate
    from catalogue.security.tokens import build_token_service
    from catalogue.users import LOCAL_ISSUER, ensure_user, grant_role

    await migrate(settings)
    user_id = await ensure_user(LOCAL_ISSUER, user, user)
    for role in roles:
        await grant_role(user_id, role, "catalogue token (command line)")
    return build_token_service(settings).issue(str(user_id), roles=roles, name=user, ttl_seconds=ttl)


def cmd_token(args: argparse.Namespace) -> int:
    from catalogue.domain import ALL_ROLES

    unknown = [r for r in args.role if r not in ALL_ROLES]
    if unknown:
        print(f"Unknown role(s): {', '.join(unknown)}. Roles: {', '.join(sorted(ALL_ROLES))}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    if args.ttl is not None and not 60 <= args.ttl <= 86400:
        print("--ttl must be between 60 and 86400 seconds", file=sys.stderr)
        return 2
    print(asyncio.run(_token(settings, args.user, args.role, args.ttl)))
    return 0


async def _admin(settings: Settings, action: str, user: str | None, role: str | None) -> tuple[int, str]:
    from catalogue.migrate import migrate
    from catalogue.tables import AppUser
    from catalogue.users import find_user, grant_role, revoke_role, roles_of

    await migrate(settings)
    if action == "users":
        lines = []
        for row in await AppUser.select().order_by(AppUser.id):
            roles = ", ".join(await roles_of(row["id"]))
            state = "" if row["active"] else " (deactivated)"
            lines.append(f"{row['id']:>5}  {row['issuer']}|{row['subject']}  {row['display_name']}{state}  [{roles}]")
        return 0, "\n".join(lines) or "No users yet. People appear here after their first login."
    try:
        user_id = await find_user(user or "")
    except ValueError as exc:
        return 2, str(exc)
    if user_id is None:
        return 2, (f"No user {user!r}. The person must log in once first; `catalogue admin users` lists "
                   "users as id, issuer|subject and name.")
    by = f"catalogue admin (command line, {os.environ.get('USER') or 'unknown'})"
    if action == "grant":
        changed = await grant_role(user_id, role, by)
        return 0, f"Granted {role} to user {user_id}." if changed else f"User {user_id} already holds {role}."
    from catalogue.problems import Problem

    try:
        changed = await revoke_role(user_id, role, by)
    except Problem as exc:
        return 2, exc.detail
    return 0, f"Removed {role} from user {user_id}." if changed else f"User {user_id} does not hold {role}."


def cmd_admin(args: argparse.Namespace) -> int:
    from catalogue.domain import ALL_ROLES

    if args.action in ("grant", "revoke"):
        if not args.user or not args.role:
            print("--user and --role are required", file=sys.stderr)
            return 2
        if args.role not in ALL_ROLES:
            print(f"Unknown role {args.role}. Roles: {', '.join(sorted(ALL_ROLES))}", file=sys.stderr)
            return 2
    code, message = asyncio.run(_admin(Settings.from_env(), args.action, args.user, args.role))
    print(message, file=sys.stderr if code else sys.stdout)
    return code


async def _revisions_run(settings: Settings):
    from catalogue.migrate import migrate
    from workflows.jobs_lock import JobsLock
    from workflows.scheduler import run_once

    await migrate(settings)
    async with JobsLock(settings) as lock:
        if not await lock.acquire():
            return None
        return await run_once(settings)


JOBS_ELSEWHERE = ("A running worker holds the jobs lock and does this itself (SCHEDULER_INTERVAL_SECONDS); "
                  "nothing was done here.")


def cmd_revisions_run(args: argparse.Namespace) -> int:
    report = asyncio.run(_revisions_run(Settings.from_env()))
    if report is None:
        print(JOBS_ELSEWHERE)
        return 0
    print(f"Opened {len(report.opened)} revision case(s){': ' + ', '.join(map(str, report.opened)) if report.opened else ''}.")
    print(f"Flagged {len(report.overdue)} overdue step(s).")
    print(f"Reminded {len(report.reminded)} proposer(s) of a returned case.")
    return 0


async def _audit_verify(settings: Settings):
    from catalogue.migrate import migrate
    from workflows.audit import verify

    await migrate(settings)
    return await verify()


def cmd_audit_verify(args: argparse.Namespace) -> int:
    result = asyncio.run(_audit_verify(Settings.from_env()))
    if result.ok:
        print(f"The audit chain is intact: {result.entries} entries.")
        return 0
    where = f"entry {result.broken_at}" if result.broken_at is not None else "the chain's head"
    print(f"The audit chain is BROKEN at {where}: {result.problem}.", file=sys.stderr)
    return 1


async def _notifications_send(settings: Settings):
    from catalogue.migrate import migrate
    from workflows.notify import deliver_pending, send_digests

    from workflows.jobs_lock import JobsLock

    await migrate(settings)
    async with JobsLock(settings) as lock:
        if not await lock.acquire():
            return None
        await send_digests(settings)  # the daily digests that have fallen due go out with the rest
        return await deliver_pending(settings)


def cmd_notifications_send(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not settings.smtp_host:
        print("SMTP_HOST is not set: notifications are shown in the app only.")
        return 0
    report = asyncio.run(_notifications_send(settings))
    if report is None:
        print(JOBS_ELSEWHERE)
        return 0
    print(f"Sent {report.sent}, will retry {report.retried}, gave up on {report.failed}.")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from catalogue.backup import BackupError, backup

    try:
        print(backup(Settings.from_env(), Path(args.file)))
    except BackupError as exc:
        print(f"Backup failed: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from catalogue.backup import BackupError, restore

    try:
        print(asyncio.run(restore(Settings.from_env(), Path(args.file))))
    except BackupError as exc:
        print(f"Restore failed: {exc}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="catalogue", description="Læremiddelkatalogen")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="apply migrations and serve the web application and API")
    serve.add_argument("--host", help="address to bind (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL for more than one)")
    serve.add_argument("--demo", action="store_true", help="demo mode: load demo data, allow demo login")
    serve.add_argument("--allow-demo-on-network", action="store_true",
                       help="allow demo mode on a non-loopback address")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("seed-demo", help="load the demo data once").set_defaults(func=cmd_seed_demo)

    token = sub.add_parser("token", help="print a bearer token for scripts")
    token.add_argument("--user", required=True, help="user name (a local account is made if needed)")
    token.add_argument("--role", action="append", required=True, help="role to hold (repeatable)")
    token.add_argument("--ttl", type=int, help="lifetime in seconds (default: TOKEN_TTL_SECONDS)")
    token.set_defaults(func=cmd_token)

    admin = sub.add_parser("admin", help="manage users' roles from the command line (bootstrap the first admin)")
    admin.add_argument("action", choices=["grant", "revoke", "users"])
    admin.add_argument("--user", help="user id, issuer|subject, or subject")
    admin.add_argument("--role", help="role to grant or revoke")
    admin.set_defaults(func=cmd_admin)

    revisions = sub.add_parser("revisions", help="the revision scheduler (for cron)")
    revisions_sub = revisions.add_subparsers(dest="revisions_command", required=True)
    revisions_sub.add_parser("run", help="open revision cases that are due and flag overdue steps; safe to run twice"
                             ).set_defaults(func=cmd_revisions_run)

    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="walk the hash chain and report the first broken link"
                         ).set_defaults(func=cmd_audit_verify)

    notifications = sub.add_parser("notifications", help="the notification outbox")
    notifications_sub = notifications.add_subparsers(dest="notifications_command", required=True)
    notifications_sub.add_parser("send", help="deliver pending e-mail now").set_defaults(func=cmd_notifications_send)

    backup_command = sub.add_parser("backup", help="back up the database while the service runs")
    backup_command.add_argument("file", help="the backup file to write (never overwritten)")
    backup_command.set_defaults(func=cmd_backup)
    restore_command = sub.add_parser("restore", help="load a backup into an empty database and verify the audit chain")
    restore_command.add_argument("file", help="a file written by `catalogue backup`")
    restore_command.set_defaults(func=cmd_restore)

    from catalogue.search.cli import add_commands as add_search_commands

    add_search_commands(sub)
    from catalogue.privacy_docs.cli import add_commands as add_history_commands

    add_history_commands(sub)
    from catalogue.dataio.cli import add_commands as add_transfer_commands

    add_transfer_commands(sub)
    from catalogue.curriculum.cli import add_commands as add_curriculum_commands

    add_curriculum_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigurationError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
