"""Python values to DynamoDB attribute values and back (what boto3's TypeSerializer does, for our types)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": _float(value) if isinstance(value, float) else str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attr(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [to_attr(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__}")


def _float(value: float) -> str:
    """A float as DynamoDB keeps it: without trailing zeros, so ``2.0`` is stored, and read back, as ``2``
    (what AWS does; moto would keep the ``.0``, which would hide a reader that expects a float back)."""
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def from_attr(attr: Mapping[str, Any]) -> Any:
    ((kind, value),) = attr.items()
    if kind in {"S", "BOOL"}:
        return value
    if kind == "N":
        return int(value) if value.lstrip("-").isdigit() else float(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: from_attr(v) for k, v in value.items()}
    if kind == "L":
        return [from_attr(v) for v in value]
    raise TypeError(f"unexpected attribute type {kind}")


def item(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """A whole item (or key, or expression values) in DynamoDB's typed form."""
    return {k: to_attr(v) for k, v in attrs.items()}


def plain(typed: Mapping[str, Any]) -> dict[str, Any]:
    """A typed item as plain Python values."""
    return {k: from_attr(v) for k, v in typed.items()}
