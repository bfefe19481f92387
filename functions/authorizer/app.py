"""TOKEN authorizer: ``Authorization: Bearer <key>`` (or the bare key) -> the caller's tenant and scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dataset_core.api_keys import Refused
from dataset_core.authorizer import authorize
from dataset_core.observability import logger, tag
from dataset_core.startup import ends_with_first_invocation

if TYPE_CHECKING:  # the layer is imported first: its start-up pause covers Powertools too
    from aws_lambda_powertools.utilities.typing import LambdaContext


@ends_with_first_invocation
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tag()
    result = authorize(event)
    if isinstance(result, Refused):
        logger.info("API key refused", extra={"reason": result.reason})  # counted by a metric filter
        raise Exception("Unauthorized")  # the exact message API Gateway answers with its 401 gateway response
    granted = result["context"]
    tag(tenant_id=granted["tenant_id"], key_id=granted["key_id"])
    logger.info("API key accepted", extra={"scope": granted["scope"]})
    return result
