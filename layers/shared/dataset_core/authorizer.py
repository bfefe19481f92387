"""The TOKEN authorizer's logic: an ``Authorization`` header in, an IAM policy for the whole API out.

API Gateway caches the policy per ``Authorization`` value for the authorizer's TTL, not per route, so a policy
must be right for every route the same header may call next: a read-write key is allowed the whole API, a
read-only key every GET route and denied every other method. The context carries the key's scope and expiry
to the route functions, which refuse a key whose expiry passed while its policy was cached (``http.app``): a key
is never served past its expiry, whatever the TTL. ``usageIdentifierKey`` names the tenant's usage key (the API
uses ``ApiKeySourceType: AUTHORIZER``): API Gateway meters and throttles the tenant by its usage plan, and
refuses a policy without one (403, ``INVALID_API_KEY``).
"""

from __future__ import annotations

import time
from typing import Any

from .api_keys import ApiKey, Refused, check
from .scopes import READ_ONLY

_WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _stage_arn(method_arn: str) -> str:
    """``arn:...:<api>/<stage>`` from the ARN of the method called."""
    prefix, _, path = method_arn.partition(":execute-api:")
    parts = path.split("/")
    return f"{prefix}:execute-api:{parts[0]}/{parts[1] if len(parts) > 1 else '*'}"


def policy(key: ApiKey, method_arn: str) -> dict[str, Any]:
    stage = _stage_arn(method_arn)
    if key.scope == READ_ONLY:
        statements = [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{stage}/GET/*"},
            {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [f"{stage}/{m}/*" for m in _WRITE_METHODS]},
        ]
    else:
        statements = [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{stage}/*/*"}]
    context: dict[str, Any] = {"tenant_id": key.tenant_id, "key_id": key.key_id, "scope": key.scope}
    if key.expires_at is not None:
        context["expires_at"] = key.expires_at
    answer: dict[str, Any] = {
        "principalId": key.tenant_id,
        "policyDocument": {"Version": "2012-10-17", "Statement": statements},
        "context": context,
    }
    if key.usage_key is not None:
        answer["usageIdentifierKey"] = key.usage_key
    return answer


def authorize(event: dict[str, Any]) -> dict[str, Any] | Refused:
    """The policy for a valid, active, unexpired key; otherwise why it is refused (the caller denies)."""
    found = check(event.get("authorizationToken"), time.time())
    return found if isinstance(found, Refused) else policy(found, str(event.get("methodArn", "")))
