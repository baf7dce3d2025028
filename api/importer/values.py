"""BSON / Extended-JSON / plain-JSON values → values psycopg's COPY writes faithfully.

Every converter takes `(value, path)` and returns the value for one column, or raises RejectReason
naming where in the document the problem is (`grades[2].score: not a number`). None means SQL NULL;
"required" and defaults are the mapping's business, not the converters'.

Rules worth knowing (also in the mapping documentation):
- Integers: int, Int64, integral floats (2.173631433e+09 from old exports) and digit strings;
  never booleans, never fractions.
- Numbers for numeric columns become Decimal (Decimal128 exactly; floats through repr, so 0.1 stays 0.1).
- Timestamps: datetimes (naive ones are UTC, as BSON's are); ISO 8601 strings (no offset: UTC; a date
  alone: midnight UTC); numbers and digit strings are Unix epoch times — |n| ≥ 1e11 is milliseconds,
  smaller is seconds. 1e11 ms is 1973-03-03 and 1e11 s is the year 5138, so the guess is only wrong
  for millisecond values before March 1973; a column can pin the unit with `epoch = "ms"` or `"s"`.
- jsonb: ObjectIds become their hex text, datetimes ISO 8601 text (UTC, "Z"), Decimal128 a JSON number
  when a double holds it exactly, otherwise its text; other BSON types their relaxed Extended JSON.
  PostgreSQL refuses NUL characters in text and jsonb and non-finite numbers in jsonb: rejected.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import struct
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from bson import DBRef, Decimal128, Int64, ObjectId, Timestamp
from bson.binary import Binary
from bson.datetime_ms import DatetimeMS
from bson.json_util import RELAXED_JSON_OPTIONS
from bson.json_util import default as ejson_default

from api.importer.ids import BadKey, legacy_uuid, reference, uuid_for

Converter = Callable[[Any, str], Any]
EPOCH_MS_THRESHOLD = 1e11
_BID = struct.Struct("<QQ")


class RejectReason(ValueError):
    """Why a document cannot be imported, with the path of the offending value."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    @property
    def kind(self) -> str:
        """The reason without array indexes, for counting (`grades[].score: not a number`)."""
        path = self.path
        if "[" in path:
            parts, depth = [], 0
            for char in path:
                if char == "[":
                    depth += 1
                    parts.append("[]")
                elif char == "]":
                    depth -= 1
                elif depth == 0:
                    parts.append(char)
            path = "".join(parts)
        return f"{path}: {self.message}" if path else self.message


def describe(value: Any) -> str:
    """A short type name for messages: 'a string', 'an object'."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return f"a {type(value).__name__}"


def decimal128(value: Decimal128) -> Decimal:
    """Decimal128 → Decimal, exactly (same result as .to_decimal(), about 20 times faster for finite values:
    the coefficient and exponent are read straight from the IEEE 754-2008 BID encoding)."""
    low, high = _BID.unpack(value.bid)
    if (high >> 61) & 0x3 == 0x3:  # the rare encodings: huge coefficients, infinities, NaN
        return value.to_decimal()
    coefficient = ((high & 0x1FFFFFFFFFFFF) << 64) | low
    exponent = ((high >> 49) & 0x3FFF) - 6176
    return Decimal(f"{'-' if high >> 63 else ''}{coefficient}E{exponent}")


# -- scalars -------------------------------------------------------------------------------------
def to_text(value: Any, path: str) -> str | None:
    if value is None:
        return None
    kind = type(value)
    if kind is str:
        text = value
    elif kind is ObjectId:
        return str(value)
    elif kind is bool:
        text = "true" if value else "false"
    elif isinstance(value, int | float | Decimal):
        text = str(value)
    elif kind is Decimal128:
        text = str(decimal128(value))
    elif isinstance(value, dt.datetime):
        return utc(value).isoformat()
    elif isinstance(value, uuid.UUID):
        return str(value)
    else:
        raise RejectReason(f"not text: {describe(value)}", path)
    if "\x00" in text:
        raise RejectReason("contains a NUL character, which PostgreSQL text cannot hold", path)
    return text


def to_int(value: Any, path: str) -> int | None:
    if value is None:
        return None
    kind = type(value)
    if kind is int or kind is Int64:
        return int(value)
    if kind is float:
        if value.is_integer():
            return int(value)
        raise RejectReason(f"not an integer: {value!r}", path)
    if kind is Decimal128 or kind is Decimal:
        number = decimal128(value) if kind is Decimal128 else value
        if number.is_finite() and number == number.to_integral_value():
            return int(number)
        raise RejectReason(f"not an integer: {number}", path)
    if kind is str:
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise RejectReason(f"not a number: {describe(value)}", path) from None
        if number.is_finite() and number == number.to_integral_value():
            return int(number)
        raise RejectReason(f"not an integer: {describe(value)}", path)
    raise RejectReason(f"not a number: {describe(value)}", path)


def int_range(bits: int) -> Converter:
    """to_int, also rejecting what the column's integer type cannot hold (instead of a failed COPY)."""
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def convert(value: Any, path: str) -> int | None:
        number = to_int(value, path)
        if number is not None and not low <= number <= high:
            raise RejectReason(f"out of range for a {bits}-bit integer: {number}", path)
        return number

    return convert


def to_numeric(value: Any, path: str) -> Decimal | None:
    if value is None:
        return None
    kind = type(value)
    if kind is Decimal128:
        return decimal128(value)
    if kind is int or kind is Int64:
        return Decimal(int(value))
    if kind is float:
        return Decimal(repr(value))
    if kind is Decimal:
        return value
    if kind is str:
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise RejectReason(f"not a number: {describe(value)}", path) from None
    raise RejectReason(f"not a number: {describe(value)}", path)


_TRUE = {"true", "t", "yes", "y", "on", "1"}
_FALSE = {"false", "f", "no", "n", "off", "0"}


def to_bool(value: Any, path: str) -> bool | None:
    if value is None or type(value) is bool:
        return value
    if type(value) in (int, Int64) and value in (0, 1):
        return bool(value)
    if type(value) is str:
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise RejectReason(f"not a boolean: {describe(value)}", path)


# -- time ----------------------------------------------------------------------------------------
def utc(moment: dt.datetime) -> dt.datetime:
    """Aware and in UTC; a naive datetime is taken to be UTC (BSON datetimes are)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def from_epoch(number: float | int | Decimal, path: str, unit: str = "auto") -> dt.datetime:
    if unit == "auto":
        unit = "ms" if abs(number) >= EPOCH_MS_THRESHOLD else "s"
    seconds = float(number) / 1000 if unit == "ms" else float(number)
    try:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        raise RejectReason(f"date out of range: {number} ({unit} since 1970)", path) from None


def to_timestamptz(value: Any, path: str, epoch: str = "auto") -> dt.datetime | None:
    if value is None:
        return None
    kind = type(value)
    if kind is dt.datetime:
        return utc(value)
    if kind is str:
        text = value.strip()
        if text.lstrip("-").isdigit():
            return from_epoch(int(text), path, epoch)
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise RejectReason(f"not a date: {describe(value)}", path) from None
        return utc(moment)
    if kind is dt.date:
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if kind is bool:
        raise RejectReason(f"not a date: {describe(value)}", path)
    if kind in (int, Int64, float):
        if kind is float and not math.isfinite(value):
            raise RejectReason(f"not a date: {value!r}", path)
        return from_epoch(value, path, epoch)
    if kind is Decimal128:
        return from_epoch(decimal128(value), path, epoch)
    if kind is DatetimeMS:  # outside what Python's datetime holds (before year 1 or after 9999)
        raise RejectReason(f"date out of range: {int(value)} ms since 1970", path)
    if kind is Timestamp:
        return value.as_datetime().astimezone(dt.UTC)
    raise RejectReason(f"not a date: {describe(value)}", path)


def to_date(value: Any, path: str, epoch: str = "auto") -> dt.date | None:
    moment = to_timestamptz(value, path, epoch)
    return None if moment is None else moment.date()


# -- ids -----------------------------------------------------------------------------------------
def to_uuid(value: Any, path: str) -> str | None:
    """A value that already is a UUID (text or binary subtype 4)."""
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    if type(value) is Binary and value.subtype in (3, 4):
        return str(uuid.UUID(bytes=bytes(value)))
    if type(value) is str:
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            pass
    raise RejectReason(f"not a uuid: {describe(value)}", path)


def ref_to(collection: str, accept: Sequence[str] = ()) -> Converter:
    """A reference (ObjectId, hex, scalar key, DBRef) into `collection` → that document's uuid.
    A DBRef naming another collection than `collection` (or one of `accept`) is rejected."""
    allowed = {collection, *accept}

    def convert(value: Any, path: str) -> str | None:
        if type(value) is ObjectId:
            return uuid_for(collection, str(value))
        if value is None:
            return None
        try:
            target, key = reference(value, collection)
        except BadKey as error:
            raise RejectReason(f"not a reference: {error}", path) from None
        if target not in allowed:
            raise RejectReason(f"reference into {target!r}, expected {collection!r}", path)
        return key

    return convert


def id_of(collection: str) -> Converter:
    def convert(value: Any, path: str) -> str | None:
        if type(value) is ObjectId:
            return uuid_for(collection, str(value))
        if value is None:
            return None
        try:
            return legacy_uuid(collection, value)
        except BadKey as error:
            raise RejectReason(f"not a key: {error}", path) from None

    return convert


def array_of(item: Converter, scalar_as_one: bool = True) -> Converter:
    """A list of converted items (NULL items rejected: text[]/uuid[] elements mean something).
    A lone scalar is taken as a one-element array — a common trace of a schema that changed."""

    def convert(value: Any, path: str) -> list[Any] | None:
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            if scalar_as_one and not isinstance(value, Mapping):
                value = [value]
            else:
                raise RejectReason(f"not an array: {describe(value)}", path)
        out = []
        for index, element in enumerate(value):
            if element is None:
                raise RejectReason("null inside an array", f"{path}[{index}]")
            out.append(item(element, f"{path}[{index}]"))
        return out

    return convert


# -- jsonb ---------------------------------------------------------------------------------------
def jsonable(value: Any, path: str = "") -> Any:
    """A JSON-serialisable copy of a BSON/EJSON value (see the module docstring for the rules)."""
    kind = type(value)
    if kind is str:
        if "\x00" in value:
            raise RejectReason("contains a NUL character, which jsonb cannot hold", path)
        return value
    if value is None or kind is bool or kind is int:
        return value
    if kind is dict or isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if "\x00" in key:
                raise RejectReason("a key contains a NUL character", path)
            out[key] = jsonable(item, f"{path}.{key}" if path else key)
        return out
    if kind is list or kind is tuple:
        return [jsonable(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if kind is float:
        if not math.isfinite(value):
            raise RejectReason(f"{value!r} cannot be stored in jsonb", path)
        return value
    if kind is ObjectId:
        return str(value)
    if kind is Int64:
        return int(value)
    if kind is dt.datetime:
        return utc(value).isoformat().replace("+00:00", "Z")
    if kind is Decimal128 or kind is Decimal:
        number = decimal128(value) if kind is Decimal128 else value
        if not number.is_finite():
            raise RejectReason(f"{number} cannot be stored in jsonb", path)
        if number == number.to_integral_value() and number.as_tuple().exponent >= 0:
            return int(number)
        as_float = float(number)
        return as_float if Decimal(repr(as_float)) == number else str(number)
    if kind is DBRef:
        return {"$ref": value.collection, "$id": jsonable(value.id, f"{path}.$id")}
    if isinstance(value, uuid.UUID):
        return str(value)
    if kind is bytes:
        return base64.b64encode(value).decode()
    if kind is Binary and value.subtype in (3, 4):
        return str(uuid.UUID(bytes=bytes(value)))
    if kind is DatetimeMS:
        raise RejectReason(f"date out of range: {int(value)} ms since 1970", path)
    try:  # Binary, Timestamp, Regex, Code, MinKey/MaxKey: their relaxed Extended JSON
        return jsonable(ejson_default(value, RELAXED_JSON_OPTIONS), path)
    except TypeError:
        raise RejectReason(f"cannot be stored in jsonb: {describe(value)}", path) from None


def _json_default(value: Any) -> Any:
    if type(value) is ObjectId:
        return str(value)
    if type(value) is dt.datetime:
        return utc(value).isoformat().replace("+00:00", "Z")
    return jsonable(value)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default)


def to_jsonb(value: Any, path: str) -> str | None:
    """JSON text (COPY parses it into jsonb server-side).

    The C encoder does the walking and calls back only for BSON types; when it meets something
    jsonb refuses (NaN, a NUL character), `jsonable` walks again to name the path."""
    if value is None:
        return None
    try:
        text = _ENCODER.encode(value)
    except ValueError:  # RejectReason included: its path is relative to somewhere unknown here
        text = None
    if text is None or "\\u0000" in text:
        jsonable(value, path)  # raises with the path
        text = json.dumps(jsonable(value, path), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text


# -- enums and lengths (from the catalog) ---------------------------------------------------------
def checked_text(labels: frozenset[str] | None = None, max_length: int | None = None) -> Converter:
    """to_text that also rejects what the column would refuse: an unknown enum label, an over-long varchar."""

    def convert(value: Any, path: str) -> str | None:
        text = to_text(value, path)
        if text is None:
            return None
        if labels is not None and text not in labels:
            raise RejectReason(f"{text[:40]!r} is not one of {sorted(labels)}", path)
        if max_length is not None and len(text) > max_length:
            raise RejectReason(f"longer than {max_length} characters ({len(text)})", path)
        return text

    return convert
