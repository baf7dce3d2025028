"""Deterministic identities: a legacy key (ObjectId or any scalar id) → uuid5 in one fixed namespace.

`uuid5(CAMPUS_NAMESPACE, f"{collection}:{key}")` is stable across runs and processes, so every
collection can be imported independently and references rewritten without a lookup table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Mapping
from typing import Any

from bson import DBRef, ObjectId

# Fixed forever: changing it changes every imported id. uuid5(NAMESPACE_URL, "https://campus.invalid/import/legacy-ids")
CAMPUS_NAMESPACE = uuid.UUID("50d891ad-4bf8-5e0e-b6b0-f8ed8212d184")

_HEX24 = re.compile(r"[0-9a-fA-F]{24}")
_NAMESPACE_SHA1 = hashlib.sha1(CAMPUS_NAMESPACE.bytes)
_PREFIXES: dict[str, Any] = {}
# The 17th hex digit with the RFC 4122 variant bits (10xx) set: 0-3 → 8-b, 4-7 → 8-b, ...
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


class BadKey(ValueError):
    """A value that cannot serve as a document key or reference."""


def legacy_key(value: Any) -> str:
    """The canonical text of a key: ObjectIds (and 24-hex strings, {"$oid"}) as lower-case hex,
    integers (and integral floats, digit strings stay as they are) as decimal text.

    An ObjectId stored as a string in some documents and as an ObjectId in others gives the same key,
    and so does a JSON mock-data id written as 7 in one file and "7" in another."""
    kind = type(value)
    if kind is ObjectId:
        return str(value)
    if kind is str:
        if len(value) == 24 and _HEX24.fullmatch(value):
            return value.lower()
        if value and not value.isspace():
            return value
        raise BadKey("empty key")
    if kind is bool:
        raise BadKey("a boolean is not a key")
    if isinstance(value, int):
        return str(int(value))
    if kind is float and value.is_integer():
        return str(int(value))
    if isinstance(value, Mapping):
        if "$oid" in value and len(value) == 1:
            return legacy_key(value["$oid"])
        if "$ref" in value and "$id" in value:
            return legacy_key(value["$id"])
    if kind is DBRef:
        return legacy_key(value.id)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise BadKey(f"not a key: {type(value).__name__}")


def uuid_for(collection: str, key: str) -> str:
    """uuid5(CAMPUS_NAMESPACE, f"{collection}:{key}") as text; equal to uuid.uuid5 but about twice
    as fast (the hash state after the namespace and the collection prefix is computed once, and the
    version and variant are written into the hex digest instead of going through an integer)."""
    prefix = _PREFIXES.get(collection)
    if prefix is None:
        prefix = _PREFIXES[collection] = _NAMESPACE_SHA1.copy()
        prefix.update(f"{collection}:".encode())
    sha = prefix.copy()
    sha.update(key.encode())
    h = sha.hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def legacy_uuid(collection: str, value: Any) -> str:
    """The Campus id of document `value` (an ObjectId, hex string, scalar id) of `collection`."""
    if type(value) is ObjectId:  # by far the most common: skip legacy_key's dispatch
        return uuid_for(collection, str(value))
    return uuid_for(collection, legacy_key(value))


def reference(value: Any, default_collection: str) -> tuple[str, str]:
    """(collection, uuid) a reference points to: a DBRef or {"$ref", "$id"} names its collection,
    anything else is a key of `default_collection`."""
    if type(value) is ObjectId:
        return default_collection, uuid_for(default_collection, str(value))
    if type(value) is DBRef:
        return value.collection, legacy_uuid(value.collection, value.id)
    if isinstance(value, Mapping) and "$ref" in value and "$id" in value:
        return str(value["$ref"]), legacy_uuid(str(value["$ref"]), value["$id"])
    return default_collection, legacy_uuid(default_collection, value)


def object_id_time(value: Any) -> dt.datetime | None:
    """When an ObjectId was generated (its first 4 bytes, seconds, UTC); None for other keys."""
    if type(value) is ObjectId:
        return value.generation_time
    try:
        key = legacy_key(value)
    except BadKey:
        return None
    if len(key) == 24 and _HEX24.fullmatch(key):
        return dt.datetime.fromtimestamp(int(key[:8], 16), dt.UTC)
    return None
