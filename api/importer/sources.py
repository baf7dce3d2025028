"""Find source files and read their documents lazily, each with where it came from.

Kinds of source:
- a mongodump directory: `<db>/<collection>.bson` (or `.bson.gz`) beside `<collection>.metadata.json`;
- mongoexport output: JSON lines or `--jsonArray`, relaxed or canonical Extended JSON v2 — the decoder
  recognises both forms value by value, so files mixing them (or concatenated exports) just work;
- plain JSON mock data: an array of objects per file (the file name is the collection), JSON lines,
  or one json-server style object `{"users": [...], "tickets": [...]}` (one collection per key).

Reading is split in two so that decoding can run in worker processes: `iter_raw` yields cheap raw
items (the bytes of one BSON document, one line, one array element's text) with their position, in
constant memory; `decode` turns one into a document. A json-server object is the exception: it is
read whole (mock data is small).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

import bson
from bson import ObjectId
from bson.json_util import DatetimeConversion, JSONOptions
from bson.json_util import object_hook as ejson_object_hook

Format = Literal["bson", "ejson", "json"]

# Mongoose's default collection names for the writing platform (lower-cased, pluralised models).
WRITING_COLLECTIONS = (
    "users",
    "courses",
    "assignments",
    "assignmenttemplates",
    "courseassignments",
    "assignmentsubmissions",
    "documents",
    "documentversions",
    "writingsessions",
    "notifications",
)

# Faithful decoding: aware UTC datetimes; dates outside Python's range come back as DatetimeMS
# (rejected later with a reason) instead of failing the whole file; Int64/Decimal128 stay themselves.
CODEC_OPTIONS = bson.CodecOptions(
    tz_aware=True,
    tzinfo=dt.UTC,
    datetime_conversion=DatetimeConversion.DATETIME_AUTO,
    unicode_decode_error_handler="strict",
)
JSON_OPTIONS = JSONOptions(tz_aware=True, tzinfo=dt.UTC, datetime_conversion=DatetimeConversion.DATETIME_AUTO)

MAX_BSON_SIZE = 48 * 1024 * 1024  # MongoDB's documents are ≤ 16 MiB; anything far larger is corruption
_CHUNK = 1 << 20
_EJSON_MARKERS = re.compile(rb'"\$(oid|date|numberLong|numberInt|numberDecimal|numberDouble|binary|timestamp)"')
_SUFFIXES = (".bson.gz", ".bson", ".jsonl.gz", ".ndjson.gz", ".json.gz", ".jsonl", ".ndjson", ".json")


class SourceError(RuntimeError):
    """A source that cannot be read on (corrupt or truncated): the import stops, nothing is skipped."""


class Position(NamedTuple):
    """Where a document is: the file, its 0-based index there, and its byte offset (BSON, JSON lines)
    or character offset (JSON arrays); -1 when unknown (a json-server object's items)."""

    file: str
    index: int
    offset: int

    def __str__(self) -> str:
        return f"{self.file}#{self.index}" + (f"@{self.offset}" if self.offset >= 0 else "")

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "index": self.index, "offset": self.offset}


@dataclass(frozen=True)
class SourceFile:
    collection: str  # the logical name (after the name mapping) the mapping file refers to
    path: Path
    format: Format
    source_name: str  # the name in the dump/file, before the name mapping
    member: str | None = None  # the key inside a json-server style object
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)  # mongodump's metadata.json


class RawItem(NamedTuple):
    index: int
    offset: int
    payload: bytes | str | dict[str, Any]


class RawChunk(NamedTuple):
    """Consecutive raw items of one file: item i is its document #index+i, at offsets[i]."""

    index: int
    offsets: list[int]
    payloads: list[bytes | str | dict[str, Any]]


# -- decoding ------------------------------------------------------------------------------------
_fromisoformat = dt.datetime.fromisoformat


def _ejson_hook(obj: dict[str, Any]) -> Any:
    """json_util's object hook, with the two hot cases ($oid and relaxed $date) done directly."""
    if len(obj) == 1:
        key, value = next(iter(obj.items()))
        if key[:1] != "$":
            return obj
        if key == "$oid" and type(value) is str:
            return ObjectId(value)
        if key == "$date" and type(value) is str:
            try:
                return _fromisoformat(value).astimezone(dt.UTC)
            except ValueError:
                pass  # let json_util say what is wrong
        if key == "$numberDecimal" and type(value) is str:
            # decimal.Decimal holds every Decimal128 value exactly, at 1/40 of the cost of building a
            # Decimal128 (the quarantine writes it back as {"$numberDecimal": ...})
            try:
                return Decimal(value)
            except ArithmeticError:
                pass
        return ejson_object_hook(obj, JSON_OPTIONS)
    for key in obj:
        if key[:1] == "$":
            return ejson_object_hook(obj, JSON_OPTIONS)
    return obj


def decode(fmt: Format, payload: bytes | str | dict[str, Any]) -> Any:
    """One raw item → its document (raises ValueError/TypeError/bson.errors.InvalidBSON on bad input)."""
    if isinstance(payload, dict):
        return payload
    if fmt == "bson":
        return bson.decode(payload, CODEC_OPTIONS)
    if fmt == "ejson":
        return json.loads(payload, object_hook=_ejson_hook)
    return json.loads(payload)


# -- raw items -----------------------------------------------------------------------------------
def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb", buffering=_CHUNK)


def _bson_items(handle: IO[bytes], name: str) -> Iterator[RawItem]:
    index = offset = 0
    while head := handle.read(4):
        size = int.from_bytes(head, "little") if len(head) == 4 else -1
        if not 5 <= size <= MAX_BSON_SIZE:
            raise SourceError(f"{name}: corrupt BSON at byte {offset} (document size {size})")
        body = handle.read(size - 4)
        if len(body) != size - 4:
            raise SourceError(f"{name}: truncated BSON document #{index} at byte {offset}")
        yield RawItem(index, offset, head + body)
        index += 1
        offset += size


def _first_char(handle: IO[bytes]) -> bytes:
    """The first non-whitespace byte (after a BOM), without consuming anything."""
    peek = handle.peek(4096) if hasattr(handle, "peek") else b""  # type: ignore[attr-defined]
    return peek.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]


def _line_items(handle: IO[bytes]) -> Iterator[RawItem]:
    index = offset = 0
    for line in handle:
        if line.strip():
            yield RawItem(index, offset, line)
            index += 1
        offset += len(line)


def _array_items(handle: IO[bytes], name: str) -> Iterator[RawItem]:
    """The elements of a top-level JSON array as text slices, without holding the file.

    The C scanner finds each element's end; the slice is decoded again later (possibly in a worker),
    which costs less than shipping decoded objects between processes."""
    text = io.TextIOWrapper(handle, encoding="utf-8-sig")
    scanner = json.JSONDecoder()
    buffer, base, position, eof = "", 0, 0, False
    chunk = _CHUNK

    def fill() -> None:
        nonlocal buffer, base, position, eof
        data = text.read(chunk)
        eof = not data
        buffer, base, position = buffer[position:] + data, base + position, 0

    def skip_space() -> str:
        nonlocal position
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n":
                position += 1
            if position < len(buffer) or eof:
                return buffer[position] if position < len(buffer) else ""
            fill()

    fill()
    if skip_space() != "[":
        raise SourceError(f"{name}: not a JSON array")
    position += 1
    index = 0
    while True:
        char = skip_space()
        if char == "]":
            return
        if char == "," and index:
            position += 1
            char = skip_space()
        if not char:
            raise SourceError(f"{name}: unexpected end of file in element #{index}")
        try:
            _, end = scanner.raw_decode(buffer, position)
            if end >= len(buffer) and not eof:  # a number could continue in the next chunk
                raise json.JSONDecodeError("need more", buffer, end)
        except json.JSONDecodeError as error:
            if eof:
                raise SourceError(
                    f"{name}: invalid JSON in element #{index} at character {base + position}: {error.msg}"
                ) from None
            chunk = min(chunk * 2, 1 << 28)  # a big element: read more, parse again
            fill()
            continue
        yield RawItem(index, base + position, buffer[position:end])
        index += 1
        position = end
        chunk = _CHUNK
        if position > _CHUNK:
            buffer, base, position = buffer[position:], base + position, 0


def _container(path: Path) -> Literal["array", "lines", "object"]:
    with _open(path) as handle:
        first = _first_char(handle)  # type: ignore[arg-type]
        if first == b"[":
            return "array"
        if first != b"{":
            return "lines"  # empty or odd: JSON lines reports each bad line
        line = handle.readline()
        try:
            json.loads(line)
        except ValueError:
            return "object"  # a pretty-printed object: a json-server database or a lone document
        return "lines"


def iter_chunks(source: SourceFile, size: int) -> Iterator[RawChunk]:
    """The raw items of one file in chunks of `size` (the last one shorter), lazily and in order. BSON
    and JSON lines are cut from large reads without an object per item (the main process does this
    for every document); other containers go through iter_raw."""
    try:
        if source.format == "bson" and not source.path.name.endswith(".gz"):
            yield from _bson_chunks(source.path, str(source.path), size)
            return
        if (
            source.format != "bson"
            and source.member is None
            and not source.path.name.endswith(".gz")
            and _container(source.path) == "lines"
        ):
            yield from _line_chunks(source.path, size)
            return
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
        raise SourceError(f"{source.path}: cannot be read: {error}") from None
    offsets: list[int] = []
    payloads: list[bytes | str | dict[str, Any]] = []
    first = 0
    for index, offset, payload in iter_raw(source):
        if not payloads:
            first = index
        offsets.append(offset)
        payloads.append(payload)
        if len(payloads) >= size:
            yield RawChunk(first, offsets, payloads)
            offsets, payloads = [], []
    if payloads:
        yield RawChunk(first, offsets, payloads)


def _bson_chunks(path: Path, name: str, size: int) -> Iterator[RawChunk]:
    index = offset = 0  # offset: of buffer[0] in the file
    position = 0
    offsets: list[int] = []
    payloads: list[bytes | str | dict[str, Any]] = []
    with open(path, "rb", buffering=0) as handle:
        buffer = handle.read(_CHUNK)
        while True:
            if len(buffer) - position < 4:
                more = handle.read(_CHUNK)
                if not more:
                    if position < len(buffer):
                        raise SourceError(f"{name}: corrupt BSON at byte {offset + position} (document size -1)")
                    break
                buffer, offset, position = buffer[position:] + more, offset + position, 0
                continue
            length = int.from_bytes(buffer[position : position + 4], "little")
            if not 5 <= length <= MAX_BSON_SIZE:
                raise SourceError(f"{name}: corrupt BSON at byte {offset + position} (document size {length})")
            end = position + length
            if end > len(buffer):
                more = handle.read(max(_CHUNK, length))
                if not more:
                    raise SourceError(
                        f"{name}: truncated BSON document #{index + len(payloads)} at byte {offset + position}"
                    )
                buffer, offset, position = buffer[position:] + more, offset + position, 0
                continue
            offsets.append(offset + position)
            payloads.append(buffer[position:end])
            position = end
            if len(payloads) >= size:
                yield RawChunk(index, offsets, payloads)
                index += len(payloads)
                offsets, payloads = [], []
    if payloads:
        yield RawChunk(index, offsets, payloads)


def _line_chunks(path: Path, size: int) -> Iterator[RawChunk]:
    index = offset = 0
    offsets: list[int] = []
    payloads: list[bytes | str | dict[str, Any]] = []
    with open(path, "rb", buffering=_CHUNK) as handle:
        for line in handle:
            if not line.isspace():
                offsets.append(offset)
                payloads.append(line)
                if len(payloads) >= size:
                    yield RawChunk(index, offsets, payloads)
                    index += len(payloads)
                    offsets, payloads = [], []
            offset += len(line)
    if payloads:
        yield RawChunk(index, offsets, payloads)


def iter_raw(source: SourceFile) -> Iterator[RawItem]:
    """The raw items of one source file, lazily and in order; SourceError naming the file when it
    cannot be read on (a bad gzip stream, a truncated file, an I/O error)."""
    try:
        yield from _raw(source, str(source.path))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
        raise SourceError(f"{source.path}: cannot be read: {error}") from None


def _raw(source: SourceFile, name: str) -> Iterator[RawItem]:
    if source.format == "bson":
        with _open(source.path) as handle:
            yield from _bson_items(handle, name)
        return
    if source.member is not None:
        with _open(source.path) as handle:
            whole = json.load(handle)  # plain: each item is decoded (and maybe refused) on its own
        for index, item in enumerate(whole.get(source.member) or []):
            yield RawItem(index, -1, json.dumps(item, ensure_ascii=False))
        return
    container = _container(source.path)
    with _open(source.path) as handle:
        if container == "array":
            yield from _array_items(handle, name)
        elif container == "lines":
            yield from _line_items(handle)
        else:
            yield RawItem(0, 0, handle.read())  # one document, pretty-printed


class Document(NamedTuple):
    document: Any
    position: Position


def iter_documents(source: SourceFile) -> Iterator[Document]:
    """Decoded documents of one source file (raises on an undecodable item; the loader quarantines
    those instead, see transform.py)."""
    for index, offset, payload in iter_raw(source):
        yield Document(decode(source.format, payload), Position(str(source.path), index, offset))


# -- discovery -----------------------------------------------------------------------------------
def _stem(path: Path) -> str:
    for suffix in _SUFFIXES:
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.stem


def _sniff_format(path: Path) -> Format:
    """Extended JSON when its markers appear in the first 64 KiB, plain JSON otherwise."""
    with _open(path) as handle:
        head = handle.read(65536)
    return "ejson" if _EJSON_MARKERS.search(head) else "json"


def _metadata(path: Path) -> dict[str, Any]:
    candidate = path.with_name(f"{_stem(path)}.metadata.json")
    if not candidate.exists():
        return {}
    try:
        return bson.json_util.loads(candidate.read_text(encoding="utf-8"))
    except ValueError:
        return {}


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.endswith((".metadata.json", ".metadata.json.gz")):
            continue
        if path.name.endswith(_SUFFIXES) and not path.name.startswith(("system.", "oplog.")):
            found.append(path)
    return found


def discover(
    paths: Sequence[Path | str], fmt: Format | Literal["auto"] = "auto", names: Mapping[str, str] | None = None
) -> list[SourceFile]:
    """Source files under `paths` (files or directories, searched recursively), one entry per
    collection per file; `names` maps a source collection name to the name the mapping uses."""
    names = names or {}
    sources: list[SourceFile] = []
    for root in map(Path, paths):
        if not root.exists():
            raise SourceError(f"{root}: no such file or directory")
        for path in _files(root):
            try:
                sources.extend(_sources(path, fmt, names))
            except (OSError, EOFError, zlib.error) as error:
                raise SourceError(f"{path}: cannot be read: {error}") from None
    return sources


def _sources(path: Path, fmt: Format | Literal["auto"], names: Mapping[str, str]) -> list[SourceFile]:
    """The collections one file holds (several for a json-server object)."""
    found: list[SourceFile] = []
    if ".bson" in path.name:
        metadata = _metadata(path)
        source_name = str(metadata.get("collectionName") or _stem(path))
        found.append(SourceFile(names.get(source_name, source_name), path, "bson", source_name, None, metadata))
        return found
    file_format: Format = _sniff_format(path) if fmt == "auto" else ("json" if fmt == "bson" else fmt)
    if _container(path) == "object":
        with _open(path) as handle:
            try:
                whole = json.load(handle)
            except ValueError as error:  # UnicodeDecodeError included
                raise SourceError(f"{path}: not JSON: {error}") from None
        if isinstance(whole, dict) and whole and all(isinstance(v, list) for v in whole.values()):
            for member in whole:
                found.append(SourceFile(names.get(member, member), path, file_format, member, member))
            return found
    source_name = _stem(path)
    found.append(SourceFile(names.get(source_name, source_name), path, file_format, source_name))
    return found


def count_hint(source: SourceFile) -> int | None:
    """How many documents a file holds, cheaply (for the progress bar's ETA): BSON sizes are skipped
    over, JSON lines counted; None when only a full parse could tell (arrays, compressed files)."""
    if source.path.name.endswith(".gz"):
        return None
    if source.format == "bson":
        count = 0
        with open(source.path, "rb") as handle:
            while len(head := handle.read(4)) == 4:
                handle.seek(int.from_bytes(head, "little") - 4, io.SEEK_CUR)
                count += 1
        return count
    if source.member is not None or _container(source.path) != "lines":
        return None
    count, last = 0, b""
    with open(source.path, "rb") as handle:
        while block := handle.read(_CHUNK):
            count += block.count(b"\n")
            last = block
    return count + (1 if last and not last.endswith(b"\n") else 0)
