"""Course capacity under concurrency: many students enrol in one course at the same moment, each in
a transaction of their own (as the API would run them), and the course is never overbooked.

The enrolment trigger (AFTER the row is written) locks the course row (FOR NO KEY UPDATE) and counts
the place on it, so parallel enrolments queue on that row: under READ COMMITTED exactly `max_students`
succeed and the rest get PT409; under REPEATABLE READ the losers of a race get 40001 (retryable)
instead, and still nobody overbooks.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter

import psycopg
import pytest

CAPACITY = 5
STUDENTS = 16
INSTITUTION = uuid.UUID("a0000000-0000-4000-8000-0000000000c1")
EDUCATOR = uuid.UUID("e0000000-0000-4000-8000-0000000000c1")
COURSE = uuid.UUID("c0000000-0000-4000-8000-0000000000c1")


def _students() -> list[uuid.UUID]:
    return [uuid.UUID(int=0xB0000000_0000_4000_8000_000000000000 + n) for n in range(STUDENTS)]


def _seed(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("insert into app.institutions (id, slug, name) values (%s, 'race', 'Race College')", [INSTITUTION])
        people = [(EDUCATOR, "educator")] + [(s, "student") for s in _students()]
        for user_id, role in people:
            conn.execute("insert into auth.users (id, email) values (%s, %s)", [user_id, f"{user_id}@race.test"])
            conn.execute(
                "insert into app.profiles (user_id, institution_id, role) values (%s, %s, %s)",
                [user_id, INSTITUTION, role],
            )
        conn.execute(
            "insert into app.courses (id, institution_id, instructor_id, title, is_public, max_students)"
            " values (%s, %s, %s, 'Popular seminar', true, %s)",
            [COURSE, INSTITUTION, EDUCATOR, CAPACITY],
        )


def _enrol_all_at_once(url: str, isolation: str) -> Counter[str]:
    """Every student enrols at the same instant; returns how many got which outcome (ok or SQLSTATE)."""
    students = _students()
    connections = [psycopg.connect(url) for _ in students]
    barrier = threading.Barrier(len(students))
    outcomes: list[str] = []
    lock = threading.Lock()

    def enrol(conn: psycopg.Connection, student: uuid.UUID) -> None:
        claims = {"sub": str(student), "role": "student", "app_metadata": {"institution_id": str(INSTITUTION)}}
        try:
            with conn.transaction():
                conn.execute(f"set transaction isolation level {isolation}")
                conn.execute(
                    "select set_config('role', 'student', true), set_config('request.jwt.claims', %s, true)",
                    [json.dumps(claims)],
                )
                barrier.wait(timeout=30)
                conn.execute("insert into app.course_enrollments (course_id) values (%s)", [COURSE])
            outcome = "ok"
        except psycopg.Error as error:
            outcome = error.sqlstate or "?"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=enrol, args=pair) for pair in zip(connections, students, strict=True)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for conn in connections:
            conn.close()
    return Counter(outcomes)


def _seats(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select (select enrolled_count from app.courses where id = %s),"
            " (select count(*)::int from app.course_enrollments where course_id = %s and status = 'active')",
            [COURSE, COURSE],
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def test_parallel_enrolments_never_overbook_read_committed(database_url: str) -> None:
    _seed(database_url)
    outcomes = _enrol_all_at_once(database_url, "read committed")
    assert outcomes == Counter({"ok": CAPACITY, "PT409": STUDENTS - CAPACITY})
    assert _seats(database_url) == (CAPACITY, CAPACITY)


@pytest.mark.parametrize("isolation", ["repeatable read", "serializable"])
def test_parallel_enrolments_never_overbook_stricter_isolation(database_url: str, isolation: str) -> None:
    _seed(database_url)
    outcomes = _enrol_all_at_once(database_url, isolation)
    assert sum(outcomes.values()) == STUDENTS
    assert set(outcomes) <= {"ok", "PT409", "40001"}
    assert 1 <= outcomes["ok"] <= CAPACITY
    enrolled, active = _seats(database_url)
    assert enrolled == active == outcomes["ok"]
