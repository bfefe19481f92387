"""All DynamoDB access, organised by what is stored. Nothing else in the code base talks to DynamoDB.

One table; every item of a tenant lives in the tenant's partition, API keys in their own:

    TENANT#<tenant>  DATASET#<id>       a dataset (ids are time-ordered: sort key order = creation order)
    TENANT#<tenant>  NAME#<lower name>  name lock, holds the dataset id (NAMEHASH#<sha256> for huge names)
    TENANT#<tenant>  META               dataset_count: O(1) totals and the quota
    TENANT#<tenant>  APIKEY#<key id>    key index: lets an operator list and revoke a tenant's keys
    TENANT#<tenant>  USAGEPLAN          the tenant's tier and usage key (every key item carries the key)
    APIKEY#<sha256>  APIKEY             an API key's digest, tenant and status

Modules: ``client`` (the one botocore client), ``codec`` (attribute values), ``transact`` (error translation and
transactions), ``datasets`` (datasets, name locks, counters, listings), ``api_keys`` (key items). The
authorizer imports ``api_keys`` only, so its cold start never loads the dataset record or pydantic.
"""
