"""Which usage plan meters a tenant: API Gateway's API keys and usage plans on AWS, the key table locally.

Every request of a tenant is metered by one API Gateway API key, the tenant's *usage key*, which the authorizer
returns (the API's ``ApiKeySourceType`` is ``AUTHORIZER``; clients never see or send it) and which one usage
plan of the stage holds: the tenant's tier. ``tools.apikeys`` puts a tenant on a tier through one of these:

* ``AwsUsagePlans``, for a deployed stack: creates the tenant's API Gateway API key if it has none, and moves it
  into the tier's usage plan (out of the other tier's first: API Gateway refuses a key in two plans of one stage);
* ``LocalUsagePlans``, for the local API: its gateway reads the tier recorded with the keys
  (``tools.local_gateway``), so a usage key only has to be new.

Either way the caller then records the tier and the usage key with the tenant's keys
(``dataset_core.api_keys.set_usage_tier``), where the authorizer finds it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from dataset_core import api_keys
from tools import template

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_TIER = "standard"
"""The tier a tenant's first key puts it on (a tenant without one is refused by API Gateway: 403)."""


@dataclass(frozen=True)
class UsageKey:
    """An API Gateway API key: its id, and its value (what the authorizer returns)."""

    key_id: str
    value: str


class UsagePlans(Protocol):
    where: str
    """Where the tiers are, for the operator: "the local API" or "stack NAME"."""

    def ensure_key(self, tenant: str, known: api_keys.UsageTier | None) -> UsageKey:
        """The tenant's usage key (``known``: what the table recorded for it), created if it has none."""
        ...

    def assign(self, key: UsageKey, tier: str) -> None:
        """Put the key in the tier's usage plan, and in no other of the stage."""
        ...


class LocalUsagePlans:
    """The local API's usage plans: the tier recorded with the tenant's keys is the one its gateway applies."""

    where = "the local API"

    def ensure_key(self, tenant: str, known: api_keys.UsageTier | None) -> UsageKey:
        if known is not None:
            return UsageKey(known.usage_key_id, known.usage_key)
        return UsageKey("local" + secrets.token_hex(5), secrets.token_urlsafe(30))  # API Gateway's: 10 and 40 chars

    def assign(self, key: UsageKey, tier: str) -> None:
        """Nothing to do here: the caller records the tier, which is what the local gateway reads."""


class AwsUsagePlans:
    """A deployed stack's usage plans, through API Gateway's API (boto3's ``apigateway`` client)."""

    def __init__(self, stack: str, plan_ids: Mapping[str, str], client: Any) -> None:
        self.stack = stack
        self.where = f"stack {stack}"
        self.plan_ids = dict(plan_ids)  # tier -> usage plan id
        self.client = client

    @classmethod
    def for_stack(cls, stack: str, cloudformation: Any, apigateway: Any) -> AwsUsagePlans:
        """The stack's usage plans, found by their logical ids in ``template.yaml``."""
        by_logical_id = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
            if r["ResourceType"] == "AWS::ApiGateway::UsagePlan"
        }
        plans = template.usage_plans()
        missing = sorted(p.logical_id for p in plans.values() if p.logical_id not in by_logical_id)
        if missing:
            raise LookupError(f"stack {stack} has no usage plan {', '.join(missing)}: deploy this template first")
        return cls(stack, {tier: by_logical_id[plan.logical_id] for tier, plan in plans.items()}, apigateway)

    def key_name(self, tenant: str) -> str:
        return f"{self.stack}-tenant-{tenant}"

    def ensure_key(self, tenant: str, known: api_keys.UsageTier | None) -> UsageKey:
        if known is not None:
            try:
                found = self.client.get_api_key(apiKey=known.usage_key_id, includeValue=True)
                return UsageKey(found["id"], found["value"])
            except self.client.exceptions.NotFoundException:
                pass  # deleted in API Gateway: make another
        name = self.key_name(tenant)
        pages = self.client.get_paginator("get_api_keys").paginate(nameQuery=name, includeValues=True)
        for page in pages:  # a key made by a command that stopped before it recorded it
            for found in page.get("items", []):
                if found.get("name") == name:
                    return UsageKey(found["id"], found["value"])
        created = self.client.create_api_key(
            name=name,
            description=f"Meters tenant {tenant} of stack {self.stack} (returned by its authorizer)",
            enabled=True,
            customerId=tenant,
            tags={"tenant": tenant},
        )
        return UsageKey(created["id"], created["value"])

    def assign(self, key: UsageKey, tier: str) -> None:
        target = self.plan_ids[tier]
        current: set[str] = set()
        for page in self.client.get_paginator("get_usage_plans").paginate(keyId=key.key_id):
            current |= {plan["id"] for plan in page.get("items", [])}
        for plan_id in sorted((current & set(self.plan_ids.values())) - {target}):
            self.client.delete_usage_plan_key(usagePlanId=plan_id, keyId=key.key_id)
        if target not in current:
            self.client.create_usage_plan_key(usagePlanId=target, keyId=key.key_id, keyType="API_KEY")


def put_on_tier(tenant: str, tier: str, plans: UsagePlans) -> tuple[api_keys.UsageTier, int]:
    """Put the tenant on ``tier``: its usage key in that plan, recorded with each of its keys. Returns what was
    recorded and how many keys were brought up to date. Running it again changes nothing more."""
    if tier not in template.usage_plans():
        raise ValueError(f"no tier {tier!r}: the template's tiers are {', '.join(sorted(template.usage_plans()))}")
    key = plans.ensure_key(tenant, api_keys.usage_tier(tenant))
    plans.assign(key, tier)
    recorded = api_keys.UsageTier(tier, key.key_id, key.value)
    return recorded, api_keys.set_usage_tier(tenant, recorded)
