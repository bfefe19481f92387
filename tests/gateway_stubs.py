"""``tools.local_gateway.Gateway`` in-process with stand-in functions, for what the real handlers never do
(crash, answer malformed or oversized responses, return a narrow policy) and for the HTTP server's own tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tools import local_gateway, local_lambda, template

UNTHROTTLED = {
    "ThrottlingRateLimit": "100000",
    "ThrottlingBurstLimit": "100000",
    "StandardTierRateLimit": "100000",
    "StandardTierBurstLimit": "100000",
    "StandardTierQuota": "100000000",
}
"""Parameter overrides that keep throttling and quotas out of the way of tests about something else."""


class Stub:
    """A function that answers what a test says, and remembers its events."""

    def __init__(self, logical_id: str, answer: Any) -> None:
        self.logical_id = logical_id
        self.answer = answer
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer(event) if callable(self.answer) else self.answer


def allow(event: dict[str, Any]) -> dict[str, Any]:
    arn = "/".join(event["methodArn"].split("/")[:2]) + "/*/*"  # .../<api>/<stage>/*/*: every method and path
    return {
        "principalId": "t1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": arn}],
        },
        "context": {"tenant_id": "t1", "n": 3, "flag": True},
        "usageIdentifierKey": "usage-key-of-t1",
    }


def standard_tier(tenant: str, usage_key: str) -> tuple[str, str] | None:
    """Every usage key is in the standard tier's usage plan (the API key id is made up)."""
    return "standard", f"id-{usage_key}"


OK_RESPONSE = {"statusCode": 200, "multiValueHeaders": {"Content-Type": ["application/json"]}, "body": '{"code":0}'}


def stub_gateway(
    answer: Any = OK_RESPONSE,
    authorizer: Any = allow,
    *,
    overrides: Mapping[str, str] = UNTHROTTLED,
    usage_tiers: local_gateway.UsageTiers = standard_tier,
    clock: Callable[[], float] | None = None,
) -> tuple[local_gateway.Gateway, dict[str, Stub]]:
    """A gateway over the template's routes whose every function answers ``answer``; the stubs by logical id."""
    stubs = {r.function: Stub(r.function, answer) for r in template.routes()}
    gateway = local_gateway.Gateway(
        functions=stubs,
        authorizer=Stub("AuthorizerFunction", authorizer),
        identity_header="Authorization",
        auth_cache_ttl=60,
        output=local_lambda.Output(quiet=True),
        usage_tiers=usage_tiers,
        values=template.parameters(overrides),
        **({"clock": clock} if clock else {}),
    )
    return gateway, stubs


STUB_KEY = "ragflow-" + "k" * 32
"""Well-formed, so that it passes the authorizer's ValidationExpression and reaches the stub authorizer."""


def request(method: str = "GET", target: str = "/api/v1/dataset", body: bytes | None = None) -> local_gateway.Request:
    headers = [("Host", "127.0.0.1:9380"), ("Authorization", f"Bearer {STUB_KEY}"), ("X-Multi", "a"), ("X-Multi", "b")]
    return local_gateway.Request(method, target, headers, body, "127.0.0.1")
