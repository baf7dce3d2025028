"""Deterministic demo data for the writing platform: the same seed gives the same ids, e-mails and choices.

`Dataset(scale, seed, anchor)` plans the small tables in memory (institutions, people, courses with their
enrolments, templates, assignments) and one compact `Submission` per piece of student work; the large
tables (submissions, documents, versions, writing sessions, comments, notifications) are streamed from
those plans, so a `large` load never holds a million rows in memory. Every value is valid by
construction: CHECKs, the JSONB rules (learning-objective weights sum to 100, unique stage orders, ...),
capacity (active enrolments <= max_students), tenancy (children in their parent's institution), the
workflow (statuses consistent with due dates and timestamps), version numbers 1..n per document.
Times are relative to `anchor` (default: the current hour), so the demo always looks recent.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from api.demo import vocabulary as vocab
from api.demo.model import (
    DEMO_PASSWORD,
    DEMO_SLUG_PREFIX,
    SCALES,
    Assignment,
    Comment,
    Course,
    Design,
    Enrolment,
    Institution,
    Person,
    SampleAccount,
    Scale,
    Submission,
    Template,
)

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
MASK64 = (1 << 64) - 1
SAMPLE_LOCALS = (("admin", "admin"), ("educator", "educator"), ("student", "student"), ("student2", "student"))

# Kinds of id (each kind has its own id space).
(INSTITUTION, PERSON, COURSE, ENROLMENT, TEMPLATE, ASSIGNMENT, SUBMISSION, DOCUMENT, VERSION, SESSION, COMMENT,
 NOTIFICATION) = range(1, 13)  # fmt: skip

Row = tuple[Any, ...]


def _mix(value: int) -> int:
    """splitmix64's finaliser: a fast bijection that makes sequential numbers look random."""
    value = (value + 0x9E3779B97F4A7C15) & MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
    return value ^ (value >> 31)


class Ids:
    """UUIDs (version 4 layout) as a pure function of (seed, kind, index): cheap, and identical across runs."""

    def __init__(self, seed: int) -> None:
        self.base = _mix(seed & MASK64)

    def make(self, kind: int, index: int) -> str:
        high = _mix(self.base ^ (kind << 56) ^ index)
        low = _mix(high ^ 0x5DEECE66D)
        high = (high & ~(0xF << 12)) | (0x4 << 12)  # version 4
        low = (low & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
        text = f"{high:016x}{low:016x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _js(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _split(total: int, weights: Sequence[float]) -> list[int]:
    """total split in proportion to weights (largest remainder), each part an integer."""
    scale = total / sum(weights)
    parts = [int(w * scale) for w in weights]
    order = sorted(range(len(weights)), key=lambda i: parts[i] - weights[i] * scale)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    if end <= start:
        return start
    return start + (end - start) * rng.random()


@dataclass(frozen=True)
class Table:
    """One table's COPY: its columns, its row count (for the progress bar) and its rows (a fresh iterator)."""

    name: str  # schema.table
    columns: tuple[str, ...]
    count: int
    rows: Callable[[], Iterator[Row]]
    triggers: bool  # False: loaded with session_replication_role = replica (see load.py)


class Dataset:
    def __init__(self, scale: str | Scale = "small", seed: int = 1, anchor: dt.datetime | None = None) -> None:
        self.scale = SCALES[scale] if isinstance(scale, str) else scale
        self.seed = seed
        now = anchor or dt.datetime.now(dt.UTC)
        self.anchor = now.replace(minute=0, second=0, microsecond=0)
        self.ids = Ids(seed)
        self.rng = random.Random(seed)
        self.sentences = self._sentence_pool()
        self.enrolment_count = 0
        self.institutions = self._institutions()
        self.people = self._people()
        self.courses = self._courses()
        self.templates = self._templates()
        self.assignments = self._assignments()
        self.submissions = self._submissions()

    # -- planning: the small tables -------------------------------------------------------------
    def _sentence_pool(self) -> list[tuple[str, int]]:
        rng = random.Random(self.seed ^ 0x5E17)
        pool = []
        for _ in range(2_000):
            text = " ".join(
                (rng.choice(vocab.OPENERS), rng.choice(vocab.SUBJECT_PHRASES), rng.choice(vocab.VERB_PHRASES))
            )
            text = f"{text} {rng.choice(vocab.CLOSERS)}"
            pool.append((text, len(text.split())))
        return pool

    def _institutions(self) -> list[Institution]:
        created = self.anchor - 900 * DAY
        return [
            Institution(
                id=self.ids.make(INSTITUTION, i),
                key=key,
                slug=DEMO_SLUG_PREFIX + key,
                name=name,
                domain=f"{key}.example",
                self_signup=i == 0,
                created_at=created + i * DAY,
            )
            for i, (key, name) in enumerate(vocab.INSTITUTIONS[: self.scale.institutions])
        ]

    def _weights(self) -> list[float]:
        return [1.0 / (1 + 0.35 * i) for i in range(len(self.institutions))]

    def _people(self) -> list[Person]:
        people: list[Person] = []
        taken: dict[str, int] = {}
        for inst, count in zip(self.institutions, _split(self.scale.users, self._weights()), strict=True):
            admins = 3
            educators = max(2, round(count * 0.05))
            roles = ["admin"] * admins + ["educator"] * educators + ["student"] * (count - admins - educators)
            seen = {"admin": 0, "educator": 0, "student": 0}
            for role in roles:
                first, last = self.rng.choice(vocab.FIRST_NAMES), self.rng.choice(vocab.LAST_NAMES)
                local = self._local_part(inst, role, seen[role], first, last, taken)
                seen[role] += 1
                people.append(
                    Person(
                        id=self.ids.make(PERSON, len(people)),
                        institution=inst,
                        role=role,
                        first_name=first,
                        last_name=last,
                        email=f"{local}@{inst.domain}",
                        created_at=inst.created_at + self.rng.uniform(1, 400) * DAY,
                    )
                )
        return people

    def _local_part(self, inst: Institution, role: str, nth: int, first: str, last: str, taken: dict[str, int]) -> str:
        """The sample accounts of the first institution get memorable addresses; others first.last[N]."""
        if inst is self.institutions[0] and (role, nth) in {("admin", 0), ("educator", 0), ("student", 0)}:
            return role
        if inst is self.institutions[0] and (role, nth) == ("student", 1):
            return "student2"
        base = f"{first}.{last}".lower()
        key = f"{base}@{inst.domain}"
        taken[key] = taken.get(key, 0) + 1
        return base if taken[key] == 1 else f"{base}{taken[key]}"

    def _by_role(self, inst: Institution, role: str) -> list[Person]:
        return [p for p in self.people if p.institution is inst and p.role == role]

    def _courses(self) -> list[Course]:
        courses: list[Course] = []
        for inst, count in zip(self.institutions, _split(self.scale.courses, self._weights()), strict=True):
            educators, students = self._by_role(inst, "educator"), self._by_role(inst, "student")
            codes: set[str] = set()
            for k in range(count):
                course = self._course(len(courses), inst, educators[k % len(educators)], k == 0, codes)
                self._enrol(course, students, sample=k == 0 and inst is self.institutions[0])
                courses.append(course)
        return courses

    def _course(self, index: int, inst: Institution, instructor: Person, first: bool, codes: set[str]) -> Course:
        rng = self.rng
        status = "active" if first else rng.choices(("active", "completed", "planning", "archived"), (65, 20, 10, 5))[0]
        today = self.anchor.date()
        starts = {
            "active": today - rng.randint(20, 100) * DAY,
            "completed": today - rng.randint(160, 280) * DAY,
            "planning": today + rng.randint(10, 60) * DAY,
            "archived": today - rng.randint(250, 300) * DAY,
        }[status]
        subject, titles = rng.choice(vocab.SUBJECTS)
        code = "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=8))
        while code in codes:
            code = "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=8))
        codes.add(code)
        created = dt.datetime.combine(starts, dt.time(9), dt.UTC) - 30 * DAY
        return Course(
            id=self.ids.make(COURSE, index),
            institution=inst,
            instructor=instructor,
            title=rng.choice(titles),
            subject=subject,
            is_public=rng.random() < 0.2,
            max_students=rng.choice((25, 30, 30, 35, 40, 45)),
            starts_on=starts,
            ends_on=starts + rng.choice((90, 105, 120)) * DAY,
            status=status,
            code=code,
            created_at=min(created, self.anchor - DAY),
        )

    def _enrol(self, course: Course, students: list[Person], sample: bool) -> None:
        """Never more active enrolments than places: the capacity rule holds by construction."""
        rng = self.rng
        wanted = min(len(students), round(course.max_students * rng.uniform(0.75, 1.0)))
        chosen = rng.sample(students, wanted)
        if sample:  # the sample students are in the sample educator's first course
            chosen = students[:2] + [s for s in chosen if s not in students[:2]][: wanted - 2]
        start = dt.datetime.combine(course.starts_on, dt.time(9), dt.UTC)
        for student in chosen:
            if course.status in ("completed", "archived"):
                status = "completed"
            else:
                status = "dropped" if rng.random() < 0.05 and student not in students[:2] else "active"
            when = start + rng.uniform(-14, 3) * DAY
            when = min(max(when, course.created_at + HOUR, student.created_at + HOUR), self.anchor - HOUR)
            self.enrolment_count += 1
            course.enrolments.append(Enrolment(self.ids.make(ENROLMENT, self.enrolment_count), student, status, when))

    def _design(self, rng: random.Random, genre_kind: str) -> Design:
        min_words = rng.choice((300, 500, 800, 1000, 1500))
        stage_count = rng.randint(3, 5)
        stage_names = sorted(rng.sample(range(len(vocab.STAGES)), stage_count))
        stages = []
        for order, at in enumerate(stage_names, start=1):
            name, description = vocab.STAGES[at]
            stages.append(
                {
                    "name": name,
                    "order": order,
                    "description": description,
                    "requiredDuration": rng.choice((30, 45, 60, 90, 120)),
                    "aiAssistance": {
                        "allowedActions": rng.sample(vocab.AI_ACTIONS, rng.randint(1, 3)),
                        "maxInteractions": rng.choice((0, 3, 5, 10)),
                    },
                    "reflectionRequired": rng.random() < 0.3,
                }
            )
        weights = rng.choice(vocab.WEIGHT_SPLITS)
        objectives = [
            {"description": text, "bloomsLevel": rng.randint(2, 6), "category": category, "weight": weight}
            for (text, category), weight in zip(rng.sample(vocab.OBJECTIVES, len(weights)), weights, strict=True)
        ]
        points = rng.choice(vocab.POINT_SPLITS)
        criteria = [
            {"name": name, "description": text, "maxPoints": p, "weight": p}
            for (name, text), p in zip(vocab.CRITERIA, points, strict=False)
        ]
        return Design(
            requirements={
                "minWords": min_words,
                "maxWords": min_words * 2,
                "citationStyle": rng.choice(vocab.CITATION_STYLES),
                "requiredSections": rng.sample(vocab.SECTIONS, 3) if genre_kind in ("research", "science") else [],
            },
            writing_stages=stages,
            learning_objectives=objectives,
            grading_criteria=criteria,
            ai_settings={
                "enabled": rng.random() < 0.8,
                "assistantPersona": "writing coach",
                "maxInteractionsPerStage": rng.choice((3, 5, 10)),
            },
        )

    def _text_of(self, rng: random.Random) -> tuple[str, str, str, str, list[str]]:
        """A genre and topic: title, description, instructions, genre kind and tags (searchable text)."""
        genre, kind, blurb = rng.choice(vocab.GENRES)
        topic = rng.choice(vocab.TOPICS)
        description = blurb.format(topic=topic.lower())
        instructions = (
            f"{description} Work through the writing stages in order and use the AI assistant only for the "
            f"actions each stage allows. Submit your final {genre.lower()} before the due date."
        )
        tags = [kind, genre.lower().replace(" ", "-"), topic.lower().replace(" ", "-")]
        return f"{genre}: {topic}", description, instructions, kind, tags

    def _templates(self) -> list[Template]:
        templates: list[Template] = []
        for inst, count in zip(self.institutions, _split(self.scale.templates, self._weights()), strict=True):
            educators = self._by_role(inst, "educator")
            for _ in range(count):
                rng = self.rng
                title, description, instructions, kind, tags = self._text_of(rng)
                templates.append(
                    Template(
                        id=self.ids.make(TEMPLATE, len(templates)),
                        institution=inst,
                        instructor=None if rng.random() < 0.05 else rng.choice(educators),
                        title=title,
                        description=description,
                        instructions=instructions,
                        design=self._design(rng, kind),
                        is_public=rng.random() < 0.3,
                        tags=tags,
                        created_at=self.anchor - rng.uniform(320, 400) * DAY,
                    )
                )
        return templates

    def _assignments(self) -> list[Assignment]:
        mean = self.scale.assignments / max(1, len(self.courses))
        public = [t for t in self.templates if t.is_public]
        assignments: list[Assignment] = []
        for course in self.courses:
            count = max(1, round(mean * self.rng.uniform(0.7, 1.3)))
            pool = [t for t in self.templates if t.institution is course.institution and not t.is_public] + public
            used: set[str] = set()
            for i in range(count):
                assignments.append(self._assignment(len(assignments), course, i, count, pool, used))
        return assignments

    def _assignment(
        self, index: int, course: Course, nth: int, count: int, pool: list[Template], used: set[str]
    ) -> Assignment:
        rng = self.rng
        start = dt.datetime.combine(course.starts_on, dt.time(23), dt.UTC)
        length = dt.datetime.combine(course.ends_on, dt.time(23), dt.UTC) - start
        due = start + length * ((nth + 1) / (count + 1)) + rng.randint(-2, 2) * DAY
        template = None
        if pool and rng.random() < 0.5:  # at most one assignment per template and course
            candidate = rng.choice(pool)
            template = candidate if candidate.id not in used else None
        if template is not None:
            used.add(template.id)
            template.usage_count += 1
            title, description, instructions, design = (
                template.title,
                template.description,
                template.instructions,
                template.design,
            )
        else:
            title, description, instructions, kind, _ = self._text_of(rng)
            design = self._design(rng, kind)
        status = self._assignment_status(course, due)
        created = min(max(due - rng.uniform(14, 30) * DAY, course.created_at + HOUR), self.anchor - 2 * DAY)
        published = None if status == "draft" else created + rng.uniform(0, 1) * DAY
        return Assignment(
            id=self.ids.make(ASSIGNMENT, index),
            course=course,
            template=template,
            title=title,
            description=description,
            instructions=instructions,
            design=design,
            due_at=due,
            allow_late=rng.random() < 0.4,
            status=status,
            type="collaborative" if rng.random() < 0.1 else "individual",
            created_at=created,
            published_at=published,
        )

    def _assignment_status(self, course: Course, due: dt.datetime) -> str:
        if course.status == "archived":
            return "archived"
        if course.status == "completed":
            return "completed"
        if course.status == "planning" or (due > self.anchor + 21 * DAY and self.rng.random() < 0.5):
            return "draft"
        if due > self.anchor:
            return "published"
        return "in_progress" if due > self.anchor - 21 * DAY else "completed"

    # -- planning: one Submission per piece of student work -------------------------------------
    def _submissions(self) -> list[Submission]:
        plans: list[Submission] = []
        for assignment in self.assignments:
            if assignment.status == "draft":
                continue  # students cannot see drafts
            course = assignment.course
            writers = [e for e in course.enrolments if e.status != "dropped"]
            for enrolment in writers:
                sample = enrolment is course.enrolments[0] or enrolment is course.enrolments[-1]
                if self.rng.random() >= self.scale.submission_rate and not sample:
                    continue
                plans.append(self._submission(len(plans), assignment, enrolment, writers))
        return plans

    def _submission(
        self, index: int, assignment: Assignment, enrolment: Enrolment, writers: list[Enrolment]
    ) -> Submission:
        rng, anchor, due = self.rng, self.anchor, assignment.due_at
        assert assignment.published_at is not None
        earliest = max(assignment.published_at, enrolment.enrolled_at)
        started = _between(rng, earliest, min(earliest + 5 * DAY, anchor - HOUR))
        status = self._submission_status(assignment)
        submitted = returned = graded = None
        if status in ("submitted", "returned", "graded"):
            submitted = self._submitted_at(rng, assignment, started)
            if submitted is None:
                status = "in_progress"
        if submitted is not None and status in ("returned", "graded"):
            decided = submitted + rng.uniform(1, 10) * DAY
            if decided > anchor:
                status = "submitted"
            elif status == "returned":
                returned = decided
            else:
                graded = decided
        criteria = assignment.design.grading_criteria
        rubric = [round(c["maxPoints"] * rng.uniform(0.55, 1.0)) for c in criteria] if graded else []
        sentences, cuts = self._writing(rng, status)
        end = submitted or min(anchor - HOUR, max(due, started + DAY))  # as writing_end()
        times = sorted(_between(rng, started, end) for _ in cuts[1:])
        other = [e.student for e in writers if e.student is not enrolment.student]
        shared = assignment.type == "collaborative" and other and rng.random() < 0.8
        collaborator = rng.choice(other) if shared else None
        return Submission(
            id=self.ids.make(SUBMISSION, index),
            index=index,
            assignment=assignment,
            student=enrolment.student,
            status=status,
            started_at=started,
            submitted_at=submitted,
            returned_at=returned,
            graded_at=graded,
            rubric=rubric,
            sentences=sentences,
            cuts=cuts,
            version_times=[started, *times],
            sessions=self._session_count(rng) if cuts else 0,
            collaborator=collaborator,
            comments=self._comments(rng, status),
            intervention=status in ("not_started", "in_progress") and anchor - 30 * DAY < due < anchor,
            seed=rng.getrandbits(62),
        )

    def _submission_status(self, assignment: Assignment) -> str:
        if assignment.due_at > self.anchor:
            weights = {"not_started": 20, "in_progress": 55, "submitted": 25}
        elif assignment.status in ("completed", "archived"):
            weights = {"graded": 80, "returned": 5, "submitted": 5, "in_progress": 7, "not_started": 3}
        else:
            weights = {"submitted": 45, "graded": 30, "returned": 10, "in_progress": 10, "not_started": 5}
        return self.rng.choices(tuple(weights), tuple(weights.values()))[0]

    def _submitted_at(self, rng: random.Random, assignment: Assignment, started: dt.datetime) -> dt.datetime | None:
        """On time; late only where the assignment allows late work; None when neither is possible."""
        due, anchor = assignment.due_at, self.anchor
        late_window = min(due + 72 * HOUR, anchor)
        if assignment.allow_late and due < anchor and (rng.random() < 0.15 or started >= due):
            return _between(rng, max(due + HOUR, started), late_window) if late_window > due + HOUR else None
        if started >= min(due, anchor):
            return None
        return _between(rng, started + (min(due, anchor) - started) * 0.3, min(due, anchor))

    def _writing(self, rng: random.Random, status: str) -> tuple[array, list[int]]:
        """The final text (sentence indexes) and the sentence count of each document version."""
        if status == "not_started":
            return array("H"), []
        total = rng.randint(3, 12) if status == "in_progress" else rng.randint(8, 20)
        sentences = array("H", (rng.randrange(len(self.sentences)) for _ in range(total)))
        versions = min(total, rng.randint(1, 3) if status == "in_progress" else rng.randint(2, 5))
        cuts = [*sorted(rng.sample(range(1, total), versions - 1)), total]
        return sentences, cuts

    def _session_count(self, rng: random.Random) -> int:
        mean = self.scale.sessions_per_document
        return max(1, round(rng.triangular(1, 2 * mean - 1, mean)))

    def _comments(self, rng: random.Random, status: str) -> list[Comment]:
        if status not in ("submitted", "returned", "graded") or rng.random() > (0.3 if status == "submitted" else 0.6):
            return []
        resolvable = status != "submitted"
        return [
            Comment(rng.randrange(len(vocab.COMMENTS)), rng.random() < 0.4, resolvable and rng.random() < 0.5)
            for _ in range(rng.randint(1, 3))
        ]

    # -- what the loader and the caller see -----------------------------------------------------
    def sample_accounts(self) -> list[SampleAccount]:
        inst = self.institutions[0]
        by_email = {p.email: p for p in self.people if p.institution is inst}
        accounts = []
        for local, role in SAMPLE_LOCALS:
            person = by_email[f"{local}@{inst.domain}"]
            accounts.append(SampleAccount(role, person.email, DEMO_PASSWORD, person.name, inst.name))
        return accounts

    def writing_end(self, plan: Submission) -> dt.datetime:
        """When the writing of a submission stopped: at submission, else now (or a day in, at least)."""
        return plan.submitted_at or min(self.anchor - HOUR, max(plan.assignment.due_at, plan.started_at + DAY))

    def earliest_session(self) -> dt.datetime:
        return min((s.started_at for s in self.submissions if s.sessions), default=self.anchor)

    def tables(self, password_hash: str) -> list[Table]:
        """Every table in dependency order. password_hash: one bcrypt hash shared by every demo user."""
        from api.demo import rows

        return rows.tables(self, password_hash)
