"""Shared layer of the dataset API: everything the Lambda handlers do, written once.

Modules: ``config`` (settings), ``errors`` (domain errors and their codes), ``models`` (request/response shapes),
``names`` and ``ids`` (rules), ``storage`` (the only DynamoDB code), ``datasets`` (operations),
``seed_api`` (the /dataset generation), ``api_keys`` and ``authorizer`` (auth), ``http`` (envelope and
Lambda entry point).
"""
