"""The shared layer: everything the Lambda functions do, written once.

http/         routing, validation, the envelope; the one place domain errors become responses
legacy/       /api/v1/dataset (singular): RAGFlow's 2024 API reference
restful/      /api/v1/datasets (plural): RAGFlow v0.27's RESTful API
              each a module per function (its request, its answer, its rules) and the dataset as it shows it
datasets      operations both generations share (create, get, update, delete, page)
dataset       the stored dataset record (and its config's numbers as DynamoDB returns them)
parser_config, embedding, names, ids   the rules of its fields
idempotency, page_tokens, payload, contention   retried creates, signed cursors, the 6 MB answer, retry budgets
api_keys, authorizer, scopes   keys, the TOKEN authorizer, and the scopes a key grants
storage/      all DynamoDB access, by what is stored (datasets, listings, api_keys, requests), with client,
              codec, transact and limits (what DynamoDB refuses)
aws, config, errors, observability   botocore clients, settings, domain errors, Powertools' Logger/Metrics/Tracer
startup       garbage collection paused while an execution environment starts (imported first, here)
"""

from . import startup as startup
