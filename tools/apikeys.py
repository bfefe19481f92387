"""Operator CLI for API keys: mint, list, revoke and re-date the keys of a tenant, and put a tenant on a usage tier.

    python -m tools.apikeys [TARGET] create [--tenant T] [--label L] [--read-only]
                                            [--expires-in 90d | --expires-at 2027-01-31T00:00:00Z] [--quiet]
    python -m tools.apikeys [TARGET] list [--tenant T]          (no --tenant: every tenant's keys)
    python -m tools.apikeys [TARGET] revoke KEY_ID
    python -m tools.apikeys [TARGET] set-expiry KEY_ID (--in 30d | --at 2027-01-31T00:00:00Z | --never)
    python -m tools.apikeys [TARGET] tier --tenant T [TIER]

TARGET, one of:
    (none)                          the local API's state (``.local/``, or ``--state-dir``), whether or not the
                                    local API is running: a running one runs the command itself, so its memory
                                    and its state never disagree
    --stack NAME                    a deployed stack: its table is the stack's ``TableName`` output
    --table NAME                    a deployed table (AWS credentials and region as for the AWS CLI)
    --dynamodb-endpoint URL         any DynamoDB-compatible endpoint (``--table``, default the local table)

A key is printed once, by ``create``; the table keeps only its SHA-256 digest and ``list`` shows key ids,
never keys. A key is ``read-write`` (the default) or ``read-only`` (GET routes only), and may expire; times
are parsed here, so a running local API is handed absolute epoch seconds. All table access goes through
``dataset_core.api_keys`` (and so ``dataset_core.storage``).

``tier`` puts a tenant on a usage tier (``tools.usage_plans``): on a stack, the tenant's API Gateway API key goes
into that tier's usage plan; locally, the local API's gateway applies the tier recorded. A tenant's first key
puts it on the default tier: API Gateway refuses every request of a tenant on none (403). With ``--table``
alone the stack's usage plans are unknown: ``create`` warns, and ``tier`` needs ``--stack``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import socket
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from dataset_core import api_keys, scopes
from dataset_core.errors import DomainError
from tools import local_state, template
from tools.usage_plans import DEFAULT_TIER, AwsUsagePlans, LocalUsagePlans, UsagePlans, put_on_tier

_TENANT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_LABEL = 200
WAIT_FOR_STATE = 30.0
"""Seconds a command waits for another CLI's command, or for a starting local API to answer."""
_DURATION = re.compile(r"([1-9][0-9]{0,6})([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class CommandError(Exception):
    """A command that cannot run as given; the message is for the operator."""


PlansFor = Callable[[], UsagePlans] | None
"""How to reach the target's usage plans, when a command needs them (None: the target has none we know)."""


def execute(command: dict[str, Any], plans: PlansFor = LocalUsagePlans) -> dict[str, Any]:
    """Run one command against the table ``dataset_core`` is configured for; a JSON-safe result.

    The local API calls this too, for commands that reach it over its admin socket.
    """
    action = str(command.get("action"))
    if action == "create":
        return _create(command, plans)
    if action == "tier":
        return _tier(command, plans)
    run = _COMMANDS.get(action)
    if run is None:
        raise CommandError(f"unknown command {command.get('action')!r}")
    return run(command)


def _create(command: dict[str, Any], plans: PlansFor) -> dict[str, Any]:
    tenant = command.get("tenant")
    label = str(command.get("label") or "")
    if tenant is not None and not _TENANT.fullmatch(str(tenant)):
        raise CommandError("a tenant id is 1 to 64 characters: letters, digits, '_' or '-'")
    if len(label) > MAX_LABEL:
        raise CommandError(f"a label has at most {MAX_LABEL} characters")
    scope = str(command.get("scope") or scopes.READ_WRITE)
    if scope not in scopes.SCOPES:
        raise CommandError(f"a key's scope is one of {', '.join(scopes.SCOPES)}")
    expires_at = _future_epoch(command.get("expires_at"))
    tenant = str(tenant or uuid.uuid4().hex)
    tier = ensure_tier(tenant, plans)
    key, record = api_keys.create_key(tenant, label, scope=scope, expires_at=expires_at)
    return {"key": key, **_shown(record), "tier": tier}


def _list(command: dict[str, Any]) -> dict[str, Any]:
    """One tenant's keys, or every tenant's (the operator's view), with each tenant's usage tier."""
    tenant = command.get("tenant")
    if tenant is None:
        keys = api_keys.list_all_keys()
    elif not _TENANT.fullmatch(str(tenant)):
        raise CommandError("--tenant is 1 to 64 characters: letters, digits, '_' or '-'")
    else:
        keys = api_keys.list_keys(str(tenant))
    tenants = {k.tenant_id for k in keys} | ({str(tenant)} if tenant is not None else set())
    tiers = {t: (found.tier if (found := api_keys.usage_tier(t)) else None) for t in sorted(tenants)}
    return {"keys": [_shown(k) for k in keys], "tiers": tiers}


def _tier(command: dict[str, Any], plans: PlansFor) -> dict[str, Any]:
    """Show the tenant's tier, or put it on the one named."""
    tenant = str(command.get("tenant") or "")
    if not _TENANT.fullmatch(tenant):
        raise CommandError("tier needs --tenant: 1 to 64 characters, letters, digits, '_' or '-'")
    tier = command.get("tier")
    tiers = sorted(template.usage_plans())
    if tier is None:
        current = api_keys.usage_tier(tenant)
        return {"tenant_id": tenant, "tier": current.tier if current else None, "tiers": tiers}
    if tier not in tiers:
        raise CommandError(f"no tier {tier!r}: the tiers are {', '.join(tiers)}")
    if plans is None:
        raise CommandError("a deployed table alone does not name its usage plans: give --stack NAME instead")
    where = plans()
    recorded, updated = put_on_tier(tenant, str(tier), where)
    return {"tenant_id": tenant, "tier": recorded.tier, "keys_updated": updated, "where": where.where}


def ensure_tier(tenant: str, plans: PlansFor) -> str | None:
    """The tenant's tier; a tenant on none is put on the default tier (if the target's usage plans are known)."""
    current = api_keys.usage_tier(tenant)
    if current is not None:
        return current.tier
    if plans is None:
        return None
    return put_on_tier(tenant, DEFAULT_TIER, plans())[0].tier


def _shown(key: api_keys.ApiKey) -> dict[str, Any]:
    """A key's record as the operator sees it (its usage key is the tenant's, shown by ``tier``'s records)."""
    return {k: v for k, v in key._asdict().items() if k != "usage_key"}


def _revoke(command: dict[str, Any]) -> dict[str, Any]:
    key_id = _key_id(command)
    found = _found(key_id)
    if found.status == "revoked":
        raise CommandError(f"key {key_id} of tenant {found.tenant_id} is already revoked")
    revoked = api_keys.revoke(key_id)
    if revoked is None:  # gone in between: nothing was revoked
        raise CommandError(f"no API key has the id {key_id}")
    return {"key": _shown(revoked)}


def _set_expiry(command: dict[str, Any]) -> dict[str, Any]:
    key_id = _key_id(command)
    expires_at = _future_epoch(command.get("expires_at"))
    found = _found(key_id)
    if found.status == "revoked":
        raise CommandError(f"key {key_id} of tenant {found.tenant_id} is revoked: its expiry no longer matters")
    changed = api_keys.set_expiry(key_id, expires_at)
    if changed is None:
        raise CommandError(f"no API key has the id {key_id}")
    return {"key": _shown(changed)}


_COMMANDS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "list": _list,
    "revoke": _revoke,
    "set-expiry": _set_expiry,
}
"""The commands that need no usage plans (``create`` and ``tier`` may: ``execute`` hands them the target's)."""


def _found(key_id: str) -> api_keys.ApiKey:
    found = api_keys.find(key_id)
    if found is None:
        raise CommandError(f"no API key has the id {key_id}")
    return found


def _key_id(command: dict[str, Any]) -> str:
    key_id = str(command.get("key_id") or "")
    if not _KEY_ID.fullmatch(key_id):
        raise CommandError(f"not a key id: {key_id[:64]!r}")
    return key_id


def _future_epoch(value: Any) -> int | None:
    """An expiry as sent: None (never) or epoch seconds still in the future."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise CommandError("an expiry is epoch seconds")
    if value <= time.time():
        raise CommandError(f"the expiry {_when(value)} has already passed; to stop a key now, revoke it")
    return value


def parse_duration(text: str) -> int:
    """``90d``, ``12h``, ``30m``, ``3600s`` or ``2w`` in seconds."""
    found = _DURATION.fullmatch(text.strip())
    if found is None:
        raise CommandError(f"not a duration: {text!r} (a number and one of s, m, h, d, w: 90d, 12h, 30m)")
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2)]


def parse_instant(text: str) -> int:
    """An ISO 8601 time with its zone (``2027-01-31T00:00:00Z``), or a date (midnight UTC), in epoch seconds."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return int(datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC).timestamp())
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not an ISO 8601 time: {text!r} (e.g. 2027-01-31T00:00:00Z)") from None
    if moment.tzinfo is None:
        raise CommandError(f"{text!r} has no time zone: add Z for UTC (2027-01-31T00:00:00Z) or an offset")
    return int(moment.timestamp())


def expiry_from(expires_in: str | None, expires_at: str | None, now: float) -> int | None:
    """Epoch seconds of an expiry given as a duration from now or an instant; None if neither."""
    if expires_in is not None:
        return int(now) + parse_duration(expires_in)
    if expires_at is not None:
        return parse_instant(expires_at)
    return None


# ---- targets -----------------------------------------------------------------------------------------------


def stack_table(stack: str) -> str:
    """The ``TableName`` output of a deployed stack (CloudFormation, not DynamoDB)."""
    stacks = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    for output in stacks[0].get("Outputs", []):
        if output["OutputKey"] == "TableName":
            return str(output["OutputValue"])
    raise CommandError(f"stack {stack} has no TableName output: is it this project's stack?")


def run_remote(args: argparse.Namespace, command: dict[str, Any]) -> dict[str, Any]:
    """On a deployed table or another endpoint: ``dataset_core`` talks to it directly. A stack's usage plans are
    API Gateway's; an endpoint's are the local API's; a table named alone has none we know."""
    if args.profile:
        os.environ["AWS_PROFILE"] = args.profile
    if args.region:
        os.environ["AWS_DEFAULT_REGION"] = args.region
    table = args.table or (stack_table(args.stack) if args.stack else local_state.LOCAL_TABLE)
    local_state.use_table(table, args.dynamodb_endpoint)
    plans: PlansFor = None
    if args.stack:
        plans = functools.partial(stack_plans, str(args.stack))  # found only when a command needs them
    elif args.dynamodb_endpoint:
        plans = LocalUsagePlans
    return execute(command, plans)


def stack_plans(stack: str) -> UsagePlans:
    """A deployed stack's usage plans (API Gateway's)."""
    try:
        return AwsUsagePlans.for_stack(stack, boto3.client("cloudformation"), boto3.client("apigateway"))
    except LookupError as error:
        raise CommandError(str(error)) from None


def run_local(state: local_state.StateDir, command: dict[str, Any]) -> dict[str, Any]:
    """On the local API's state: directly if nobody holds it, through the local API that holds it, or after
    another CLI's command (parallel runs take turns). A local API that is starting gets time to open its door.

    The folder must exist: a mistyped ``--state-dir`` would otherwise start an empty state and answer "no keys".
    """
    if not state.path.is_dir():
        raise CommandError(
            f"{state.path} is not a local API state folder (it does not exist): start the local API once "
            "(make run), or give the --state-dir of one"
        )
    deadline = time.monotonic() + WAIT_FOR_STATE
    while True:
        lock = local_state.StateLock(state, local_state.StateLock.CLI)
        if lock.acquire():
            try:
                return _run_here(state, command)
            finally:
                lock.release()
        holder = lock.holder()  # None: the holder is writing its name right now, or has just left
        if holder is not None and holder.role == local_state.StateLock.SERVER:
            try:
                return ask_server(state, command)
            except (FileNotFoundError, ConnectionRefusedError) as error:  # not listening (yet): retry
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"a local API (pid {holder.pid}) owns {state.path} but does not answer on "
                        f"{state.socket.name} ({error}); stop it and run this again"
                    ) from None
        elif time.monotonic() > deadline:
            who = f"another {holder.role} (pid {holder.pid})" if holder else "another process"
            raise CommandError(f"{who} has held {state.path} for {WAIT_FOR_STATE:g} s; try again later")
        time.sleep(0.05)


def _run_here(state: local_state.StateDir, command: dict[str, Any]) -> dict[str, Any]:
    database = local_state.EmbeddedDatabase(state)
    try:
        database.open()
        return execute(command)  # a minted key is durable (journaled) before it is printed
    finally:
        database.close()


def ask_server(state: local_state.StateDir, command: dict[str, Any]) -> dict[str, Any]:
    """The running local API's answer; ``FileNotFoundError``/``ConnectionRefusedError``: it is not listening."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(30)
        conn.connect(str(state.socket))
        try:  # sent: never retried, it may have run
            conn.sendall(json.dumps(command).encode() + b"\n")
            reply = json.loads(conn.makefile("rb").readline())
        except (OSError, ValueError) as error:
            raise CommandError(f"the local API on {state.socket.name} did not answer: {error}") from None
    if not reply.get("ok"):
        raise CommandError(str(reply.get("error")))
    return dict(reply["result"])


# ---- the command line --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The command line (the README's target table is checked against it)."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.apikeys",
        description="Mint, list, revoke and re-date API keys, locally (default) or on a deployed stack.",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--state-dir", type=Path, help="the local API's state folder (default .local/; must exist)")
    target.add_argument("--stack", help="a deployed stack: use its TableName output")
    parser.add_argument("--table", help="a deployed table, or the table on --dynamodb-endpoint")
    parser.add_argument("--dynamodb-endpoint", help="a DynamoDB-compatible endpoint instead of AWS")
    parser.add_argument("--region", help="AWS region (default: as the AWS CLI)")
    parser.add_argument("--profile", help="AWS profile (default: as the AWS CLI)")
    commands = parser.add_subparsers(dest="action", required=True)
    create = commands.add_parser("create", help="mint a key (printed once)")
    create.add_argument("--tenant", help="the tenant (default: a new tenant)")
    create.add_argument("--label", default="", help="what the key is for, e.g. 'ci' or 'alice laptop'")
    create.add_argument(
        "--read-only", action="store_true", help="the key may call GET routes only (default: read-write)"
    )
    expiry = create.add_mutually_exclusive_group()
    expiry.add_argument("--expires-in", metavar="DURATION", help="e.g. 90d, 12h, 30m, 2w (default: never)")
    expiry.add_argument("--expires-at", metavar="TIME", help="ISO 8601 with a zone, e.g. 2027-01-31T00:00:00Z")
    create.add_argument("-q", "--quiet", action="store_true", help="print only the key")
    listing = commands.add_parser(
        "list", help="keys with scope, expiry and status (never the key); without --tenant, every tenant's"
    )
    listing.add_argument("--tenant", help="only this tenant's keys")
    revoke = commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    redate = commands.add_parser("set-expiry", help="give a key a new expiry, or none")
    redate.add_argument("key_id")
    when = redate.add_mutually_exclusive_group(required=True)
    when.add_argument("--in", dest="expires_in", metavar="DURATION", help="from now, e.g. 30d")
    when.add_argument("--at", dest="expires_at", metavar="TIME", help="e.g. 2027-01-31T00:00:00Z")
    when.add_argument("--never", action="store_true", help="remove the expiry")
    tier = commands.add_parser("tier", help="show a tenant's usage tier, or put it on TIER")
    tier.add_argument("--tenant", required=True)
    tier.add_argument("tier", nargs="?", choices=sorted(template.usage_plans()), help="the tier to put it on")
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.state_dir and (args.table or args.dynamodb_endpoint):
        parser.error("--state-dir is the local state; --table and --dynamodb-endpoint name another database")
    if args.stack and args.table:
        parser.error("give --stack or --table, not both")
    return args


def command_of(args: argparse.Namespace, now: float) -> dict[str, Any]:
    """The command to execute, times made absolute here (a running local API gets epoch seconds)."""
    command: dict[str, Any] = {"action": args.action}
    if args.action == "create":
        command.update(
            tenant=args.tenant,
            label=args.label,
            scope=scopes.READ_ONLY if args.read_only else scopes.READ_WRITE,
            expires_at=expiry_from(args.expires_in, args.expires_at, now),
        )
    elif args.action == "list":
        command["tenant"] = args.tenant
    elif args.action == "revoke":
        command["key_id"] = args.key_id
    elif args.action == "tier":
        command.update(tenant=args.tenant, tier=args.tier)
    else:
        command.update(key_id=args.key_id, expires_at=expiry_from(args.expires_in, args.expires_at, now))
    return command


def _when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_NO_TIER = (
    "tenant {tenant} is on no usage tier: API Gateway refuses its requests (403) until it is put on one "
    "(python -m tools.apikeys --stack STACK tier --tenant {tenant} " + DEFAULT_TIER + ")"
)


def _expiry(key: dict[str, Any]) -> str:
    return "never" if key.get("expires_at") is None else _when(int(key["expires_at"]))


def _status(key: dict[str, Any], now: float) -> str:
    """Stored status, or ``expired`` for an active key whose expiry passed (the authorizer refuses it)."""
    if key["status"] == "active" and key.get("expires_at") is not None and now >= int(key["expires_at"]):
        return "expired"
    return str(key["status"])


def _print(args: argparse.Namespace, result: dict[str, Any]) -> None:
    now = time.time()
    ttl = template.authorizer()[2]
    if args.action == "create":
        if result["tier"] is None:
            print("warning: " + _NO_TIER.format(tenant=result["tenant_id"]), file=sys.stderr)
        if args.quiet:
            print(result["key"])
            return
        print(f"Created an API key for tenant {result['tenant_id']}")
        print(f"  key id   {result['key_id']}")
        print(f"  label    {result['label']}")
        print(f"  scope    {result['scope']}")
        print(f"  expires  {_expiry(result)}")
        print(f"  tier     {result['tier'] or '-'}")
        print(f"  api key  {result['key']}")
        print("Store the key now: it is shown only this once (the table keeps only its SHA-256 digest).")
    elif args.action == "tier":
        if "keys_updated" in result:
            print(f"Tenant {result['tenant_id']} is on tier {result['tier']} ({result['where']}).")
            print(f"{result['keys_updated']} of its keys took its usage key; keys minted later carry it too.")
        elif result["tier"] is None:
            print(_NO_TIER.format(tenant=result["tenant_id"]) + f"; the tiers are {', '.join(result['tiers'])}")
        else:
            print(
                f"Tenant {result['tenant_id']} is on tier {result['tier']} (the tiers: {', '.join(result['tiers'])})."
            )
    elif args.action == "list":
        _print_list(args, result["keys"], result["tiers"], now)
    elif args.action == "revoke":
        key = result["key"]
        print(f"Revoked key {key['key_id']} of tenant {key['tenant_id']}.")
        print(f"API Gateway may accept it for up to {ttl} s more (its authorizer cache, AuthorizerCacheTtl).")
    else:
        key = result["key"]
        print(f"Key {key['key_id']} of tenant {key['tenant_id']} now expires: {_expiry(key)}.")
        if key.get("expires_at") is None:
            print("A key that had expired works again at once (a refused key is never cached).")
        else:
            print(f"API Gateway refuses it from then on; it never serves it past that, whatever its {ttl} s cache.")


def _print_list(args: argparse.Namespace, keys: list[dict[str, Any]], tiers: dict[str, str | None], now: float) -> None:
    if args.tenant:
        tier = tiers.get(args.tenant)
        print(f"tier: {tier or 'none (API Gateway refuses its requests; see the tier command)'}")
    if not keys:
        print(f"no API keys for tenant {args.tenant}" if args.tenant else "no API keys")
        return
    keys = sorted(keys, key=lambda k: (k["tenant_id"], k["created_at"], k["key_id"]))
    rows = [
        {
            "KEY ID": k["key_id"],
            "TENANT": k["tenant_id"],
            "TIER": tiers.get(k["tenant_id"]) or "-",
            "LABEL": k["label"] or "-",
            "CREATED (UTC)": _when(k["created_at"]),
            "SCOPE": k["scope"],
            "EXPIRES (UTC)": _expiry(k),
            "STATUS": _status(k, now),
        }
        for k in keys
    ]
    columns = [c for c in rows[0] if c not in {"TENANT", "TIER"} or not args.tenant]  # one tenant: said above
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    for r in rows:
        print("  ".join(r[c].ljust(widths[c]) for c in columns).rstrip())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        command = command_of(args, time.time())
        if args.stack or args.table or args.dynamodb_endpoint:
            result = run_remote(args, command)
        else:
            result = run_local(
                local_state.StateDir((args.state_dir or local_state.DEFAULT_STATE_DIR).resolve()), command
            )
    except (CommandError, local_state.StateError, DomainError, BotoCoreError, ClientError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _print(args, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
