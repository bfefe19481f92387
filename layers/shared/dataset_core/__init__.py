"""The shared layer: everything the Lambda functions do, written once.

http/         routing, validation, the envelope; the one place domain errors become responses
legacy/       /api/v1/dataset (singular): RAGFlow's 2024 API reference - models and operations
restful/      /api/v1/datasets (plural): RAGFlow v0.27's RESTful API - models and operations
datasets      operations both generations share (create, get, update, delete, page)
dataset       the stored dataset record;  parser_config, embedding, names, ids: the rules of its fields
page_tokens   signed cursors of the RESTful listing
api_keys, authorizer   keys and the TOKEN authorizer
storage/      all DynamoDB access, by what is stored (datasets, api_keys) over client, codec, transact
config, errors, observability   settings, domain errors, Powertools' Logger/Metrics/Tracer
"""
