-- Revert campus:writing
-- Drops the writing tables (with their partitions, triggers and policies), the audit log and the
-- tenancy key added to app.profiles, and the role-audit trigger on app.profiles.

BEGIN;

-- The role audit is a trigger on an identity table; without audit.changes it would break role changes.
drop trigger if exists _900_audit_role on app.profiles;

drop table app.notifications, app.submission_comments, app.writing_sessions, app.document_versions,
  app.document_collaborators, app.documents, app.submission_collaborators, app.assignment_submissions,
  app.assignments, app.assignment_templates, app.course_enrollments, app.courses, audit.changes cascade;
drop function app.tags_search_text(text[]);
alter table app.profiles drop constraint profiles_user_id_institution_id_key;

COMMIT;
