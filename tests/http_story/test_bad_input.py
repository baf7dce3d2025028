"""Bad input over HTTP, with real tokens: every refusal of the writing workflows is a 4xx in
PostgREST's {code, details, hint, message} shape whose message a user can act on (the constraint's
`comment on constraint`, not its name, which moves to `details`), and it changes nothing.
Upserts of enrolments (on_conflict= with either resolution) count a course place once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from story_support import StoryServer

CONSTRAINT_NAME = re.compile(r"_(check\d*|key|fkey|pkey)\b")


def client(server: StoryServer, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=20)


def refused(response: httpx.Response, status: int, code: str, message: str) -> dict[str, Any]:
    """The refusal's status, code and exact message; the body has PostgREST's four keys."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    body = response.json()
    assert set(body) == {"code", "details", "hint", "message"}, body
    assert body["code"] == code and body["message"] == message, body
    assert not CONSTRAINT_NAME.search(body["message"]), body
    return body


def unchanged(server: StoryServer, query: str, params: list[object]) -> Callable[[], None]:
    """Snapshot a query now; the returned check asserts it gives the same rows later."""
    before = server.sql(query, params)
    return lambda: _same(before, server.sql(query, params))


def _same(before: list[tuple], after: list[tuple]) -> None:
    assert after == before


@pytest.fixture(scope="module")
def world(story_server: StoryServer) -> dict[str, Any]:
    """An educator with a course of two places, two enrolled students and a third who is not."""
    educator_id, educator_token = story_server.educator()
    teacher = client(story_server, educator_token)
    made = teacher.post(
        "/courses", json={"title": "Bad input 101", "max_students": 2, "status": "active"},
        headers={"Prefer": "return=minimal"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    course = story_server.sql("select id::text, enrollment_code from app.courses where title = 'Bad input 101'")[0]
    students = [story_server.student() for _ in range(3)]
    for _, token in students[:2]:
        enrolled = client(story_server, token).post("/rpc/enroll_with_code", json={"code": course[1]})
        assert enrolled.status_code == 200, enrolled.text
    return {"teacher": teacher, "educator_id": educator_id, "course_id": course[0], "code": course[1],
            "students": students}  # fmt: skip


def seats(server: StoryServer, course_id: str) -> tuple[int, int]:
    rows = server.sql(
        "select enrolled_count, (select count(*)::int from app.course_enrollments e"
        " where e.course_id = c.id and e.status = 'active') from app.courses c where c.id = %s",
        [course_id],
    )
    return rows[0][0], rows[0][1]


def test_course_fields_are_explained(story_server: StoryServer, world: dict[str, Any]) -> None:
    teacher: httpx.Client = world["teacher"]
    check = unchanged(story_server, "select count(*) from app.courses where instructor_id = %s", [world["educator_id"]])
    body = refused(teacher.post("/courses", json={"title": "X", "status": "open"}), 400, "23514",
                   "status must be one of: planning, active, completed, archived.")  # fmt: skip
    assert "courses_status_check" in body["details"]  # PostgreSQL's own text, for whoever debugs it
    refused(teacher.post("/courses", json={"title": "   "}), 400, "23514",
            "title must not be empty, and at most 200 characters.")  # fmt: skip
    refused(teacher.post("/courses", json={"title": "X", "max_students": 0}), 400, "23514",
            "max_students must be between 1 and 10000.")  # fmt: skip
    refused(teacher.post("/courses", json={"title": "X", "starts_on": "2027-02-01", "ends_on": "2027-01-01"}),
            400, "23514", "ends_on must not be before starts_on.")  # fmt: skip
    check()
    course = unchanged(story_server, "select max_students, status from app.courses where id = %s", [world["course_id"]])
    refused(teacher.patch("/courses", params={"id": f"eq.{world['course_id']}"}, json={"max_students": 1}),
            409, "PT409", "max_students cannot be 1: 2 students are enrolled.")  # fmt: skip
    course()


def test_enrolment_refusals_and_upserts(story_server: StoryServer, world: dict[str, Any]) -> None:
    teacher: httpx.Client = world["teacher"]
    course_id = world["course_id"]
    (first_id, first_token), _, (third_id, third_token) = world["students"]
    assert seats(story_server, course_id) == (2, 2)

    # The same enrolment again: a plain POST is a 409 that says what to do instead; upserts are no-ops.
    row = {"course_id": course_id, "student_id": first_id, "status": "active"}
    refused(teacher.post("/course_enrollments", json=row), 409, "23505",
            "This student is already enrolled in the course (change the enrolment's status instead).")  # fmt: skip
    upsert = teacher.post(
        "/course_enrollments", params={"on_conflict": "course_id,student_id"}, json=[row],
        headers={"Prefer": "resolution=ignore-duplicates,return=minimal"},
    )  # fmt: skip
    assert upsert.status_code == 201, upsert.text
    assert seats(story_server, course_id) == (2, 2)
    # merge-duplicates sets every posted column, and educators may update only an enrolment's
    # status (grants): refused whole, nothing counted. (The DO UPDATE path that is allowed — status
    # only — is tested in tests/db/writing_upserts.sql.)
    merge = teacher.post(
        "/course_enrollments", params={"on_conflict": "course_id,student_id"}, json=[row],
        headers={"Prefer": "resolution=merge-duplicates,return=minimal"},
    )  # fmt: skip
    assert merge.status_code == 403 and merge.json()["code"] == "42501", merge.text
    assert seats(story_server, course_id) == (2, 2)

    # A stranger to the institution, and a full course: nothing is written, no place is taken.
    stranger = {"course_id": course_id, "student_id": str(uuid.uuid4())}
    refused(teacher.post("/course_enrollments", json=stranger), 409, "23503",
            "The student must be a member of the course's institution.")  # fmt: skip
    third = client(story_server, third_token)
    refused(third.post("/rpc/enroll_with_code", json={"code": world["code"]}), 409, "PT409",
            'Course "Bad input 101" is full: all 2 places are taken.')  # fmt: skip
    refused(teacher.post("/course_enrollments", params={"on_conflict": "course_id,student_id"},
                         json=[row, {"course_id": course_id, "student_id": third_id, "status": "active"}],
                         headers={"Prefer": "resolution=ignore-duplicates"}),
            409, "PT409", 'Course "Bad input 101" is full: all 2 places are taken.')  # fmt: skip
    refused(client(story_server, first_token).post("/rpc/enroll_with_code", json={"code": world["code"]}),
            409, "PT409", 'You are already enrolled in "Bad input 101".')  # fmt: skip
    assert seats(story_server, course_id) == (2, 2)
    assert story_server.sql("select count(*) from app.course_enrollments where student_id = %s", [third_id]) == [(0,)]


def test_student_writes_are_explained(story_server: StoryServer, world: dict[str, Any]) -> None:
    (student_id, token), _, _ = world["students"]
    me = client(story_server, token)
    # (return=minimal, then a read: see the story test on return=representation under these policies)
    made = me.post("/documents", json={"title": "Notes", "course_id": world["course_id"]},
                   headers={"Prefer": "return=minimal"})  # fmt: skip
    assert made.status_code == 201, made.text
    document_id = me.get("/documents", params={"select": "id", "title": "eq.Notes"}).json()[0]["id"]
    documents = unchanged(story_server, "select title, type, current_version from app.documents where id = %s",
                          [document_id])  # fmt: skip
    refused(me.patch("/documents", params={"id": f"eq.{document_id}"}, json={"type": "poem"}), 400, "23514",
            "type must be one of: draft, outline, notes, reflection, final, other.")  # fmt: skip
    refused(me.patch("/documents", params={"id": f"eq.{document_id}"}, json={"title": ""}), 400, "23514",
            "title must not be empty, and at most 200 characters.")  # fmt: skip
    documents()
    sessions = unchanged(story_server, "select count(*) from app.writing_sessions where user_id = %s", [student_id])
    refused(me.post("/writing_sessions", json={"document_id": document_id, "started_at": "2026-12-07T10:00:00Z",
                                               "ended_at": "2026-12-07T09:00:00Z"}),
            400, "23514", "ended_at must not be before started_at.")  # fmt: skip
    refused(me.post("/writing_sessions", json={"document_id": document_id, "started_at": "2026-12-07T10:00:00Z",
                                               "words_added": -3}),
            400, "23514", "words_added must not be negative.")  # fmt: skip
    sessions()
    # A document that is not theirs (or does not exist): PostgreSQL's fixed text for a row-level security
    # refusal (a policy cannot word its own message); nothing is written.
    nowhere = {"document_id": str(uuid.uuid4()), "started_at": "2026-12-07T10:00:00Z"}
    body = refused(me.post("/writing_sessions", json=nowhere),
                   403, "42501", 'new row violates row-level security policy for table "writing_sessions"')  # fmt: skip
    assert body["details"] is None
    sessions()
