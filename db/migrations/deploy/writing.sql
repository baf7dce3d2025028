-- Deploy campus:writing
-- The writing-education platform: courses and enrolments, assignment templates and assignments,
-- submissions and their collaborators, documents with collaborators and versions, writing sessions
-- (partitioned by month), submission comments, notifications, and the audit.changes log.
-- Functions, triggers, policies and grants live in db/functions and db/policies.

BEGIN;

-- Tenancy is enforced by the keys themselves: every child row references its parent by
-- (id, institution_id), so a row can never point into another institution.
alter table app.profiles add constraint profiles_user_id_institution_id_key unique (user_id, institution_id);

-- Used by the generated search vector of assignment_templates: array_to_string is only STABLE
-- (element output functions may read settings), text[] output is not, so a generated column needs this.
create function app.tags_search_text(tags text[]) returns text
language sql immutable parallel safe strict
set search_path = ''
as $$ select pg_catalog.array_to_string(tags, ' ') $$;
comment on function app.tags_search_text(text[]) is
  'Tags joined by spaces, declared immutable for the generated search vector of assignment_templates.';

-- Courses ------------------------------------------------------------------------------------
create table app.courses (
  id              uuid primary key default gen_random_uuid(),
  institution_id  uuid not null references app.institutions (id) on delete restrict,
  instructor_id   uuid not null,
  title           text not null check (length(btrim(title)) between 1 and 200),
  description     text not null default '' check (length(description) <= 10000),
  subject         text check (length(subject) <= 100),
  is_public       boolean not null default false,
  max_students    integer not null default 30 check (max_students between 1 and 10000),
  enrolled_count  integer not null default 0 check (enrolled_count >= 0),
  starts_on       date,
  ends_on         date,
  settings        jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
  status          text not null default 'planning'
                  check (status in ('planning', 'active', 'completed', 'archived')),
  is_active       boolean not null default true,
  enrollment_code text not null default upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 8))
                  check (enrollment_code ~ '^[A-Z0-9]{6,16}$'),
  tags            text[] not null default '{}' check (array_position(tags, null) is null),
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  unique (id, institution_id),
  unique (institution_id, enrollment_code),
  foreign key (instructor_id, institution_id) references app.profiles (user_id, institution_id) on delete restrict,
  check (ends_on >= starts_on)
);
comment on table app.courses is
  'Courses of an institution, taught by one educator. Students join through course_enrollments.';
comment on column app.courses.instructor_id is 'The educator who owns the course and everything under it.';
comment on column app.courses.is_public is 'Listed to everybody (anonymous visitors included), and open to self-enrolment.';
comment on column app.courses.max_students is 'Capacity: active enrolments never exceed it, even under concurrent enrolment.';
comment on column app.courses.enrolled_count is
  'Active enrolments, maintained by the course_enrollments triggers; the row update serialises concurrent enrolments.';
comment on column app.courses.enrollment_code is 'Code students enrol with; unique within the institution.';
comment on column app.courses.is_active is 'Whether the course accepts enrolments and work (a switch beside the status).';
create index courses_instructor_id_idx on app.courses (instructor_id);
create index courses_institution_id_status_idx on app.courses (institution_id, status);
create index courses_public_idx on app.courses (created_at) where is_public;
create index courses_tags_idx on app.courses using gin (tags);

create table app.course_enrollments (
  id             uuid primary key default gen_random_uuid(),
  institution_id uuid not null references app.institutions (id) on delete restrict,
  course_id      uuid not null,
  student_id     uuid not null,
  status         text not null default 'active' check (status in ('active', 'dropped', 'completed')),
  enrolled_at    timestamptz not null default now(),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  unique (course_id, student_id),
  foreign key (course_id, institution_id) references app.courses (id, institution_id) on delete cascade,
  foreign key (student_id, institution_id) references app.profiles (user_id, institution_id) on delete cascade
);
comment on table app.course_enrollments is 'Students in courses: one row per course and student.';
comment on column app.course_enrollments.status is 'active counts against the course capacity; dropped and completed do not.';
create index course_enrollments_student_id_status_idx on app.course_enrollments (student_id, status);
create index course_enrollments_institution_id_idx on app.course_enrollments (institution_id);

-- Templates and assignments ------------------------------------------------------------------
create table app.assignment_templates (
  id                  uuid primary key default gen_random_uuid(),
  institution_id      uuid not null references app.institutions (id) on delete restrict,
  instructor_id       uuid,
  title               text not null check (length(btrim(title)) between 1 and 200),
  description         text not null default '' check (length(description) <= 10000),
  instructions        text not null default '' check (length(instructions) <= 100000),
  requirements        jsonb not null default '{}' check (jsonb_typeof(requirements) = 'object'),
  writing_stages      jsonb not null default '[]' check (jsonb_typeof(writing_stages) = 'array'),
  learning_objectives jsonb not null default '[]' check (jsonb_typeof(learning_objectives) = 'array'),
  ai_settings         jsonb not null default '{}' check (jsonb_typeof(ai_settings) = 'object'),
  grading_criteria    jsonb not null default '[]' check (jsonb_typeof(grading_criteria) = 'array'),
  is_public           boolean not null default false,
  usage_count         integer not null default 0 check (usage_count >= 0),
  tags                text[] not null default '{}' check (array_position(tags, null) is null),
  search              tsvector generated always as (
                        setweight(to_tsvector('english'::regconfig, title), 'A')
                        || setweight(to_tsvector('english'::regconfig, app.tags_search_text(tags)), 'B')
                        || setweight(to_tsvector('english'::regconfig, description), 'C')) stored,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  foreign key (instructor_id, institution_id) references app.profiles (user_id, institution_id)
    on delete set null (instructor_id)
);
comment on table app.assignment_templates is
  'Reusable assignment designs. Public ones are visible to everybody and may be used by any institution.';
comment on column app.assignment_templates.instructor_id is 'The author; null once the author''s account is gone.';
comment on column app.assignment_templates.requirements is
  '{minWords, maxWords, citationStyle, requiredSections[]}; validated by app.requirements_problems().';
comment on column app.assignment_templates.writing_stages is
  '[{name, order, description, requiredDuration, aiAssistance {allowedActions[], maxInteractions}, reflectionRequired}]; validated by app.writing_stages_problems().';
comment on column app.assignment_templates.learning_objectives is
  '[{description, bloomsLevel 1-6, category, weight}] with weights summing to 100; validated by app.learning_objectives_problems().';
comment on column app.assignment_templates.grading_criteria is
  '[{name, description, maxPoints, weight}]; validated by app.grading_criteria_problems().';
comment on column app.assignment_templates.usage_count is 'Assignments created from this template (maintained by a trigger).';
comment on column app.assignment_templates.search is 'Full-text vector: title (A), tags (B), description (C), English stemming.';
create index assignment_templates_instructor_id_idx on app.assignment_templates (instructor_id);
create index assignment_templates_institution_id_idx on app.assignment_templates (institution_id);
create index assignment_templates_public_idx on app.assignment_templates (usage_count desc) where is_public;
create index assignment_templates_tags_idx on app.assignment_templates using gin (tags);
create index assignment_templates_search_idx on app.assignment_templates using gin (search);

create table app.assignments (
  id                       uuid primary key default gen_random_uuid(),
  institution_id           uuid not null references app.institutions (id) on delete restrict,
  course_id                uuid not null,
  instructor_id            uuid not null,
  template_id              uuid references app.assignment_templates (id) on delete set null,
  title                    text not null check (length(btrim(title)) between 1 and 200),
  description              text not null default '' check (length(description) <= 10000),
  instructions             text not null default '' check (length(instructions) <= 100000),
  requirements             jsonb not null default '{}' check (jsonb_typeof(requirements) = 'object'),
  writing_stages           jsonb not null default '[]' check (jsonb_typeof(writing_stages) = 'array'),
  learning_objectives      jsonb not null default '[]' check (jsonb_typeof(learning_objectives) = 'array'),
  ai_settings              jsonb not null default '{}' check (jsonb_typeof(ai_settings) = 'object'),
  grading_criteria         jsonb not null default '[]' check (jsonb_typeof(grading_criteria) = 'array'),
  due_at                   timestamptz,
  stage_due_dates          jsonb not null default '{}' check (jsonb_typeof(stage_due_dates) = 'object'),
  allow_late_submissions   boolean not null default false,
  status                   text not null default 'draft'
                           check (status in ('draft', 'published', 'in_progress', 'completed', 'archived')),
  type                     text not null default 'individual' check (type in ('individual', 'collaborative')),
  collaboration_settings   jsonb not null default '{}' check (jsonb_typeof(collaboration_settings) = 'object'),
  version_control_settings jsonb not null default '{}' check (jsonb_typeof(version_control_settings) = 'object'),
  published_at             timestamptz,
  created_at               timestamptz not null default now(),
  updated_at               timestamptz not null default now(),
  unique (id, institution_id),
  unique (course_id, template_id),
  foreign key (course_id, institution_id) references app.courses (id, institution_id) on delete cascade,
  foreign key (instructor_id, institution_id) references app.profiles (user_id, institution_id) on delete restrict
);
comment on table app.assignments is
  'Work set in a course, from a template (at most one assignment per template and course) or from scratch.';
comment on column app.assignments.template_id is 'The template it was created from; creating one increments the template''s usage_count.';
comment on column app.assignments.stage_due_dates is 'Due date per writing stage: {"<stage name>": "<timestamp>"}.';
comment on column app.assignments.allow_late_submissions is 'Whether students may still submit after due_at.';
comment on column app.assignments.status is 'draft (invisible to students), published, in_progress, completed, archived.';
comment on column app.assignments.type is 'individual, or collaborative (submissions may have collaborators).';
create index assignments_course_id_status_idx on app.assignments (course_id, status);
create index assignments_instructor_id_idx on app.assignments (instructor_id);
create index assignments_template_id_idx on app.assignments (template_id);
create index assignments_institution_id_idx on app.assignments (institution_id);
create index assignments_due_at_idx on app.assignments (due_at) where status in ('published', 'in_progress');

-- Submissions --------------------------------------------------------------------------------
create table app.assignment_submissions (
  id                     uuid primary key default gen_random_uuid(),
  institution_id         uuid not null references app.institutions (id) on delete restrict,
  assignment_id          uuid not null,
  author_id              uuid not null,
  title                  text not null default '' check (length(title) <= 200),
  content                text not null default '' check (length(content) <= 1000000),
  word_count             integer not null generated always as (regexp_count(content, '\S+')) stored,
  status                 text not null default 'not_started'
                         check (status in ('not_started', 'in_progress', 'submitted', 'returned', 'graded')),
  submitted_at           timestamptz,
  returned_at            timestamptz,
  graded_at              timestamptz,
  graded_by              uuid references app.profiles (user_id) on delete set null,
  grade                  numeric(5,2) check (grade between 0 and 100),
  feedback               text check (length(feedback) <= 50000),
  rubric_scores          jsonb not null default '[]' check (jsonb_typeof(rubric_scores) = 'array'),
  collaboration_settings jsonb not null default '{}' check (jsonb_typeof(collaboration_settings) = 'object'),
  milestones             jsonb not null default '[]' check (jsonb_typeof(milestones) = 'array'),
  analytics              jsonb not null default '{}' check (jsonb_typeof(analytics) = 'object'),
  ai_interactions        jsonb not null default '[]' check (jsonb_typeof(ai_interactions) = 'array'),
  created_at             timestamptz not null default now(),
  updated_at             timestamptz not null default now(),
  unique (id, institution_id),
  unique (assignment_id, author_id),
  foreign key (assignment_id, institution_id) references app.assignments (id, institution_id) on delete cascade,
  foreign key (author_id, institution_id) references app.profiles (user_id, institution_id) on delete cascade,
  check (status <> 'graded' or (grade is not null and graded_at is not null)),
  check (status not in ('submitted', 'returned', 'graded') or submitted_at is not null)
);
comment on table app.assignment_submissions is 'A student''s work on an assignment: one per assignment and author.';
comment on column app.assignment_submissions.word_count is 'Words in content (generated: runs of non-blank characters).';
comment on column app.assignment_submissions.status is
  'not_started -> in_progress -> submitted -> returned | graded; returned work may be submitted again. Enforced by a trigger.';
comment on column app.assignment_submissions.grade is 'Score out of 100, set only by the course''s educator (audited).';
comment on column app.assignment_submissions.rubric_scores is 'Per grading criterion: [{criterion, points, comment}].';
comment on column app.assignment_submissions.milestones is 'Writing-stage progress: [{stage, completedAt, ...}].';
comment on column app.assignment_submissions.ai_interactions is 'Log of AI assistance used: [{action, at, ...}].';
create index assignment_submissions_author_id_idx on app.assignment_submissions (author_id);
create index assignment_submissions_graded_by_idx on app.assignment_submissions (graded_by);
create index assignment_submissions_institution_id_status_idx on app.assignment_submissions (institution_id, status);

create table app.submission_collaborators (
  submission_id  uuid not null,
  user_id        uuid not null,
  institution_id uuid not null references app.institutions (id) on delete restrict,
  permission     text not null default 'edit' check (permission in ('view', 'comment', 'edit')),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (submission_id, user_id),
  foreign key (submission_id, institution_id) references app.assignment_submissions (id, institution_id) on delete cascade,
  foreign key (user_id, institution_id) references app.profiles (user_id, institution_id) on delete cascade
);
comment on table app.submission_collaborators is 'People a submission is shared with (collaborative assignments).';
comment on column app.submission_collaborators.permission is 'view, comment or edit.';
create index submission_collaborators_user_id_idx on app.submission_collaborators (user_id);
create index submission_collaborators_institution_id_idx on app.submission_collaborators (institution_id);

-- Documents ----------------------------------------------------------------------------------
create table app.documents (
  id              uuid primary key default gen_random_uuid(),
  institution_id  uuid not null references app.institutions (id) on delete restrict,
  author_id       uuid not null,
  course_id       uuid,
  assignment_id   uuid,
  submission_id   uuid,
  title           text not null default 'Untitled' check (length(btrim(title)) between 1 and 200),
  content         text not null default '' check (length(content) <= 1000000),
  word_count      integer not null generated always as (regexp_count(content, '\S+')) stored,
  current_version integer not null default 0 check (current_version >= 0),
  type            text not null default 'draft'
                  check (type in ('draft', 'outline', 'notes', 'reflection', 'final', 'other')),
  status          text not null default 'active' check (status in ('active', 'submitted', 'archived')),
  settings        jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
  metadata        jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  unique (id, institution_id),
  foreign key (author_id, institution_id) references app.profiles (user_id, institution_id) on delete cascade,
  foreign key (course_id, institution_id) references app.courses (id, institution_id) on delete set null (course_id),
  foreign key (assignment_id, institution_id) references app.assignments (id, institution_id)
    on delete set null (assignment_id),
  foreign key (submission_id, institution_id) references app.assignment_submissions (id, institution_id)
    on delete set null (submission_id)
) with (fillfactor = 80);
comment on table app.documents is
  'Pieces of writing. Every change of title or content writes the next document_versions row in the same transaction.';
comment on column app.documents.word_count is 'Words in content (generated: runs of non-blank characters).';
comment on column app.documents.current_version is 'Number of the latest document_versions row (maintained by triggers).';
comment on column app.documents.submission_id is 'The submission this document is the working copy of, if any.';
create index documents_author_id_idx on app.documents (author_id);
create index documents_course_id_idx on app.documents (course_id);
create index documents_assignment_id_idx on app.documents (assignment_id);
create index documents_submission_id_idx on app.documents (submission_id);
create index documents_institution_id_idx on app.documents (institution_id);

create table app.document_collaborators (
  document_id    uuid not null,
  user_id        uuid not null,
  institution_id uuid not null references app.institutions (id) on delete restrict,
  permission     text not null default 'view' check (permission in ('view', 'comment', 'edit')),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  primary key (document_id, user_id),
  foreign key (document_id, institution_id) references app.documents (id, institution_id) on delete cascade,
  foreign key (user_id, institution_id) references app.profiles (user_id, institution_id) on delete cascade
);
comment on table app.document_collaborators is 'People a document is shared with, and what they may do.';
comment on column app.document_collaborators.permission is 'view, comment or edit (edit allows changing title and content).';
create index document_collaborators_user_id_idx on app.document_collaborators (user_id);
create index document_collaborators_institution_id_idx on app.document_collaborators (institution_id);

create table app.document_versions (
  id             uuid primary key default gen_random_uuid(),
  institution_id uuid not null references app.institutions (id) on delete restrict,
  document_id    uuid not null,
  version_number integer not null check (version_number > 0),
  title          text not null,
  content        text not null,
  author_id      uuid references app.profiles (user_id) on delete set null,
  word_count     integer not null generated always as (regexp_count(content, '\S+')) stored,
  words_added    integer not null default 0 check (words_added >= 0),
  words_removed  integer not null default 0 check (words_removed >= 0),
  change_summary text not null default '',
  changes        jsonb not null default '{}' check (jsonb_typeof(changes) = 'object'),
  metadata       jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  diff           text,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  unique (document_id, version_number),
  foreign key (document_id, institution_id) references app.documents (id, institution_id) on delete cascade
) with (fillfactor = 80);
comment on table app.document_versions is
  'History of a document, written only by the documents triggers (version 1 at creation, then one per change).';
comment on column app.document_versions.author_id is 'Who made the change: the signed-in user, else the document''s author.';
comment on column app.document_versions.words_added is 'Words in this version not in the previous one (multiset difference).';
comment on column app.document_versions.words_removed is 'Words in the previous version not in this one (multiset difference).';
comment on column app.document_versions.change_summary is 'Human-readable summary, e.g. "+12 / -3 words; title changed".';
comment on column app.document_versions.diff is 'Optional textual diff supplied by the client.';
create index document_versions_author_id_idx on app.document_versions (author_id);
create index document_versions_institution_id_idx on app.document_versions (institution_id);

-- Writing sessions (partitioned by month of started_at) --------------------------------------
create table app.writing_sessions (
  id               uuid not null default gen_random_uuid(),
  started_at       timestamptz not null default now(),
  institution_id   uuid not null references app.institutions (id) on delete restrict,
  document_id      uuid not null,
  user_id          uuid not null,
  ended_at         timestamptz,
  duration_seconds integer generated always as (extract(epoch from ended_at - started_at)::integer) stored,
  words_added      integer not null default 0 check (words_added >= 0),
  words_removed    integer not null default 0 check (words_removed >= 0),
  activity         jsonb not null default '{}' check (jsonb_typeof(activity) = 'object'),
  snapshots        jsonb not null default '[]' check (jsonb_typeof(snapshots) = 'array'),
  productivity     jsonb not null default '{}' check (jsonb_typeof(productivity) = 'object'),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  primary key (id, started_at),
  foreign key (document_id, institution_id) references app.documents (id, institution_id) on delete cascade,
  foreign key (user_id, institution_id) references app.profiles (user_id, institution_id) on delete cascade,
  check (ended_at >= started_at)
) partition by range (started_at);
comment on table app.writing_sessions is
  'Time spent writing a document, partitioned by month of started_at (app.create_writing_session_partitions adds months; rows outside them land in writing_sessions_default).';
comment on column app.writing_sessions.duration_seconds is 'ended_at - started_at in seconds (generated); null while the session is open.';
comment on column app.writing_sessions.activity is 'Counters such as keystrokes, pastes, AI requests.';
comment on column app.writing_sessions.snapshots is 'Periodic word-count snapshots: [{at, wordCount}].';
comment on column app.writing_sessions.productivity is 'Derived measures such as words per minute and focus ratio.';
create index writing_sessions_document_id_started_at_idx on app.writing_sessions (document_id, started_at);
create index writing_sessions_user_id_started_at_idx on app.writing_sessions (user_id, started_at);
create index writing_sessions_institution_id_started_at_idx on app.writing_sessions (institution_id, started_at);

-- The default partition and the current month plus two (app.create_writing_session_partitions,
-- run by a scheduled job, adds later months and moves rows out of the default partition).
create table app.writing_sessions_default partition of app.writing_sessions default with (fillfactor = 80);
comment on table app.writing_sessions_default is 'Writing sessions outside every monthly partition.';
alter table app.writing_sessions_default enable row level security;
do $partitions$
declare
  first_month timestamptz := date_trunc('month', now(), 'UTC');
  month_start timestamptz;
  partition_name text;
begin
  for offset_months in 0..2 loop
    month_start := first_month + make_interval(months => offset_months);
    partition_name := 'writing_sessions_' || to_char(month_start at time zone 'UTC', 'YYYY_MM');
    execute format('create table app.%I partition of app.writing_sessions for values from (%L) to (%L) with (fillfactor = 80)',
                   partition_name, month_start, month_start + interval '1 month');
    execute format('alter table app.%I enable row level security', partition_name);
    execute format('comment on table app.%I is %L', partition_name,
                   'Writing sessions started in ' || to_char(month_start at time zone 'UTC', 'YYYY-MM') || ' (UTC).');
  end loop;
end
$partitions$;

-- Comments and notifications -----------------------------------------------------------------
create table app.submission_comments (
  id               uuid primary key default gen_random_uuid(),
  institution_id   uuid not null references app.institutions (id) on delete restrict,
  submission_id    uuid not null,
  author_id        uuid not null,
  parent_id        uuid,
  type             text not null default 'general'
                   check (type in ('general', 'inline', 'suggestion', 'question', 'praise')),
  content          text not null check (length(btrim(content)) between 1 and 10000),
  highlighted_text text check (length(highlighted_text) <= 10000),
  position         jsonb check (jsonb_typeof(position) = 'object'),
  is_resolved      boolean not null default false,
  resolved_at      timestamptz,
  resolved_by      uuid references app.profiles (user_id) on delete set null,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  unique (id, submission_id),
  foreign key (submission_id, institution_id) references app.assignment_submissions (id, institution_id) on delete cascade,
  foreign key (author_id, institution_id) references app.profiles (user_id, institution_id) on delete cascade,
  foreign key (parent_id, submission_id) references app.submission_comments (id, submission_id) on delete cascade,
  check (parent_id <> id)
);
comment on table app.submission_comments is 'Feedback on a submission, threaded through parent_id (a reply stays on its parent''s submission).';
comment on column app.submission_comments.position is 'Where an inline comment anchors: {start, end} character offsets.';
comment on column app.submission_comments.highlighted_text is 'The passage an inline comment refers to.';
create index submission_comments_submission_id_created_at_idx on app.submission_comments (submission_id, created_at);
create index submission_comments_author_id_idx on app.submission_comments (author_id);
create index submission_comments_parent_id_idx on app.submission_comments (parent_id);
create index submission_comments_resolved_by_idx on app.submission_comments (resolved_by);
create index submission_comments_institution_id_idx on app.submission_comments (institution_id);

create table app.notifications (
  id              uuid primary key default gen_random_uuid(),
  institution_id  uuid not null references app.institutions (id) on delete restrict,
  recipient_id    uuid not null,
  sender_id       uuid references app.profiles (user_id) on delete set null,
  type            text not null check (type ~ '^[a-z][a-z_]{1,49}$'),
  category        text not null default 'general'
                  check (category in ('general', 'assignment', 'submission', 'feedback', 'course', 'writing', 'system')),
  priority        text not null default 'normal' check (priority in ('low', 'normal', 'high', 'urgent')),
  title           text not null check (length(btrim(title)) between 1 and 200),
  message         text not null default '' check (length(message) <= 5000),
  context         jsonb not null default '{}' check (jsonb_typeof(context) = 'object'),
  intervention    jsonb check (jsonb_typeof(intervention) = 'object'),
  related_metrics jsonb not null default '{}' check (jsonb_typeof(related_metrics) = 'object'),
  status          text not null default 'unread' check (status in ('unread', 'read', 'archived')),
  action_required boolean not null default false,
  expires_at      timestamptz,
  read_at         timestamptz,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  foreign key (recipient_id, institution_id) references app.profiles (user_id, institution_id) on delete cascade
);
comment on table app.notifications is 'Messages to one user (submission received, work graded, interventions, ...).';
comment on column app.notifications.type is 'Machine-readable kind, e.g. submission_submitted, submission_graded, comment_added.';
comment on column app.notifications.context is 'Ids the notification is about: {courseId, assignmentId, submissionId, ...}.';
comment on column app.notifications.intervention is 'A suggested action for an at-risk student: {kind, suggestion, ...}.';
comment on column app.notifications.related_metrics is 'The writing metrics that triggered the notification.';
comment on column app.notifications.read_at is 'Set when status becomes read (by a trigger).';
create index notifications_recipient_id_status_created_at_idx on app.notifications (recipient_id, status, created_at desc);
create index notifications_sender_id_idx on app.notifications (sender_id);
create index notifications_institution_id_idx on app.notifications (institution_id);
create index notifications_expires_at_idx on app.notifications (expires_at) where expires_at is not null;

-- Audit log ----------------------------------------------------------------------------------
create table audit.changes (
  id             bigint generated always as identity primary key,
  table_name     text not null,
  operation      text not null check (operation in ('INSERT', 'UPDATE', 'DELETE')),
  row_id         text,
  institution_id uuid,
  actor_id       uuid,
  actor_role     text,
  old_values     jsonb,
  new_values     jsonb,
  transaction_id bigint not null default txid_current(),
  changed_at     timestamptz not null default now()
);
comment on table audit.changes is
  'Append-only log written by util.tg__audit (grades, role changes, ...); updates and deletes are refused.';
comment on column audit.changes.table_name is 'Schema-qualified table the change happened in.';
comment on column audit.changes.row_id is 'The changed row''s key (id or user_id) as text.';
comment on column audit.changes.actor_id is 'auth.uid() of the request that made the change (null for system jobs).';
comment on column audit.changes.actor_role is 'The request role (JWT role claim), or the database role outside requests.';
comment on column audit.changes.old_values is 'The audited columns before the change.';
comment on column audit.changes.new_values is 'The audited columns after the change.';
create index changes_table_name_row_id_idx on audit.changes (table_name, row_id);
create index changes_institution_id_changed_at_idx on audit.changes (institution_id, changed_at);
create index changes_actor_id_idx on audit.changes (actor_id);

alter table app.courses enable row level security;
alter table app.course_enrollments enable row level security;
alter table app.assignment_templates enable row level security;
alter table app.assignments enable row level security;
alter table app.assignment_submissions enable row level security;
alter table app.submission_collaborators enable row level security;
alter table app.documents enable row level security;
alter table app.document_collaborators enable row level security;
alter table app.document_versions enable row level security;
alter table app.writing_sessions enable row level security;
alter table app.submission_comments enable row level security;
alter table app.notifications enable row level security;
alter table audit.changes enable row level security;

COMMIT;
