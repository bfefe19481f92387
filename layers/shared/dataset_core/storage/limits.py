"""DynamoDB's item rules, checked before a write so that no accepted request reaches a write DynamoDB refuses.

An item holds at most 400 KB, counted as DynamoDB counts it (AWS, "Constraints in Amazon DynamoDB", Items): the
UTF-8 bytes of every attribute name and value, with the overheads of numbers, lists and maps ("Item sizes and
formats"). On a table with local secondary indexes the 400 KB holds the item *and* its entries in every LSI; a
dataset's ``by_update_time`` entry projects all of it, so a dataset may take at most half. Numbers hold 38
significant digits, with magnitudes from 1E-130 to 9.9999999999999999999999999999999999999E+125 (so no NaN
or infinity), and maps and lists nest at most 32 levels deep ("Nested attribute depth"). Checked here, before
the write, a request that breaks them is refused naming the field, rather than by DynamoDB's ValidationException.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..errors import BadRequest, ItemTooLarge

MAX_ITEM_BYTES = 400 * 1024
MAX_NESTING = 32
_SMALLEST, _LARGEST = Decimal("1E-130"), Decimal("9.9999999999999999999999999999999999999E+125")


def size(value: Any) -> int:
    """The bytes DynamoDB counts for a value (an upper bound for numbers)."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, (int, float, Decimal)):
        digits = _significant_digits(Decimal(repr(value) if isinstance(value, float) else value))
        return (digits + 1) // 2 + 1
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, Mapping):
        return 3 + sum(len(str(k).encode("utf-8")) + size(v) + 1 for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return 3 + sum(size(v) + 1 for v in value)
    raise TypeError(f"cannot size {type(value).__name__}")


def _significant_digits(number: Decimal) -> int:
    """Digits without leading or trailing zeros (``Decimal.normalize`` would first round to 28 digits)."""
    digits = "".join(map(str, number.as_tuple().digits)).strip("0")
    return max(len(digits), 1)


def item_size(attrs: Mapping[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + size(value) for name, value in attrs.items())


def check_fits(attrs: Mapping[str, Any], *, copies: int = 1, names: Mapping[str, str] | None = None) -> None:
    """``ItemTooLarge`` unless ``copies`` of the item (itself and its LSI entries) fit in 400 KB; the error names
    the largest field as the client knows it (``names`` maps stored attribute names to those)."""
    total = item_size(attrs) * copies
    if total > MAX_ITEM_BYTES:
        sizes = {name: len(name.encode("utf-8")) + size(value) for name, value in attrs.items()}
        largest = max(sizes, key=sizes.__getitem__)
        raise ItemTooLarge((names or {}).get(largest, largest), sizes[largest], MAX_ITEM_BYTES // copies)


def check_storable(value: Any, path: str = "", depth: int = 0) -> None:
    """``BadRequest`` naming the field of a number DynamoDB cannot store, or of a map or list nested deeper
    than it stores."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(repr(value) if isinstance(value, float) else value)
        if (
            not number.is_finite()
            or (number != 0 and not _SMALLEST <= abs(number) <= _LARGEST)
            or _significant_digits(number) > 38
        ):
            raise BadRequest.field(path[:512], "DynamoDB cannot store this number", repr(value))
        return
    if depth == MAX_NESTING:
        raise BadRequest.field(path[:512], f"DynamoDB nests maps and lists at most {MAX_NESTING} levels deep", value)
    items = value.items() if isinstance(value, Mapping) else enumerate(value)
    for key, inner in items:
        check_storable(inner, f"{path}.{key}" if path else str(key), depth + 1 if path else depth)
