"""The demo data's entities as the generator plans them, before they become table rows, and the scales."""

from __future__ import annotations

import datetime as dt
from array import array
from dataclasses import dataclass, field
from typing import Any

DEMO_PASSWORD = "campus-demo-42"
DEMO_SLUG_PREFIX = "demo-"  # demo institutions are recognised by their slug


@dataclass(frozen=True)
class Scale:
    name: str
    institutions: int
    users: int
    courses: int
    assignments: int
    templates: int
    submission_rate: float  # share of (published assignment, enrolled student) pairs with a submission
    sessions_per_document: float


SCALES = {
    "small": Scale("small", 2, 200, 10, 50, 16, 0.65, 3.0),
    "medium": Scale("medium", 3, 3_000, 100, 2_000, 120, 0.62, 3.6),
    "large": Scale("large", 5, 30_000, 1_000, 20_000, 400, 0.62, 3.6),
}


@dataclass(frozen=True)
class SampleAccount:
    role: str
    email: str
    password: str
    name: str
    institution: str


@dataclass(slots=True)
class Institution:
    id: str
    key: str
    slug: str
    name: str
    domain: str
    self_signup: bool
    created_at: dt.datetime


@dataclass(slots=True)
class Person:
    id: str
    institution: Institution
    role: str
    first_name: str
    last_name: str
    email: str
    created_at: dt.datetime

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(slots=True)
class Enrolment:
    id: str
    student: Person
    status: str
    enrolled_at: dt.datetime


@dataclass(slots=True)
class Course:
    id: str
    institution: Institution
    instructor: Person
    title: str
    subject: str
    is_public: bool
    max_students: int
    starts_on: dt.date
    ends_on: dt.date
    status: str
    code: str
    created_at: dt.datetime
    enrolments: list[Enrolment] = field(default_factory=list)

    @property
    def enrolled_count(self) -> int:
        return sum(e.status == "active" for e in self.enrolments)


@dataclass(slots=True)
class Design:
    """The JSONB groups templates and assignments share, valid by construction."""

    requirements: dict[str, Any]
    writing_stages: list[dict[str, Any]]
    learning_objectives: list[dict[str, Any]]
    grading_criteria: list[dict[str, Any]]
    ai_settings: dict[str, Any]


@dataclass(slots=True)
class Template:
    id: str
    institution: Institution
    instructor: Person | None
    title: str
    description: str
    instructions: str
    design: Design
    is_public: bool
    tags: list[str]
    created_at: dt.datetime
    usage_count: int = 0


@dataclass(slots=True)
class Assignment:
    id: str
    course: Course
    template: Template | None
    title: str
    description: str
    instructions: str
    design: Design
    due_at: dt.datetime
    allow_late: bool
    status: str
    type: str
    created_at: dt.datetime
    published_at: dt.datetime | None


@dataclass(slots=True)
class Comment:
    index: int  # into vocabulary.COMMENTS
    reply: bool
    resolved: bool


@dataclass(slots=True)
class Submission:
    """One student's work on one assignment, with everything the child tables derive from it."""

    id: str
    index: int
    assignment: Assignment
    student: Person
    status: str
    started_at: dt.datetime
    submitted_at: dt.datetime | None
    returned_at: dt.datetime | None
    graded_at: dt.datetime | None
    rubric: list[int]  # points per grading criterion (graded only)
    sentences: array  # indexes into the sentence pool: the final text
    cuts: list[int]  # sentences in each document version (the last is all of them)
    version_times: list[dt.datetime]
    sessions: int
    collaborator: Person | None
    comments: list[Comment]
    intervention: bool
    seed: int

    @property
    def has_document(self) -> bool:
        return self.status != "not_started"

    @property
    def grade(self) -> int | None:
        return sum(self.rubric) if self.status == "graded" else None
