"""TOKEN authorizer: ``Authorization: Bearer <key>`` (or the bare key) -> the caller's tenant."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dataset_core.authorizer import authorize
from dataset_core.observability import logger


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = authorize(event)
    if result is None:
        logger.info("API key refused")
        raise Exception("Unauthorized")  # the exact message API Gateway answers with its 401 gateway response
    logger.append_keys(tenant_id=result["context"]["tenant_id"], key_id=result["context"]["key_id"])
    logger.info("API key accepted")
    return result
