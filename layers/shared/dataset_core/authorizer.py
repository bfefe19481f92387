"""The TOKEN authorizer's logic: an ``Authorization`` header in, an IAM policy for the whole API out."""

from __future__ import annotations

from typing import Any

from .api_keys import ApiKey, authenticate


def whole_api_arn(method_arn: str) -> str:
    """``arn:...:<api>/<stage>/*/*`` from the ARN of the method called.

    API Gateway caches the policy per token, not per route: a policy naming only the first route called
    would deny every other route for the cache's lifetime.
    """
    prefix, _, path = method_arn.partition(":execute-api:")
    parts = path.split("/")
    return f"{prefix}:execute-api:{parts[0]}/{parts[1] if len(parts) > 1 else '*'}/*/*"


def policy(key: ApiKey, method_arn: str) -> dict[str, Any]:
    return {
        "principalId": key.tenant_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": whole_api_arn(method_arn)}],
        },
        "context": {"tenant_id": key.tenant_id, "key_id": key.key_id},
    }


def authorize(event: dict[str, Any]) -> dict[str, Any] | None:
    """The Allow policy for a valid, active key; None for anything else (the caller denies)."""
    key = authenticate(event.get("authorizationToken"))
    return None if key is None else policy(key, str(event.get("methodArn", "")))
