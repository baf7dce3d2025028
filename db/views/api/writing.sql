-- The writing platform's resources as the HTTP API shows them. Every view runs with the caller's
-- rights (security_invoker), so the row-level security of the app tables decides which rows each
-- role sees; the views choose the public columns. Writes that are plain edits (a course, a
-- template, an assignment, a personal document) go through the views; workflow steps (enrol,
-- start, save, submit, return, grade, comment) are functions: /rpc/<name> (db/functions/api/writing_*.sql).
-- requires: writing

create or replace view api.courses with (security_invoker = on) as
  select c.id, c.institution_id, c.instructor_id, c.title, c.description, c.subject, c.is_public, c.max_students,
         c.enrolled_count, c.starts_on, c.ends_on, c.status, c.is_active, c.tags, c.created_at, c.updated_at,
         app.course_settings(c.id) as settings,
         app.course_enrollment_code(c.id) as enrollment_code
    from app.courses c;
comment on view api.courses is
  'Courses: public ones (for everybody, anonymous visitors included), those you are enrolled in or teach, and (admins) '
  'your institution''s. Educators create (POST) and edit (PATCH) their own.';
comment on column api.courses.instructor_id is 'The educator who owns the course (set from your token when you create one).';
comment on column api.courses.enrolled_count is 'Active enrolments (maintained by the database; never above max_students).';
comment on column api.courses.status is 'planning, active, completed or archived.';
comment on column api.courses.is_active is 'Whether the course accepts enrolments and work.';
comment on column api.courses.settings is 'Course settings (JSON object); null for anonymous visitors. Read-only here.';
comment on column api.courses.enrollment_code is
  'The code students enrol with (POST /rpc/enroll_with_code) — shown to the course''s educator and admins only, null to others.';

create or replace view api.course_enrollments with (security_invoker = on) as
  select e.id, e.institution_id, e.course_id, e.student_id, e.status, e.enrolled_at, e.created_at, e.updated_at
    from app.course_enrollments e;
comment on view api.course_enrollments is
  'Who is in which course: students see their own enrolments, educators those of their courses, admins their institution''s. '
  'Students join with POST /rpc/enroll_with_code and leave with PATCH status=dropped.';
comment on column api.course_enrollments.status is 'active (takes a place), dropped or completed.';

create or replace view api.assignment_templates with (security_invoker = on) as
  select t.id, t.institution_id, t.instructor_id, t.title, t.description, t.instructions, t.requirements,
         t.writing_stages, t.learning_objectives, t.ai_settings, t.grading_criteria, t.is_public, t.usage_count, t.tags,
         t.search, t.created_at, t.updated_at
    from app.assignment_templates t;
comment on view api.assignment_templates is
  'Reusable assignment designs: public ones for everybody, and your institution''s for educators and admins. '
  'Ranked search with snippets: /rpc/search_templates.';
comment on column api.assignment_templates.requirements is '{minWords, maxWords, citationStyle, requiredSections[]}.';
comment on column api.assignment_templates.writing_stages is
  '[{name, order, description, requiredDuration, aiAssistance {allowedActions[], maxInteractions}, reflectionRequired}].';
comment on column api.assignment_templates.learning_objectives is '[{description, bloomsLevel 1-6, category, weight}], weights summing to 100.';
comment on column api.assignment_templates.grading_criteria is '[{name, description, maxPoints, weight}].';
comment on column api.assignment_templates.usage_count is 'How many assignments were created from it.';
comment on column api.assignment_templates.search is
  'Full-text vector (title, tags, description; English): filter with ?search=wfts.<words>; leave it out of select=.';

create or replace view api.assignments with (security_invoker = on) as
  select a.id, a.institution_id, a.course_id, a.instructor_id, a.template_id, a.title, a.description, a.instructions,
         a.requirements, a.writing_stages, a.learning_objectives, a.ai_settings, a.grading_criteria, a.due_at,
         a.stage_due_dates, a.allow_late_submissions, a.status, a.type, a.collaboration_settings,
         a.version_control_settings, a.published_at, a.created_at, a.updated_at
    from app.assignments a;
comment on view api.assignments is
  'Assignments: students see the published ones of their courses, educators everything in the courses they teach. '
  'Create from a template with /rpc/create_assignment_from_template, publish with /rpc/publish_assignment.';
comment on column api.assignments.status is 'draft (invisible to students), published, in_progress, completed or archived.';
comment on column api.assignments.stage_due_dates is 'Due date per writing stage: {"<stage name>": "<timestamp>"}.';
comment on column api.assignments.allow_late_submissions is 'Whether work may still be submitted after due_at.';

create or replace view api.submissions with (security_invoker = on) as
  select s.id, s.institution_id, s.assignment_id, s.author_id, s.title, s.content, s.word_count, s.status,
         s.submitted_at, s.returned_at, s.graded_at, s.graded_by, s.grade, s.feedback, s.rubric_scores,
         s.collaboration_settings, s.milestones, s.analytics, s.ai_interactions, s.created_at, s.updated_at
    from app.assignment_submissions s;
comment on view api.submissions is
  'Students'' work on assignments: your own (and work shared with you); educators see the work in their courses. '
  'Changed through /rpc/start_submission, save_draft, submit_submission, return_submission, grade_submission.';
comment on column api.submissions.status is 'not_started, in_progress, submitted, returned (for revision) or graded.';
comment on column api.submissions.grade is 'Out of 100, set by the course''s educator (/rpc/grade_submission).';
comment on column api.submissions.rubric_scores is 'Per grading criterion: [{criterion, points, maxPoints, comment}].';

create or replace view api.documents with (security_invoker = on) as
  select d.id, d.institution_id, d.author_id, d.course_id, d.assignment_id, d.submission_id, d.title, d.content,
         d.word_count, d.current_version, d.type, d.status, d.settings, d.metadata, d.created_at, d.updated_at
    from app.documents d;
comment on view api.documents is
  'Pieces of writing: yours, those shared with you, and (educators) those in your courses. Every change of title or '
  'content writes the next version (api.document_versions).';
comment on column api.documents.current_version is 'Number of the latest version.';
comment on column api.documents.submission_id is 'The submission this document is the working copy of, if any.';
comment on column api.documents.type is 'draft, outline, notes, reflection, final or other.';

create or replace view api.document_versions with (security_invoker = on) as
  select v.id, v.institution_id, v.document_id, v.version_number, v.title, v.content, v.author_id, v.word_count,
         v.words_added, v.words_removed, v.change_summary, v.changes, v.metadata, v.diff, v.created_at
    from app.document_versions v;
comment on view api.document_versions is 'The history of the documents you can see, one row per saved change (read-only).';
comment on column api.document_versions.author_id is 'Who made the change.';
comment on column api.document_versions.change_summary is 'E.g. "+12 / -3 words; title changed".';

create or replace view api.writing_sessions with (security_invoker = on) as
  select w.id, w.institution_id, w.document_id, w.user_id, w.started_at, w.ended_at, w.duration_seconds,
         w.words_added, w.words_removed, w.activity, w.snapshots, w.productivity, w.created_at, w.updated_at
    from app.writing_sessions w;
comment on view api.writing_sessions is
  'Time spent writing: your own sessions, and (educators) those on the documents of your courses. Record one with '
  'POST (document_id, started_at, ended_at, …) or with /rpc/save_draft (session_started_at).';
comment on column api.writing_sessions.duration_seconds is 'ended_at - started_at in seconds; null while open.';

create or replace view api.submission_comments with (security_invoker = on) as
  select c.id, c.institution_id, c.submission_id, c.author_id, c.parent_id, c.type, c.content, c.highlighted_text,
         c."position", c.is_resolved, c.resolved_at, c.resolved_by, c.created_at, c.updated_at
    from app.submission_comments c;
comment on view api.submission_comments is
  'Feedback threads on the submissions you can see. Write with /rpc/add_comment, reply_to_comment, resolve_comment; '
  'authors may PATCH their text or DELETE.';
comment on column api.submission_comments.parent_id is 'The comment this one replies to (same submission).';
comment on column api.submission_comments."position" is 'Where an inline comment anchors: {start, end} character offsets.';

create or replace view api.notifications with (security_invoker = on) as
  select n.id, n.institution_id, n.recipient_id, n.sender_id, n.type, n.category, n.priority, n.title, n.message,
         n.context, n.intervention, n.related_metrics, n.status, n.action_required, n.expires_at, n.read_at,
         n.created_at, n.updated_at
    from app.notifications n
   where n.expires_at is null or n.expires_at > now();
comment on view api.notifications is
  'Your notifications (unexpired), newest first with ?order=created_at.desc. Mark read with /rpc/mark_notifications_read '
  'or PATCH status.';
comment on column api.notifications.type is 'e.g. assignment_published, submission_submitted, submission_returned, submission_graded, comment_added.';
comment on column api.notifications.context is 'Ids the notification is about: {courseId, assignmentId, submissionId, commentId}.';
comment on column api.notifications.status is 'unread, read or archived.';
