"""A support-desk-like source and schema for the importer tests: companies, contacts, tickets with
embedded comments and tags. Built in code with `bson`, so every awkward case is on purpose."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import bson
from bson import DBRef, Decimal128, Int64, ObjectId, json_util

SCHEMA = """
create schema desk;
create table desk.companies (
    id uuid primary key,
    legacy_id text not null unique,
    name text not null,
    plan text check (plan in ('free', 'pro', 'enterprise')),
    revenue numeric(14, 2),
    employees integer,
    founded timestamptz,
    meta jsonb not null default '{}',
    created_at timestamptz not null default now()
);
create table desk.contacts (
    id uuid primary key,
    legacy_id text not null unique,
    company_id uuid references desk.companies (id),
    email text not null unique,
    name text,
    tags text[],
    vip boolean not null default false,
    created_at timestamptz not null
);
create table desk.tickets (
    id uuid primary key,
    legacy_id text not null unique,
    contact_id uuid not null references desk.contacts (id),
    subject text not null,
    priority smallint,
    opened_at timestamptz,
    updated_at timestamptz,
    details jsonb,
    watchers uuid[]
);
create table desk.comments (              -- a ticket's embedded comments
    id uuid primary key,
    ticket_id uuid not null references desk.tickets (id) on delete cascade,
    author_id uuid,                       -- no foreign key on purpose: verify reports orphans
    body text not null,
    position integer not null
);
create table desk.ticket_tags (           -- a ticket's array of strings
    ticket_id uuid not null references desk.tickets (id) on delete cascade,
    tag text not null,
    primary key (ticket_id, tag)
);
"""

MAPPING = """
schema = "desk"

[collections.companies]
table = "companies"
[collections.companies.columns]
id = { type = "id" }
legacy_id = { type = "key" }
name = { path = "name", type = "text", required = true }
plan = { path = "plan", type = "text" }
revenue = { path = "revenue", type = "numeric" }
employees = { path = ["employees", "staff"], type = "int" }
founded = { path = "founded", type = "timestamptz" }
meta = { path = "meta", type = "jsonb", default = {} }
created_at = { path = "createdAt", type = "timestamptz", fallback = "id_time" }

[collections.contacts]
table = "contacts"
updated = "updatedAt"
[collections.contacts.columns]
id = { type = "id" }
legacy_id = { type = "key" }
company_id = { path = "company", type = "ref", collection = "companies" }
email = { path = "email", type = "text" }
name = { path = "name", type = "text" }
tags = { path = "tags", type = "text[]" }
vip = { path = "vip", type = "bool", default = false }
created_at = { path = "createdAt", type = "timestamptz", fallback = "id_time" }

[collections.tickets]
table = "tickets"
updated = "updatedAt"
[collections.tickets.columns]
id = { type = "id" }
legacy_id = { type = "key" }
contact_id = { path = "contact", type = "ref", collection = "contacts", missing = "reject" }
subject = { path = "subject", type = "text" }
priority = { path = "priority", type = "int" }
opened_at = { path = "openedAt", type = "timestamptz" }
updated_at = { path = "updatedAt", type = "timestamptz" }
details = { path = "details", type = "jsonb" }
watchers = { path = "watchers", type = "ref[]", collection = "contacts" }

[[collections.tickets.children]]
table = "comments"
array = "comments"
parent = "ticket_id"
[collections.tickets.children.columns]
id = { type = "id" }
ticket_id = { path = "$parent._id", type = "ref", collection = "tickets" }
author_id = { path = "author", type = "ref", collection = "contacts" }
body = { path = "body", type = "text" }
position = { path = "$index", type = "int" }

[[collections.tickets.children]]
table = "ticket_tags"
array = "tags"
parent = "ticket_id"
key = ["ticket_id", "tag"]
[collections.tickets.children.columns]
ticket_id = { path = "$parent._id", type = "ref", collection = "tickets" }
tag = { path = "$item", type = "text" }
"""

UTC = dt.UTC
T0 = dt.datetime(2024, 1, 10, 12, 0, tzinfo=UTC)


def oid(n: int, seconds: int = 1_700_000_000) -> ObjectId:
    """A readable, deterministic ObjectId: timestamp, then n."""
    return ObjectId(f"{seconds:08x}{n:016x}")


def companies() -> list[dict[str, Any]]:
    return [
        {
            "_id": oid(1),
            "name": "Acme",
            "plan": "pro",
            "revenue": Decimal128("1234567.89"),
            "employees": Int64(120),
            "founded": "1999-04-01",
            "meta": {"regions": [["eu", "us"], ["apac"]], "owner": oid(900)},
            "createdAt": T0,
        },
        {
            "_id": oid(2),
            "name": "Bücher & Söhne 📚",
            "plan": "free",
            "revenue": 1050.5,
            "employees": "42",
            "founded": 946684800,
            "meta": {"score": Decimal128("0.1"), "big": Decimal128("12345678901234567890.123")},
        },
        {"_id": oid(3), "name": "Gamma", "employees": 7.0, "founded": 1_262_304_000_000},  # ms epoch, no plan
        {"_id": oid(4), "name": "Delta", "employees": "many"},  # not a number → quarantined
        {"_id": oid(5), "plan": "pro"},  # no name → quarantined (required)
        {"_id": oid(6), "name": "Epsilon", "plan": "platinum"},  # CHECK refuses → quarantined by the database
    ]


def contacts() -> list[dict[str, Any]]:
    return [
        {
            "_id": oid(11),
            "company": oid(1),
            "email": "ann@acme.test",
            "name": "Ann",
            "tags": ["vip", "eu"],
            "vip": True,
            "createdAt": "2024-01-02T03:04:05Z",
            "updatedAt": T0,
        },
        {
            "_id": oid(12),
            "company": str(oid(1)),
            "email": "bob@acme.test",
            "name": "Bob",
            "tags": "solo",
            "vip": "yes",
            "updatedAt": T0,
        },  # company as a hex string, tags as a lone string
        {
            "_id": oid(13),
            "company": DBRef("companies", oid(2)),
            "email": "zoë@bücher.test",
            "name": "Zoë Ünal",
            "createdAt": 1_704_067_200,
            "updatedAt": T0,
        },  # DBRef, seconds epoch
        {"_id": oid(14), "company": oid(2), "email": "ann@acme.test", "name": "Ann again", "updatedAt": T0},
        {"_id": oid(15), "company": oid(999), "email": "ghost@nowhere.test", "updatedAt": T0},  # dangling: FK refuses
        {"_id": oid(16), "email": "solo@free.test", "vip": 0, "updatedAt": T0},  # no company
        {"_id": oid(17), "company": oid(3), "email": {"$bad": 1}, "updatedAt": T0},  # email is an object
    ]


def tickets() -> list[dict[str, Any]]:
    return [
        {
            "_id": oid(21),
            "contact": oid(11),
            "subject": "Login fails",
            "priority": Int64(2),
            "openedAt": "2024-02-01T10:00:00+02:00",
            "updatedAt": T0,
            "details": {"steps": [["open", "click"], ["retry"]], "browser": "Firefox", "when": T0},
            "watchers": [oid(12), str(oid(13))],
            "comments": [
                {"_id": oid(31), "author": oid(12), "body": "Try again?"},
                {"author": oid(11), "body": "Still broken ✗"},
            ],
            "tags": ["login", "urgent", "login"],
        },
        {
            "_id": oid(22),
            "contact": oid(13),
            "subject": "Rechnung",
            "priority": "3",
            "openedAt": 1_706_781_600_000,
            "updatedAt": T0,
            "comments": [{"author": oid(777), "body": "from someone unknown"}],
            "tags": [],
        },
        {"_id": oid(23), "contact": oid(15), "subject": "Ghost's ticket", "updatedAt": T0},  # contact was rejected
        {
            "_id": oid(24),
            "contact": oid(12),
            "subject": "Grades",
            "priority": 1,
            "details": {"grades": [{"score": 1}, {"score": "x"}]},
            "updatedAt": T0,
            "comments": [{"author": oid(11), "body": None}],
        },  # comment without body → quarantined
        {"_id": oid(25), "contact": oid(16), "subject": "Big priority", "priority": 70000, "updatedAt": T0},
    ]


COLLECTIONS = {"companies": companies, "contacts": contacts, "tickets": tickets}
# What the database must end up with, and what must be quarantined (with a reason containing…)
EXPECTED_IMPORTED = {"companies": 3, "contacts": 4, "tickets": 2}
EXPECTED_REJECTED = {
    "companies": ["employees: not a number", "name: missing required field", "companies_plan_check"],
    "contacts": ["contacts_email_key", "contacts_company_id_fkey", "email: not text"],
    "tickets": ["contact: dangling reference", "comments[0].body: missing required field", "out of range for a 16-bit"],
}


def write_dump(root: Path, gzip_tickets: bool = True) -> Path:
    """A mongodump-like directory: <root>/desk/<collection>.bson (+ .metadata.json)."""
    database = root / "desk"
    database.mkdir(parents=True, exist_ok=True)
    for name, build in COLLECTIONS.items():
        data = b"".join(bson.encode(document) for document in build())
        path = database / (f"{name}.bson.gz" if gzip_tickets and name == "tickets" else f"{name}.bson")
        if path.suffix == ".gz":
            path.write_bytes(gzip.compress(data))
        else:
            path.write_bytes(data)
        metadata = {"indexes": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}], "collectionName": name}
        (database / f"{name}.metadata.json").write_text(json.dumps(metadata))
    return root


def write_export(root: Path, mode: str = "relaxed", array: bool = False) -> Path:
    """mongoexport-like files: <root>/<collection>.json, JSON lines or --jsonArray."""
    options = json_util.CANONICAL_JSON_OPTIONS if mode == "canonical" else json_util.RELAXED_JSON_OPTIONS
    root.mkdir(parents=True, exist_ok=True)
    for name, build in COLLECTIONS.items():
        lines = [json_util.dumps(document, json_options=options) for document in build()]
        text = ("[" + ",\n".join(lines) + "]\n") if array else "\n".join(lines) + "\n"
        (root / f"{name}.json").write_text(text, encoding="utf-8")
    return root
