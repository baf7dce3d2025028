"""Table rows from a planned `Dataset`, in COPY column order, one generator per table.

The columns the writing triggers would fill are filled here with the same values (courses.enrolled_count,
assignment_templates.usage_count, documents.current_version and their document_versions rows, submission
and comment timestamps, notifications.read_at), because the large tables are loaded with those triggers off
(see load.py). Generated columns (word_count, duration_seconds, search) are left to PostgreSQL.
Per-row randomness of the streamed tables comes from `Draws(plan.seed)`, so every pass over a plan sees
the same values without storing them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from api.demo import vocabulary as vocab
from api.demo.generator import (
    COMMENT,
    DAY,
    DOCUMENT,
    HOUR,
    MASK64,
    NOTIFICATION,
    SESSION,
    VERSION,
    Row,
    Table,
    _iso,
    _js,
    _mix,
)
from api.demo.model import Submission

if TYPE_CHECKING:
    from api.demo.generator import Dataset

MINUTE = dt.timedelta(minutes=1)


class Draws:
    """Cheap deterministic draws from a seed (a counter through splitmix64), ~10x cheaper than random.Random."""

    __slots__ = ("n", "seed")

    def __init__(self, seed: int) -> None:
        self.seed, self.n = seed, 0

    def random(self) -> float:
        self.n += 1
        return _mix((self.seed + self.n * 0x9E3779B97F4A7C15) & MASK64) / 2**64

    def below(self, bound: int) -> int:
        return int(self.random() * bound)

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        return start if end <= start else start + (end - start) * self.random()


def _text(data: Dataset, plan: Submission, sentences: int) -> tuple[str, int]:
    """The first `sentences` sentences of the plan's text, four to a paragraph, and its word count."""
    pool = data.sentences
    picked = [pool[i] for i in plan.sentences[:sentences]]
    paragraphs = [" ".join(t for t, _ in picked[at : at + 4]) for at in range(0, len(picked), 4)]
    return "\n\n".join(paragraphs), sum(n for _, n in picked)


def tables(data: Dataset, password_hash: str) -> list[Table]:
    plans = data.submissions
    documents = [p for p in plans if p.has_document]
    collaborators = [p for p in plans if p.collaborator is not None]
    specs = [
        ("app.institutions", INSTITUTIONS, len(data.institutions), lambda: _institutions(data), True),
        ("auth.users", USERS, len(data.people), lambda: _users(data, password_hash), True),
        ("app.profiles", PROFILES, len(data.people), lambda: _profiles(data), True),
        ("app.assignment_templates", TEMPLATES, len(data.templates), lambda: _templates(data), True),
        ("app.courses", COURSES, len(data.courses), lambda: _courses(data), True),
        ("app.course_enrollments", ENROLMENTS, sum(len(c.enrolments) for c in data.courses),
         lambda: _enrolments(data), False),
        ("app.assignments", ASSIGNMENTS, len(data.assignments), lambda: _assignments(data), False),
        ("app.assignment_submissions", SUBMISSIONS, len(plans), lambda: _submissions(data), False),
        ("app.submission_collaborators", SUBMISSION_COLLABORATORS, len(collaborators),
         lambda: _submission_collaborators(collaborators), False),
        ("app.documents", DOCUMENTS, len(documents), lambda: _documents(data, documents), False),
        ("app.document_collaborators", DOCUMENT_COLLABORATORS, sum(p.has_document for p in collaborators),
         lambda: _document_collaborators(data, collaborators), False),
        ("app.document_versions", VERSIONS, sum(len(p.cuts) for p in documents),
         lambda: _versions(data, documents), False),
        ("app.writing_sessions", SESSIONS, sum(p.sessions for p in documents), lambda: _sessions(data, documents),
         False),
        ("app.submission_comments", COMMENTS, sum(len(p.comments) + sum(c.reply for c in p.comments) for p in plans),
         lambda: _comments(data, plans), False),
        ("app.notifications", NOTIFICATIONS, sum(_notification_count(p) for p in plans),
         lambda: _notifications(data, plans), False),
    ]  # fmt: skip
    return [Table(name, columns, count, rows, triggers) for name, columns, count, rows, triggers in specs]


def document_id(data: Dataset, plan: Submission) -> str:
    return data.ids.make(DOCUMENT, plan.index)


# -- identity ---------------------------------------------------------------------------------
INSTITUTIONS = ("id", "slug", "name", "email_domains", "self_signup", "created_at", "updated_at")
USERS = ("id", "email", "encrypted_password", "email_confirmed_at", "app_metadata", "user_metadata",
         "created_at", "updated_at")  # fmt: skip
PROFILES = ("user_id", "institution_id", "role", "first_name", "last_name", "bio", "verified", "created_at",
            "updated_at")  # fmt: skip


def _institutions(data: Dataset) -> Iterator[Row]:
    for i in data.institutions:
        yield i.id, i.slug, i.name, [i.domain], i.self_signup, i.created_at, i.created_at


def _users(data: Dataset, password_hash: str) -> Iterator[Row]:
    for p in data.people:
        metadata = _js({"first_name": p.first_name, "last_name": p.last_name})
        yield p.id, p.email, password_hash, p.created_at, "{}", metadata, p.created_at, p.created_at


def _profiles(data: Dataset) -> Iterator[Row]:
    for p in data.people:
        bio = f"{p.role.capitalize()} at {p.institution.name}."
        yield p.id, p.institution.id, p.role, p.first_name, p.last_name, bio, True, p.created_at, p.created_at


# -- courses, templates, assignments ----------------------------------------------------------
COURSES = ("id", "institution_id", "instructor_id", "title", "description", "subject", "is_public", "max_students",
           "enrolled_count", "starts_on", "ends_on", "settings", "status", "is_active", "enrollment_code", "tags",
           "created_at", "updated_at")  # fmt: skip
ENROLMENTS = ("id", "institution_id", "course_id", "student_id", "status", "enrolled_at", "created_at", "updated_at")
TEMPLATES = ("id", "institution_id", "instructor_id", "title", "description", "instructions", "requirements",
             "writing_stages", "learning_objectives", "ai_settings", "grading_criteria", "is_public", "usage_count",
             "tags", "created_at", "updated_at")  # fmt: skip
ASSIGNMENTS = ("id", "institution_id", "course_id", "instructor_id", "template_id", "title", "description",
               "instructions", "requirements", "writing_stages", "learning_objectives", "ai_settings",
               "grading_criteria", "due_at", "stage_due_dates", "allow_late_submissions", "status", "type",
               "collaboration_settings", "version_control_settings", "published_at", "created_at",
               "updated_at")  # fmt: skip


def _courses(data: Dataset) -> Iterator[Row]:
    for c in data.courses:
        description = f"{c.title}: a {c.subject.lower()} course taught by {c.instructor.name}."
        settings = _js({"allowLateSubmissions": True, "aiAssistance": True, "peerReview": c.max_students >= 35})
        tags = [c.subject.lower().replace(" ", "-"), "writing"]
        yield (c.id, c.institution.id, c.instructor.id, c.title, description, c.subject, c.is_public, c.max_students,
               c.enrolled_count, c.starts_on, c.ends_on, settings, c.status, c.status in ("planning", "active"),
               c.code, tags, c.created_at, c.created_at)  # fmt: skip


def _enrolments(data: Dataset) -> Iterator[Row]:
    for c in data.courses:
        for e in c.enrolments:
            yield e.id, c.institution.id, c.id, e.student.id, e.status, e.enrolled_at, e.enrolled_at, e.enrolled_at


def _templates(data: Dataset) -> Iterator[Row]:
    for t in data.templates:
        d = t.design
        yield (t.id, t.institution.id, t.instructor.id if t.instructor else None, t.title, t.description,
               t.instructions, _js(d.requirements), _js(d.writing_stages), _js(d.learning_objectives),
               _js(d.ai_settings), _js(d.grading_criteria), t.is_public, t.usage_count, t.tags, t.created_at,
               t.created_at)  # fmt: skip


def _assignments(data: Dataset) -> Iterator[Row]:
    for a in data.assignments:
        d, stages = a.design, a.design.writing_stages
        stage_due = {s["name"]: _iso(a.due_at - (len(stages) - s["order"]) * 3 * DAY) for s in stages}
        collaboration = {"maxCollaborators": 3, "peerReview": True} if a.type == "collaborative" else {}
        template = a.template.id if a.template else None
        yield (a.id, a.course.institution.id, a.course.id, a.course.instructor.id, template, a.title, a.description,
               a.instructions, _js(d.requirements), _js(stages), _js(d.learning_objectives),
               _js(d.ai_settings), _js(d.grading_criteria), a.due_at, _js(stage_due), a.allow_late, a.status, a.type,
               _js(collaboration), '{"autoSaveSeconds":30,"keepVersions":50}', a.published_at, a.created_at,
               a.published_at or a.created_at)  # fmt: skip


# -- submissions and documents ----------------------------------------------------------------
SUBMISSIONS = ("id", "institution_id", "assignment_id", "author_id", "title", "content", "status", "submitted_at",
               "returned_at", "graded_at", "graded_by", "grade", "feedback", "rubric_scores",
               "collaboration_settings", "milestones", "analytics", "ai_interactions", "created_at",
               "updated_at")  # fmt: skip
SUBMISSION_COLLABORATORS = ("submission_id", "user_id", "institution_id", "permission", "created_at", "updated_at")
DOCUMENTS = ("id", "institution_id", "author_id", "course_id", "assignment_id", "submission_id", "title", "content",
             "current_version", "type", "status", "settings", "metadata", "created_at", "updated_at")  # fmt: skip
DOCUMENT_COLLABORATORS = ("document_id", "user_id", "institution_id", "permission", "created_at", "updated_at")
VERSIONS = ("id", "institution_id", "document_id", "version_number", "title", "content", "author_id", "words_added",
            "words_removed", "change_summary", "changes", "metadata", "created_at", "updated_at")  # fmt: skip


def _last_change(plan: Submission) -> dt.datetime:
    return max(t for t in (plan.started_at, plan.submitted_at, plan.returned_at, plan.graded_at) if t is not None)


def _submissions(data: Dataset) -> Iterator[Row]:
    for p in data.submissions:
        a = p.assignment
        draws = Draws(p.seed)
        content, words = _text(data, p, len(p.sentences))
        criteria = a.design.grading_criteria
        rubric = [{"criterion": c["name"], "points": pts, "maxPoints": c["maxPoints"]}
                  for c, pts in zip(criteria, p.rubric, strict=False)]  # fmt: skip
        feedback = vocab.FEEDBACK[p.index % len(vocab.FEEDBACK)] if p.status in ("returned", "graded") else None
        done = {"not_started": 0, "in_progress": 1}.get(p.status, len(a.design.writing_stages))
        milestones = [{"stage": s["name"], "completedAt": _iso(p.version_times[-1])}
                      for s in a.design.writing_stages[:done]]  # fmt: skip
        end = data.writing_end(p)
        ai = [{"action": vocab.AI_ACTIONS[draws.below(len(vocab.AI_ACTIONS))],
               "at": _iso(draws.between(p.started_at, end))} for _ in range(draws.below(4))]  # fmt: skip
        analytics = {"wordCount": words, "versions": len(p.cuts), "sessions": p.sessions}
        collaboration = {"collaborators": 1} if p.collaborator else {}
        yield (p.id, a.course.institution.id, a.id, p.student.id, a.title, content, p.status, p.submitted_at,
               p.returned_at, p.graded_at, a.course.instructor.id if p.graded_at else None, p.grade, feedback,
               _js(rubric), _js(collaboration), _js(milestones), _js(analytics), _js(ai), p.started_at,
               _last_change(p))  # fmt: skip


def _submission_collaborators(plans: list[Submission]) -> Iterator[Row]:
    for p in plans:
        assert p.collaborator is not None
        yield p.id, p.collaborator.id, p.student.institution.id, "edit", p.started_at, p.started_at


def _documents(data: Dataset, plans: list[Submission]) -> Iterator[Row]:
    for p in plans:
        a = p.assignment
        content, _ = _text(data, p, len(p.sentences))
        status = "submitted" if p.status in ("submitted", "graded") else "active"
        metadata = _js({"genre": a.title.split(":")[0], "stageCount": len(a.design.writing_stages)})
        yield (document_id(data, p), a.course.institution.id, p.student.id, a.course.id, a.id, p.id, a.title,
               content, len(p.cuts), "draft", status, '{"autosave":true}', metadata, p.started_at,
               p.version_times[-1])  # fmt: skip


def _document_collaborators(data: Dataset, plans: list[Submission]) -> Iterator[Row]:
    for p in plans:
        if p.has_document:
            assert p.collaborator is not None
            yield document_id(data, p), p.collaborator.id, p.student.institution.id, "edit", p.started_at, p.started_at


def _versions(data: Dataset, plans: list[Submission]) -> Iterator[Row]:
    """Versions 1..n, each a longer prefix of the final text (what the documents trigger would have written)."""
    number = 0
    for p in plans:
        doc, title, inst = document_id(data, p), p.assignment.title, p.student.institution.id
        previous = 0
        for version, (cut, at) in enumerate(zip(p.cuts, p.version_times, strict=True), start=1):
            content, words = _text(data, p, cut)
            added = words - previous
            summary = f"Created with {words} words" if version == 1 else f"+{added} / -0 words"
            changes = _js({"wordsAdded": added, "wordsRemoved": 0, "wordCount": words, "previousWordCount": previous,
                           "titleChanged": False})  # fmt: skip
            number += 1
            yield (data.ids.make(VERSION, number), inst, doc, version, title, content, p.student.id, added, 0, summary,
                   changes, "{}", at, at)  # fmt: skip
            previous = words


# -- writing sessions, comments, notifications ------------------------------------------------
SESSIONS = ("id", "started_at", "institution_id", "document_id", "user_id", "ended_at", "words_added",
            "words_removed", "activity", "snapshots", "productivity", "created_at", "updated_at")  # fmt: skip
COMMENTS = ("id", "institution_id", "submission_id", "author_id", "parent_id", "type", "content", "highlighted_text",
            "position", "is_resolved", "resolved_at", "resolved_by", "created_at", "updated_at")  # fmt: skip
NOTIFICATIONS = ("id", "institution_id", "recipient_id", "sender_id", "type", "category", "priority", "title",
                 "message", "context", "intervention", "related_metrics", "status", "action_required", "expires_at",
                 "read_at", "created_at", "updated_at")  # fmt: skip


def _sessions(data: Dataset, plans: list[Submission]) -> Iterator[Row]:
    number = 0
    for p in plans:
        draws = Draws(p.seed ^ 0x5E55)
        doc, inst, user = document_id(data, p), p.student.institution.id, p.student.id
        end = data.writing_end(p)
        starts = sorted(draws.between(p.started_at, end - 10 * MINUTE) for _ in range(p.sessions))
        _, total = _text(data, p, len(p.sentences))
        written = 0
        for k, started in enumerate(starts):
            limit = starts[k + 1] if k + 1 < len(starts) else min(end, data.anchor)
            ended = min(started + (10 + 80 * draws.random()) * MINUTE, max(limit, started))
            added = total - written if k + 1 == len(starts) else int((total - written) * draws.random() * 0.6)
            removed = draws.below(added // 5 + 1)
            written += added
            minutes = max((ended - started).total_seconds() / 60, 1)
            activity = _js({"keystrokes": added * 6 + removed * 3, "pastes": draws.below(3),
                            "aiRequests": draws.below(4)})  # fmt: skip
            snapshots = _js([{"at": _iso(ended), "wordCount": written}])
            productivity = _js({"wordsPerMinute": round(added / minutes, 1),
                                "focusRatio": round(0.5 + 0.48 * draws.random(), 2)})  # fmt: skip
            number += 1
            yield (data.ids.make(SESSION, number), started, inst, doc, user, ended, added, removed, activity,
                   snapshots, productivity, started, ended)  # fmt: skip


def _comments(data: Dataset, plans: list[Submission]) -> Iterator[Row]:
    number = 0
    for p in plans:
        if not p.comments:
            continue
        draws = Draws(p.seed ^ 0xC0)
        assert p.submitted_at is not None
        educator, student, inst = p.assignment.course.instructor.id, p.student.id, p.student.institution.id
        content, _ = _text(data, p, len(p.sentences))
        until = min(p.returned_at or p.graded_at or data.anchor, data.anchor)
        for comment in p.comments:
            kind, text = vocab.COMMENTS[comment.index]
            created = draws.between(p.submitted_at, until)
            highlighted = position = None
            if kind == "inline":
                sentence = data.sentences[p.sentences[draws.below(len(p.sentences))]][0]
                start = content.find(sentence)
                highlighted, position = sentence, _js({"start": start, "end": start + len(sentence)})
            resolved_at = min(created + DAY, data.anchor) if comment.resolved else None
            number += 1
            top = data.ids.make(COMMENT, number)
            yield (top, inst, p.id, educator, None, kind, text, highlighted, position, comment.resolved, resolved_at,
                   student if comment.resolved else None, created, resolved_at or created)  # fmt: skip
            if comment.reply:
                replied = draws.between(created, min(created + 2 * DAY, data.anchor))
                reply = vocab.REPLIES[draws.below(len(vocab.REPLIES))]
                number += 1
                yield (data.ids.make(COMMENT, number), inst, p.id, student, top, "general", reply, None, None, False,
                       None, None, replied, replied)  # fmt: skip


def _notification_count(plan: Submission) -> int:
    return (
        (plan.submitted_at is not None)
        + (plan.graded_at is not None)
        + (plan.returned_at is not None)
        + (plan.intervention)
    )


def _notifications(data: Dataset, plans: list[Submission]) -> Iterator[Row]:
    number = 0
    for p in plans:
        if not _notification_count(p):
            continue
        draws = Draws(p.seed ^ 0x707)
        for values in _notes_of(data, p):
            recipient, sender, kind, category, priority, title, message, created, extra = values
            status = "unread"
            if created < data.anchor - 3 * DAY and draws.random() < 0.8:
                status = "archived" if draws.random() < 0.1 else "read"
            read_at = None if status == "unread" else min(created + (1 + 70 * draws.random()) * HOUR, data.anchor)
            number += 1
            yield (data.ids.make(NOTIFICATION, number), p.student.institution.id, recipient, sender, kind, category,
                   priority, title[:200], message, extra["context"], extra.get("intervention"),
                   extra.get("metrics", "{}"), status, extra.get("action", False), extra.get("expires"), read_at,
                   created, read_at or created)  # fmt: skip


def _notes_of(data: Dataset, p: Submission) -> Iterator[tuple]:
    """(recipient, sender, type, category, priority, title, message, created_at, extra) per event of a plan."""
    a, educator, student = p.assignment, p.assignment.course.instructor, p.student
    context = {"context": _js({"courseId": a.course.id, "assignmentId": a.id, "submissionId": p.id})}
    if p.submitted_at is not None:
        yield (educator.id, student.id, "submission_submitted", "submission", "normal",
               f"{student.name} submitted {a.title}", f"Submitted for {a.course.title}.", p.submitted_at,
               context)  # fmt: skip
    if p.graded_at is not None:
        yield (student.id, educator.id, "submission_graded", "feedback", "normal", f"Your work on {a.title} was graded",
               f"Grade: {p.grade}/100.", p.graded_at, context)  # fmt: skip
    if p.returned_at is not None:
        yield (student.id, educator.id, "submission_returned", "feedback", "high",
               f"{a.title} was returned for revision", "Your educator returned your work with comments.",
               p.returned_at, {**context, "action": True})  # fmt: skip
    if p.intervention:
        kind, suggestion = vocab.INTERVENTIONS[p.index % len(vocab.INTERVENTIONS)]
        extra = {**context, "intervention": _js({"kind": kind, "suggestion": suggestion}),
                 "metrics": _js({"wordCount": sum(data.sentences[i][1] for i in p.sentences),
                                 "daysPastDue": max(0, (data.anchor - a.due_at).days)}),
                 "action": True, "expires": data.anchor + 14 * DAY}  # fmt: skip
        created = min(a.due_at + DAY, data.anchor - HOUR)
        yield (student.id, None, "writing_intervention", "writing", "high", f"{a.title} is past due",
               suggestion, created, extra)  # fmt: skip
