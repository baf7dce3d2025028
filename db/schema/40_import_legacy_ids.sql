-- Declarative state of the import bookkeeping: legacy_id (the source document's key, unique where
-- present) on every table `campus import` writes the writing platform's data into. Equal to what
-- migration 'import_legacy_ids' deploys.

alter table auth.users add column legacy_id text;
create unique index users_legacy_id_key on auth.users (legacy_id) where legacy_id is not null;
comment on column auth.users.legacy_id is 'The id this account had in the system it was imported from (e.g. a MongoDB ObjectId); null for accounts created in Campus.';

alter table app.courses add column legacy_id text;
create unique index courses_legacy_id_key on app.courses (legacy_id) where legacy_id is not null;
comment on column app.courses.legacy_id is 'The id this course had in the system it was imported from; null for courses created in Campus.';

alter table app.course_enrollments add column legacy_id text;
create unique index course_enrollments_legacy_id_key on app.course_enrollments (legacy_id) where legacy_id is not null;
comment on column app.course_enrollments.legacy_id is
  'The id of an enrolment imported from a document of its own; null for enrolments created in Campus or derived from a course''s array of students (which have no id).';

alter table app.assignment_templates add column legacy_id text;
create unique index assignment_templates_legacy_id_key on app.assignment_templates (legacy_id) where legacy_id is not null;
comment on column app.assignment_templates.legacy_id is 'The id this template had in the system it was imported from; null for templates created in Campus.';

alter table app.assignments add column legacy_id text;
create unique index assignments_legacy_id_key on app.assignments (legacy_id) where legacy_id is not null;
comment on column app.assignments.legacy_id is
  'The id this assignment had in the system it was imported from (an assignment, or a template deployed to a course); null for assignments created in Campus.';

alter table app.assignment_submissions add column legacy_id text;
create unique index assignment_submissions_legacy_id_key on app.assignment_submissions (legacy_id) where legacy_id is not null;
comment on column app.assignment_submissions.legacy_id is 'The id this submission had in the system it was imported from; null for submissions created in Campus.';

alter table app.documents add column legacy_id text;
create unique index documents_legacy_id_key on app.documents (legacy_id) where legacy_id is not null;
comment on column app.documents.legacy_id is 'The id this document had in the system it was imported from; null for documents created in Campus.';

alter table app.document_versions add column legacy_id text;
create unique index document_versions_legacy_id_key on app.document_versions (legacy_id) where legacy_id is not null;
comment on column app.document_versions.legacy_id is 'The id this version had in the system it was imported from; null for versions written by Campus.';

-- A unique index of a partitioned table must contain the partition key, so this one is unique per
-- (legacy_id, started_at). That is as good as unique per legacy_id: the id is derived from the
-- legacy id and the primary key is (id, started_at), and an import never moves a session's start.
alter table app.writing_sessions add column legacy_id text;
create unique index writing_sessions_legacy_id_started_at_key on app.writing_sessions (legacy_id, started_at)
  where legacy_id is not null;
comment on column app.writing_sessions.legacy_id is
  'The id this session had in the system it was imported from; null for sessions recorded in Campus. Unique together with started_at (the partition key).';

alter table app.notifications add column legacy_id text;
create unique index notifications_legacy_id_key on app.notifications (legacy_id) where legacy_id is not null;
comment on column app.notifications.legacy_id is 'The id this notification had in the system it was imported from; null for notifications created in Campus.';
