"""The writing platform's MongoDB data as a Node/Mongoose app leaves it, for importing with the shipped
mapping (api/importer/mappings/writing.toml): all ten collections, built with `bson`, with every
awkward case on purpose — mixed types in one field, missing fields, dates as strings and numbers,
Decimal128 grades, Int64 counts, nested arrays, DBRefs, dangling references, duplicate e-mails, unicode."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import bson
from bson import DBRef, Decimal128, Int64, ObjectId, json_util

UTC = dt.UTC
T0 = dt.datetime(2024, 1, 10, 9, 30, tzinfo=UTC)
LATER = dt.datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
# bcryptjs hashes (cost 4): "$2a$" as bcryptjs 2.x writes them; Ben's as "$2b$" (bcryptjs 3), same algorithm.
ADA_PASSWORD, ADA_HASH = "Essay-2024!", "$2a$04$ptIvDzrGZkuYP9YgD9Xuc.T.JyTWMF/XQu7kLyhxzTKVy.2HIMcri"
BEN_PASSWORD, BEN_HASH = "Quill#pass1", "$2b$04$QMhDvpOCRNwMpp6Um.8vIO.YSvhNPF4Cu6bPPR5gZmU0vF5LWn2gW"

_PREFIX = {
    "users": 1,
    "courses": 2,
    "assignmenttemplates": 3,
    "assignments": 4,
    "courseassignments": 5,
    "assignmentsubmissions": 6,
    "documents": 7,
    "documentversions": 8,
    "writingsessions": 9,
    "notifications": 10,
}


def oid(collection: str, n: int, seconds: int = 1_700_000_000) -> ObjectId:
    """A readable, deterministic ObjectId: its time, then the collection's number, then n."""
    return ObjectId(f"{seconds:08x}{_PREFIX[collection]:08x}{n:08x}")


def u(n: int) -> ObjectId:
    return oid("users", n)


def users() -> list[dict[str, Any]]:
    return [
        {
            "_id": u(1),
            "email": "  Prof.Ada@Riverside.EDU ",
            "password": ADA_HASH,
            "firstName": "Ada",
            "lastName": "Lovelace",
            "role": "instructor",
            "profile": {"bio": "Teaches writing.", "avatar": "https://cdn.example/ada.png"},
            "isVerified": True,
            "createdAt": T0,
        },
        {
            "_id": u(2),
            "email": "ben@riverside.edu",
            "password": BEN_HASH,
            "firstName": "Ben",
            "lastName": "Ünal",
            "role": "student",
            "profile": {"bio": "Ünïcødé ✍️ writer", "avatar": "/uploads/ben.png"},
            "isVerified": "yes",  # mixed types: a string here, booleans elsewhere
            "createdAt": "2024-01-11T08:00:00Z",  # a date as a string
        },
        {
            "_id": u(3),
            "email": "chloe@riverside.edu",
            "firstName": "Chloé",
            "isVerified": False,
            "createdAt": 1_704_967_200_000,  # epoch milliseconds; no role, no password
        },
        {"_id": u(4), "email": "dev@riverside.edu", "firstName": "Dév", "lastName": "Ó Briain", "role": "Student"},
        {"_id": u(5), "email": "BEN@Riverside.edu", "role": "student", "createdAt": T0},  # duplicate e-mail
        {"_id": u(6), "email": "root@riverside.edu", "role": "superuser", "createdAt": T0},  # unknown role
        {"_id": u(7), "email": "eve@riverside.edu", "role": "student", "createdAt": T0, "updatedAt": LATER},
    ]


def courses() -> list[dict[str, Any]]:
    return [
        {
            "_id": oid("courses", 1),
            "title": "Academic Writing 101",
            "description": "Essays, from outline to final draft.",
            "subject": "English",
            "instructor": u(1),
            "students": [
                u(2),
                u(3),
                str(u(3)),
                DBRef("users", u(4)),
                u(999),
            ],  # a duplicate (hex text), a DBRef, a ghost
            "isPublic": True,
            "maxStudents": Int64(25),
            "startDate": "2024-01-15",
            "endDate": dt.datetime(2024, 5, 31, tzinfo=UTC),
            "settings": {"allowLateSubmissions": True, "rubric": [["clarity", 3], ["evidence", 2]]},
            "status": "active",
            "isActive": True,
            "enrollmentCode": "awr101x",
            "tags": ["writing", "first-year"],
            "createdAt": T0,
        },
        {
            "_id": oid("courses", 2),
            "title": "Creative Writing ✎",
            "instructor": u(1),
            "students": [u(2)],
            "maxStudents": "40",  # a number as a string
            "status": "completed",
            "isActive": False,
            "tags": [],
        },  # no enrollmentCode: derived from the ObjectId
        {"_id": oid("courses", 3), "title": "Ghost course", "instructor": u(888), "students": []},  # no instructor
    ]


def _objectives(second_weight: Any) -> list[dict[str, Any]]:
    return [
        {"description": "Build an argument", "bloomsLevel": 3, "category": "application", "weight": 60},
        {"description": "Cite sources", "bloomsLevel": Int64(2), "category": "knowledge", "weight": second_weight},
    ]


def assignmenttemplates() -> list[dict[str, Any]]:
    return [
        {
            "_id": oid("assignmenttemplates", 1),
            "title": "Argumentative essay",
            "description": "Take a position and defend it.",
            "instructions": "Write 500 to 1500 words.",
            "requirements": {
                "minWords": 500,
                "maxWords": Int64(1500),
                "citationStyle": "APA",
                "requiredSections": ["Introduction", "Argument", "Conclusion"],
            },
            "writingStages": [
                {"name": "Outline", "order": 1, "aiAssistance": {"allowedActions": ["outline"], "maxInteractions": 3}},
                {"name": "Draft", "order": 2, "requiredDuration": 60, "reflectionRequired": True},
            ],
            "learningObjectives": _objectives(Decimal128("40")),
            "aiSettings": {"enabled": True, "boundaries": {"noGhostwriting": True}},
            "gradingCriteria": [{"name": "Argument", "description": "Clear claim", "maxPoints": 50, "weight": 50}],
            "instructor": u(1),
            "isPublic": True,
            "usageCount": Int64(12),
            "tags": ["essay", "argument"],
            "createdAt": T0,
        },
        {
            "_id": oid("assignmenttemplates", 2),
            "title": "Broken objectives",
            "learningObjectives": _objectives(30),  # weights sum to 90: refused by the database
            "instructor": u(1),
        },
    ]


def assignments() -> list[dict[str, Any]]:
    return [
        {
            "_id": oid("assignments", 1),
            "course": oid("courses", 1),
            "instructor": u(1),
            "template": oid("assignmenttemplates", 1),
            "title": "Essay 1",
            "instructions": "Argue for or against school uniforms.",
            "dueDate": "2024-02-01T23:59:00Z",
            "stageDueDates": {"Outline": "2024-01-20T00:00:00Z", "Draft": "2024-01-27T00:00:00Z"},
            "status": "published",
            "type": "individual",
            "collaborationSettings": {"allowComments": True},
            "versionControl": {"autoSave": True, "interval": Int64(30)},
            "writingStages": [{"name": "Draft", "order": 1}],
            "learningObjectives": [],
            "requirements": {"minWords": 500},
            "gradingCriteria": [],
            "publishedAt": T0,
            "createdAt": T0,
            "updatedAt": T0,
        },
        {
            "_id": oid("assignments", 2),
            "course": str(oid("courses", 1)),  # a reference as hex text
            "instructor": u(1),
            "title": "Reflection",
            "status": "draft",
            "type": "collaborative",
        },
        {"_id": oid("assignments", 3), "course": oid("courses", 3), "instructor": u(1), "title": "In a ghost course"},
    ]


def courseassignments() -> list[dict[str, Any]]:
    return [
        {
            "_id": oid("courseassignments", 1),
            "template": oid("assignmenttemplates", 1),
            "course": oid("courses", 2),
            "instructor": u(1),
            "title": "Argumentative essay (creative writing)",
            "dueDate": 1_714_521_600,  # epoch seconds
            "allowLateSubmissions": True,
            "customInstructions": "Use a short story as your evidence.",
            "courseSpecificRequirements": {"minWords": 300, "maxWords": 900},
            "status": "published",
            "publishedAt": T0,
        },
        {  # the same template in the same course as assignment 1: one per course and template
            "_id": oid("courseassignments", 2),
            "template": oid("assignmenttemplates", 1),
            "course": oid("courses", 1),
            "instructor": u(1),
            "title": "Essay 1 again",
        },
    ]


def assignmentsubmissions() -> list[dict[str, Any]]:
    return [
        {
            "_id": oid("assignmentsubmissions", 1),
            "assignment": oid("assignments", 1),
            "author": u(2),
            "title": "Uniforms: a case against",
            "content": "School uniforms limit expression — naïve policies fail.",
            "wordCount": Int64(8),
            "status": "graded",
            "submittedAt": dt.datetime(2024, 1, 31, 20, 0, tzinfo=UTC),
            "collaborators": [u(3)],
            "milestones": [{"stage": "Outline", "completedAt": T0}, {"stage": "Draft", "completedAt": None}],
            "analytics": {"timeSpent": Int64(5400), "revisions": [[1, 2], [3]]},
            "grade": {
                "score": Decimal128("87.50"),
                "feedback": "Strong thesis.",
                "gradedBy": u(1),
                "gradedAt": "2024-02-03T10:00:00Z",
            },
            "aiInteractions": [{"action": "outline", "at": T0, "accepted": True}],
            "createdAt": T0,
        },
        {
            "_id": oid("assignmentsubmissions", 2),
            "assignment": oid("assignments", 2),
            "author": u(3),
            "content": "Thinking about it…",
            "status": "in-progress",
            "collaborators": [{"user": u(4), "permission": "write"}, {"user": u(777)}],  # a ghost collaborator
        },
        {
            "_id": oid("assignmentsubmissions", 3),
            "assignment": oid("assignments", 1),
            "author": u(4),
            "status": "graded",
            "grade": {"score": "ninety"},  # not a number
        },
        {
            "_id": oid("assignmentsubmissions", 4),
            "assignment": oid("assignments", 666),
            "author": u(2),
        },  # no assignment
    ]


def documents() -> list[dict[str, Any]]:
    return [
        {
            "_id": oid("documents", 1),
            "title": "My essay",
            "content": "School uniforms limit expression.",
            "course": oid("courses", 1),
            "author": u(2),
            "assignment": oid("assignments", 1),
            "submission": oid("assignmentsubmissions", 1),
            "type": "essay",
            "status": "completed",
            "collaborators": [{"user": u(3), "permission": "comment"}, {"user": u(1), "permission": "owner"}],
            "settings": {"autoSave": True},
            "metadata": {"wordCountGoal": Int64(1000), "outline": [["intro"], ["body", "conclusion"]]},
            "createdAt": T0,
            "updatedAt": T0,
        },
        {
            "_id": oid("documents", 2),
            "title": "Notes ✎",
            "content": "ideas",
            "course": oid("courses", 555),  # a course that never existed: the link is dropped
            "author": u(3),
            "type": "notes",
        },
        {"_id": oid("documents", 3), "title": "   ", "author": u(4)},  # a blank title: refused
    ]


def documentversions() -> list[dict[str, Any]]:
    d1 = oid("documents", 1)
    return [
        {
            "_id": oid("documentversions", 1),
            "document": d1,
            "version": 1,
            "title": "My essay",
            "content": "School uniforms.",
            "author": u(2),
            "changes": {"wordsAdded": 2, "wordsDeleted": 0, "summary": "first draft"},
            "metadata": {"client": "web"},
            "diff": "+School uniforms.",
            "createdAt": T0,
        },
        {
            "_id": oid("documentversions", 2),
            "document": d1,
            "version": Int64(2),
            "title": "My essay",
            "content": "School uniforms limit expression.",
            "author": u(2),
            "changes": {"wordsAdded": "2", "wordsRemoved": 0},
        },
        {
            "_id": oid("documentversions", 3),
            "document": oid("documents", 2),
            "version": 1.0,
            "title": "Notes ✎",
            "content": "ideas",
            "author": u(999),  # a ghost author: the link is dropped
        },
        {
            "_id": oid("documentversions", 4),
            "document": oid("documents", 9),
            "version": 1,
            "content": "?",
        },  # no document
        {"_id": oid("documentversions", 5), "document": d1, "version": 2, "content": "dup"},  # version 2 twice
    ]


def writingsessions() -> list[dict[str, Any]]:
    return [
        {
            "_id": oid("writingsessions", 1),
            "document": oid("documents", 1),
            "user": u(2),
            "startTime": T0,
            "endTime": T0 + dt.timedelta(minutes=30),
            "duration": Int64(1800),
            "activity": {"wordsAdded": 40, "wordsDeleted": Int64(3), "keystrokes": Int64(2200)},
            "snapshots": [{"at": T0, "wordCount": 10}, {"at": T0 + dt.timedelta(minutes=15), "wordCount": 30}],
            "productivity": {"wordsPerMinute": 1.33, "focus": Decimal128("0.91")},
        },
        {
            "_id": oid("writingsessions", 2),
            "document": oid("documents", 2),
            "user": u(3),
            "startTime": 1_704_880_000_000,  # epoch ms; still open (no endTime)
        },
        {
            "_id": oid("writingsessions", 3),
            "document": oid("documents", 1),
            "user": u(2),
            "startTime": T0,
            "endTime": T0 - dt.timedelta(minutes=5),  # ends before it starts: refused
        },
    ]


def notifications() -> list[dict[str, Any]]:
    return [
        {
            "_id": oid("notifications", 1),
            "recipient": u(2),
            "sender": DBRef("users", u(1)),  # a DBRef instead of a plain ObjectId
            "type": "assignment-graded",
            "category": "grade",
            "priority": "high",
            "title": "Your essay was graded",
            "message": "87.5 / 100",
            "context": {"courseId": oid("courses", 1), "submissionId": oid("assignmentsubmissions", 1)},
            "status": "read",
            "readAt": "2024-02-03T11:00:00Z",
            "createdAt": T0,
        },
        {
            "_id": oid("notifications", 2),
            "recipient": u(3),
            "sender": u(404),  # a ghost sender: the link is dropped
            "type": "intervention",
            "category": "intervention",
            "priority": "medium",
            "title": "You have not written for a week",
            "intervention": {"kind": "nudge", "suggestion": "Try 15 minutes today"},
            "relatedMetrics": {"daysInactive": Int64(7), "trend": [3, 1, 0]},
            "actionRequired": "true",
            "expiresAt": "2024-03-01",
        },
        {"_id": oid("notifications", 3), "recipient": u(5), "type": "welcome", "title": "Hi"},  # recipient rejected
    ]


COLLECTIONS = {
    "users": users,
    "courses": courses,
    "assignmenttemplates": assignmenttemplates,
    "assignments": assignments,
    "courseassignments": courseassignments,
    "assignmentsubmissions": assignmentsubmissions,
    "documents": documents,
    "documentversions": documentversions,
    "writingsessions": writingsessions,
    "notifications": notifications,
}
EXPECTED_IMPORTED = {
    "users": 5,
    "courses": 2,
    "assignmenttemplates": 1,
    "assignments": 2,
    "courseassignments": 1,
    "assignmentsubmissions": 2,
    "documents": 2,
    "documentversions": 3,
    "writingsessions": 2,
    "notifications": 2,
}
EXPECTED_REJECTED = {  # collection → a piece of each quarantine reason
    "users": ["users_email_key", "'superuser' is not one of"],
    "courses": ["courses_instructor_id_institution_id_fkey"],
    "assignmenttemplates": ["weights must sum to 100"],
    "assignments": ["assignments_course_id_institution_id_fkey"],
    "courseassignments": ["assignments_course_id_template_id_key"],
    "assignmentsubmissions": ["grade.score: not a number", "assignment_submissions_assignment_id_institution_id_fkey"],
    "documents": ["documents_title_check"],
    "documentversions": ["document_versions_document_id_institution_id_fkey", "document_versions_document_id_version"],
    "writingsessions": ["writing_sessions_check"],
    "notifications": ["notifications_recipient_id_institution_id_fkey"],
}


def write_dump(root: Path) -> Path:
    """A mongodump directory: <root>/writing/<collection>.bson + .metadata.json."""
    database = root / "writing"
    database.mkdir(parents=True, exist_ok=True)
    for name, build in COLLECTIONS.items():
        (database / f"{name}.bson").write_bytes(b"".join(bson.encode(document) for document in build()))
        metadata = {"indexes": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}], "collectionName": name}
        (database / f"{name}.metadata.json").write_text(json.dumps(metadata))
    return root


def write_export(root: Path, mode: str = "relaxed", array: bool = False) -> Path:
    """mongoexport output: <root>/<collection>.json, one Extended JSON document per line, or one
    array (--jsonArray); relaxed (mongoexport's default) or canonical (--jsonFormat=canonical)."""
    options = json_util.CANONICAL_JSON_OPTIONS if mode == "canonical" else json_util.RELAXED_JSON_OPTIONS
    root.mkdir(parents=True, exist_ok=True)
    for name, build in COLLECTIONS.items():
        lines = [json_util.dumps(document, json_options=options) for document in build()]
        text = ("[" + ",\n".join(lines) + "]\n") if array else "\n".join(lines) + "\n"
        (root / f"{name}.json").write_text(text, encoding="utf-8")
    return root
