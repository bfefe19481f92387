"""botocore clients for the AWS services this code calls, made as boto3 would make them, but cheaper to start.

``import boto3`` also imports s3transfer (and with it ``multiprocessing``, ``concurrent.futures`` ...) for S3
helpers this code never uses; and botocore's own model loader lists every service folder it ships before
loading one model. Both cost a measurable share of every cold start (``bench/REPORT.md``, cold-start
components), so clients are made from a botocore session whose loader knows only the services below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.session import Session

SERVICES = ("dynamodb", "secretsmanager")


def create_client(service: str, *, endpoint_url: str | None = None, config: Config | None = None) -> Any:
    """A new client of ``service`` (one of ``SERVICES``); botocore is imported here, on first use."""
    return _session().create_client(service, endpoint_url=endpoint_url, config=config)


def _session() -> Session:
    from botocore.loaders import Loader
    from botocore.session import get_session

    class KnownServicesLoader(Loader):
        def list_available_services(self, type_name: str) -> list[str]:
            return list(SERVICES)

    session = get_session()
    session.register_component("data_loader", KnownServicesLoader())
    return session


def secret_string(secret_id: str) -> str:
    """A Secrets Manager secret's current value (read with the function's role, never from its configuration)."""
    return str(create_client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
