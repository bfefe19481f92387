"""Operator CLI for API keys : mint, list and revoke the keys of a tenant, and put a tenant on a usage tier.

    python -m tools.apikeys [TARGET] create [--tenant T] [--label L] [--quiet]
    python -m tools.apikeys [TARGET] list --tenant T
    python -m tools.apikeys [TARGET] revoke KEY_ID
    python -m tools.apikeys [TARGET] tier --tenant T [TIER]

TARGET, one of:
    (none)                          the local API's state (``.local/``, or ``--state-dir``), whether or not the
                                    local API is running: a running one runs the command itself, so its memory
                                    and its state never disagree
    --stack NAME                    a deployed stack: its table is the stack's ``TableName`` output
    --table NAME                    a deployed table (AWS credentials and region as for the AWS CLI)
    --dynamodb-endpoint URL         any DynamoDB-compatible endpoint (``--table``, default the local table)

A key is printed once, by ``create``; the table keeps only its SHA-256 digest and ``list`` shows key ids,
never keys. All table access goes through ``dataset_core.api_keys`` (and so ``dataset_core.storage``).

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
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from dataset_core import api_keys
from dataset_core.errors import DomainError
from tools import local_state, template
from tools.usage_plans import DEFAULT_TIER, AwsUsagePlans, LocalUsagePlans, UsagePlans, put_on_tier

_TENANT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_LABEL = 200
WAIT_FOR_STATE = 30.0
"""Seconds a command waits for another CLI's command, or for a starting local API to answer."""


class CommandError(Exception):
    """A command that cannot run as given; the message is for the operator."""


PlansFor = Callable[[], UsagePlans] | None
"""How to reach the target's usage plans, when a command needs them (None: the target has none we know)."""


def execute(command: dict[str, Any], plans: PlansFor = LocalUsagePlans) -> dict[str, Any]:
    """Run one command against the table ``dataset_core`` is configured for; a JSON-safe result.

    The local API calls this too, for commands that reach it over its admin socket.
    """
    action = command.get("action")
    if action == "create":
        tenant = command.get("tenant")
        label = str(command.get("label") or "")
        if tenant is not None and not _TENANT.fullmatch(str(tenant)):
            raise CommandError("a tenant id is 1 to 64 characters: letters, digits, '_' or '-'")
        if len(label) > MAX_LABEL:
            raise CommandError(f"a label has at most {MAX_LABEL} characters")
        tenant = str(tenant or uuid.uuid4().hex)
        tier = ensure_tier(tenant, plans)
        key, record = api_keys.create_key(tenant, label)
        return {"key": key, **_shown(record), "tier": tier}
    if action == "list":
        tenant = str(command.get("tenant") or "")
        if not _TENANT.fullmatch(tenant):
            raise CommandError("list needs --tenant: 1 to 64 characters, letters, digits, '_' or '-'")
        current = api_keys.usage_tier(tenant)
        return {"keys": [_shown(k) for k in api_keys.list_keys(tenant)], "tier": current.tier if current else None}
    if action == "tier":
        return _tier(command, plans)
    if action == "revoke":
        key_id = str(command.get("key_id") or "")
        if not _KEY_ID.fullmatch(key_id):
            raise CommandError(f"not a key id: {key_id[:64]!r}")
        revoked = api_keys.revoke(key_id)
        if revoked is None:
            raise CommandError(f"no API key has the id {key_id}")
        return {"key": asdict(revoked)}
    raise CommandError(f"unknown command {action!r}")


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
    return {k: v for k, v in asdict(key).items() if k != "usage_key"}


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
    another CLI's command (parallel runs take turns). A local API that is starting gets time to open its door."""
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
                return _ask_server(state, command)
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


def _ask_server(state: local_state.StateDir, command: dict[str, Any]) -> dict[str, Any]:
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
        description="Mint, list and revoke API keys, locally (default) or on a deployed stack.",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--state-dir", type=Path, help="the local API's state folder (default .local/)")
    target.add_argument("--stack", help="a deployed stack: use its TableName output")
    parser.add_argument("--table", help="a deployed table, or the table on --dynamodb-endpoint")
    parser.add_argument("--dynamodb-endpoint", help="a DynamoDB-compatible endpoint instead of AWS")
    parser.add_argument("--region", help="AWS region (default: as the AWS CLI)")
    parser.add_argument("--profile", help="AWS profile (default: as the AWS CLI)")
    commands = parser.add_subparsers(dest="action", required=True)
    create = commands.add_parser("create", help="mint a key (printed once)")
    create.add_argument("--tenant", help="the tenant (default: a new tenant)")
    create.add_argument("--label", default="", help="what the key is for, e.g. 'ci' or 'alice laptop'")
    create.add_argument("-q", "--quiet", action="store_true", help="print only the key")
    listing = commands.add_parser("list", help="a tenant's keys: id, label, created, status (never the key)")
    listing.add_argument("--tenant", required=True)
    revoke = commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
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


def _when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_NO_TIER = (
    "tenant {tenant} is on no usage tier: API Gateway refuses its requests (403) until it is put on one "
    "(python -m tools.apikeys --stack STACK tier --tenant {tenant} " + DEFAULT_TIER + ")"
)


def _print(args: argparse.Namespace, result: dict[str, Any]) -> None:
    if args.action == "create":
        if result["tier"] is None:
            print("warning: " + _NO_TIER.format(tenant=result["tenant_id"]), file=sys.stderr)
        if args.quiet:
            print(result["key"])
            return
        print(f"Created an API key for tenant {result['tenant_id']}")
        print(f"  key id   {result['key_id']}")
        print(f"  label    {result['label']}")
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
        keys = sorted(result["keys"], key=lambda k: (k["created_at"], k["key_id"]))
        print(f"tier: {result['tier'] or 'none (API Gateway refuses its requests; see the tier command)'}")
        if not keys:
            print(f"no API keys for tenant {args.tenant}")
            return
        for k in keys:
            k["label"] = k["label"] or "-"
        width = max(5, *(len(k["label"]) for k in keys))
        print(f"{'KEY ID':<16}  {'LABEL':<{width}}  {'CREATED (UTC)':<20}  STATUS")
        for k in keys:
            print(f"{k['key_id']:<16}  {k['label']:<{width}}  {_when(k['created_at']):<20}  {k['status']}")
    else:
        key = result["key"]
        ttl = template.authorizer()[2]
        print(f"Revoked key {key['key_id']} of tenant {key['tenant_id']}.")
        print(f"API Gateway may accept it for up to {ttl} s more (its authorizer cache, AuthorizerCacheTtl).")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = {"action": args.action, **{k: getattr(args, k, None) for k in ("tenant", "label", "key_id", "tier")}}
    try:
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
