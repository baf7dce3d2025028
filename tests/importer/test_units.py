"""The pure parts: ids, value conversion rules, readers and the mapping checks (no database)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import uuid
from decimal import Decimal
from pathlib import Path

import bson
import pytest
from bson import DBRef, Decimal128, Int64, ObjectId, json_util

from api.importer import sources, values
from api.importer.ids import CAMPUS_NAMESPACE, legacy_key, legacy_uuid, object_id_time, reference, uuid_for
from api.importer.mapping import MappingError, parse_mapping
from api.importer.transform import Transformer
from api.importer.values import RejectReason

OID = ObjectId("65a1b2c3d4e5f60718293a4b")


def test_ids_are_uuid5_of_collection_and_key() -> None:
    assert uuid_for("users", str(OID)) == str(uuid.uuid5(CAMPUS_NAMESPACE, f"users:{OID}"))
    same = {legacy_uuid("users", v) for v in (OID, str(OID), str(OID).upper(), {"$oid": str(OID)})}
    assert len(same) == 1
    assert legacy_uuid("users", 7) == legacy_uuid("users", "7") == legacy_uuid("users", 7.0)
    assert reference(DBRef("courses", OID), "users") == ("courses", legacy_uuid("courses", OID))
    assert reference({"$ref": "courses", "$id": {"$oid": str(OID)}}, "users")[0] == "courses"
    assert object_id_time(str(OID)) == dt.datetime.fromtimestamp(0x65A1B2C3, dt.UTC)
    assert object_id_time(7) is None
    for bad in (True, "", 1.5, [1]):
        with pytest.raises(ValueError):
            legacy_key(bad)


def test_value_rules() -> None:
    assert values.to_int(Int64(2**40), "n") == 2**40
    assert values.to_int(2.173631433e09, "n") == 2173631433  # scientific notation from old exports
    assert values.to_int("42", "n") == 42
    with pytest.raises(RejectReason, match="n: not an integer"):
        values.to_int(1.5, "n")
    with pytest.raises(RejectReason, match="not a number: a boolean"):
        values.to_int(True, "n")
    with pytest.raises(RejectReason, match="out of range for a 16-bit"):
        values.int_range(16)(40000, "n")
    assert values.to_numeric(Decimal128("1.10"), "x") == Decimal("1.10")
    assert values.to_numeric(0.1, "x") == Decimal("0.1")
    epoch = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert values.to_timestamptz(1_704_067_200, "t") == epoch  # seconds
    assert values.to_timestamptz(1_704_067_200_000, "t") == epoch  # milliseconds
    assert values.to_timestamptz("1704067200000", "t") == epoch
    assert values.to_timestamptz(5, "t", epoch="ms") == dt.datetime(1970, 1, 1, 0, 0, 0, 5000, tzinfo=dt.UTC)
    assert values.to_timestamptz("2024-01-01T02:00:00+02:00", "t") == epoch
    assert values.to_timestamptz("2024-01-01", "t") == epoch
    assert values.to_timestamptz(dt.datetime(2024, 1, 1), "t") == epoch  # naive is UTC
    with pytest.raises(RejectReason, match="t: not a date"):
        values.to_timestamptz("next tuesday", "t")
    with pytest.raises(RejectReason, match="contains a NUL"):
        values.to_text("a\x00b", "s")
    assert json.loads(values.to_jsonb({"a": [OID, Decimal128("2.5"), Int64(3), epoch]}, "j")) == {
        "a": [str(OID), 2.5, 3, "2024-01-01T00:00:00Z"]
    }
    with pytest.raises(RejectReason) as caught:
        values.to_jsonb({"grades": [1, 2, {"score": float("nan")}]}, "doc")
    assert str(caught.value).startswith("doc.grades[2].score:") and caught.value.kind.startswith("doc.grades[].score")


def test_transform_paths_children_and_reasons() -> None:
    mapping = parse_mapping(
        {
            "collections": {
                "courses": {
                    "table": "courses",
                    "columns": {"id": {"type": "id"}, "title": {"type": "text", "required": True}},
                    "children": [
                        {
                            "table": "enrolments",
                            "array": "students",
                            "parent": "course_id",
                            "key": ["course_id", "user_id"],
                            "columns": {
                                "course_id": {"path": "$parent._id", "type": "ref", "collection": "courses"},
                                "user_id": {"path": "$item", "type": "ref", "collection": "users"},
                            },
                        }
                    ],
                }
            }
        }
    )
    transformer = Transformer(mapping["courses"])
    main, enrolments = transformer.rows({"_id": OID, "title": "Essays", "students": [OID, str(OID), 7]})
    assert main == [(legacy_uuid("courses", OID), "Essays")]
    assert enrolments == [
        (legacy_uuid("courses", OID), legacy_uuid("users", OID)),  # the duplicate (hex string) is one row
        (legacy_uuid("courses", OID), legacy_uuid("users", 7)),
    ]
    with pytest.raises(RejectReason, match=r"students\[1\]: not a reference"):
        transformer.rows({"_id": OID, "title": "x", "students": [OID, {"a": 1}]})
    with pytest.raises(RejectReason, match="title: missing required field"):
        transformer.rows({"_id": OID})
    with pytest.raises(RejectReason, match="reference into 'groups'"):
        transformer.rows({"_id": OID, "title": "x", "students": [DBRef("groups", OID)]})


def test_mapping_problems_are_listed_together() -> None:
    with pytest.raises(MappingError) as caught:
        parse_mapping(
            {
                "collections": {
                    "a": {"table": "a", "columns": {"x": {"type": "bogus"}, "r": {"type": "ref"}}},
                    "b": {"columns": {"id": {"type": "id", "missing": "null"}}},
                }
            }
        )
    text = str(caught.value)
    assert "unknown type 'bogus'" in text and "needs `collection`" in text and "`table` is required" in text
    assert "give `key`" in text


def test_readers_positions_gzip_and_arrays(tmp_path: Path, monkeypatch) -> None:
    documents = [{"_id": ObjectId(), "n": i, "s": "é" * i} for i in range(50)]
    data = b"".join(bson.encode(d) for d in documents)
    (tmp_path / "dump" / "db").mkdir(parents=True)
    (tmp_path / "dump" / "db" / "things.bson.gz").write_bytes(gzip.compress(data))
    (tmp_path / "dump" / "db" / "things.metadata.json").write_text('{"collectionName": "things", "indexes": []}')
    (tmp_path / "dump" / "db" / "plain.bson").write_bytes(data)
    found = sources.discover([tmp_path / "dump"], names={"plain": "renamed"})
    assert sorted((s.collection, s.source_name, s.format) for s in found) == [
        ("renamed", "plain", "bson"),
        ("things", "things", "bson"),
    ]
    plain = next(s for s in found if s.collection == "renamed")
    read = list(sources.iter_documents(plain))
    assert [d.document for d in read] == documents
    assert read[1].position.offset == len(bson.encode(documents[0])) and read[1].position.index == 1
    assert sources.count_hint(plain) == 50
    assert [d.document for d in sources.iter_documents(next(s for s in found if s.collection == "things"))] == documents

    monkeypatch.setattr(sources, "_CHUNK", 64)  # elements straddle chunk boundaries
    lines = [json_util.dumps(d, json_options=json_util.CANONICAL_JSON_OPTIONS) for d in documents]
    (tmp_path / "array.json").write_text(" [\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
    (tmp_path / "lines.json").write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    for name in ("array.json", "lines.json"):
        (source,) = sources.discover([tmp_path / name])
        assert source.format == "ejson"
        assert [d.document for d in sources.iter_documents(source)] == documents, name

    (tmp_path / "broken.bson").write_bytes(data[:-3])
    (broken,) = sources.discover([tmp_path / "broken.bson"])
    with pytest.raises(sources.SourceError, match="truncated BSON document #49"):
        list(sources.iter_raw(broken))
    with pytest.raises(sources.SourceError, match="truncated BSON document #49"):
        list(sources.iter_chunks(broken, 7))

    # the chunked reader (what the loader uses) cuts the same items as iter_raw, reads straddling
    (tmp_path / "blank-lines.json").write_text("\n  \n".join(lines) + "\n\n", encoding="utf-8")
    (tmp_path / "odd.bson").write_bytes(data + b"\x05\x00")
    for name in ("array.json", "lines.json", "blank-lines.json", "dump/db/plain.bson"):
        (source,) = sources.discover([tmp_path / name])
        flat = [
            (chunk.index + i, offset, payload)
            for chunk in sources.iter_chunks(source, 7)
            for i, (offset, payload) in enumerate(zip(chunk.offsets, chunk.payloads, strict=True))
        ]
        assert flat == [tuple(item) for item in sources.iter_raw(source)], name
        assert len(flat) == 50
    (odd,) = sources.discover([tmp_path / "odd.bson"])
    with pytest.raises(sources.SourceError, match="corrupt BSON at byte"):
        list(sources.iter_chunks(odd, 7))


def test_rewrites_conditions_companions_and_variables() -> None:
    raw = {
        "collections": {
            "users": {
                "table": "auth.users",
                "columns": {
                    "id": {"type": "id"},
                    "email": {"type": "text", "normalize": ["trim", "lower"]},
                    "hash": {"path": "password", "type": "text", "replace": ["^\\$2[by]\\$", "$2a$"]},
                    "confirmed": {"path": "createdAt", "type": "timestamptz", "fallback": "id_time", "when": "ok"},
                    "code": {"path": ["code", "_id"], "type": "text", "normalize": "upper"},
                },
                "children": [
                    {
                        "table": "profiles",
                        "parent": "user_id",
                        "key": ["user_id"],
                        "columns": {
                            "user_id": {"path": "$parent._id", "type": "ref", "collection": "users"},
                            "tenant": {"type": "uuid", "const": "$institution"},
                            "role": {"type": "text", "default": "student", "map": {"instructor": "educator"}},
                        },
                    }
                ],
            }
        }
    }
    tenant = str(uuid.uuid4())
    mapping = parse_mapping(raw, {"institution": tenant})
    rows = Transformer(mapping["users"]).rows(
        {"_id": OID, "email": " Ann@X.Test ", "password": "$2b$10$abc", "ok": "yes", "role": "instructor"}
    )
    assert rows[0][0][1:] == ("ann@x.test", "$2a$10$abc", OID.generation_time, str(OID).upper())
    assert rows[1] == [(legacy_uuid("users", OID), tenant, "educator")]  # one companion row
    unverified = Transformer(mapping["users"]).rows({"_id": OID, "ok": False, "createdAt": "2024-01-01"})
    assert unverified[0][0][3] is None and unverified[1][0][2] == "student"  # `when` false: NULL, no fallback
    with pytest.raises(RejectReason, match="ok: not a boolean"):
        Transformer(mapping["users"]).rows({"_id": OID, "ok": "perhaps"})
    with pytest.raises(MappingError, match=r"\$institution is not given"):
        parse_mapping(raw)
    bad = {"collections": {"c": {"table": "t", "columns": {"id": {"type": "id"}, "r": {
        "type": "ref", "collection": "c", "missing": "skip"}}}}}  # fmt: skip
    with pytest.raises(MappingError, match="drops a child row"):
        parse_mapping(bad)


def test_uuids_and_copy_lines_match_the_reference_implementations(monkeypatch) -> None:
    import random

    from api.importer import copyrows

    rng = random.Random(5)
    for _ in range(500):  # every value of the variant digit, ObjectIds and other keys
        key = f"{rng.getrandbits(96):024x}" if rng.random() < 0.8 else str(rng.getrandbits(20))
        assert uuid_for("users", key) == str(uuid.uuid5(CAMPUS_NAMESPACE, f"users:{key}"))
    row = (
        legacy_uuid("users", OID),
        "tab\there, a backslash \\ and\nlines\r",
        None,
        True,
        Decimal("87.50"),
        dt.datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=dt.UTC),
        dt.date(2024, 1, 2),
        ["a", "b,c", 'q"', "ü"],
        '{"a": [1, "✓"]}',
        2**40,
    )
    expected = (
        legacy_uuid("users", OID).encode() + b"\ttab\\there, a backslash \\\\ and\\nlines\\r\t\\N\tt\t87.50\t"
        b'2024-01-02 03:04:05.600000+00:00\t2024-01-02\t{a,"b,c","q\\\\"",\xc3\xbc}\t'
        b'{"a": [1, "\xe2\x9c\x93"]}\t1099511627776\n'
    )
    assert copyrows.copy_line(row) == expected  # psycopg's formatter
    monkeypatch.setattr(copyrows, "_format_row_text", None)
    assert copyrows.copy_line(row) == expected  # the fallback without it
