-- Revert campus:import_legacy_ids
-- Drops the legacy_id columns (their unique indexes go with them). The imported rows stay, with
-- their uuid5 ids; only the link to the old ids is lost.

BEGIN;

alter table app.notifications drop column legacy_id;
alter table app.writing_sessions drop column legacy_id;
alter table app.document_versions drop column legacy_id;
alter table app.documents drop column legacy_id;
alter table app.assignment_submissions drop column legacy_id;
alter table app.assignments drop column legacy_id;
alter table app.assignment_templates drop column legacy_id;
alter table app.course_enrollments drop column legacy_id;
alter table app.courses drop column legacy_id;
alter table auth.users drop column legacy_id;

COMMIT;
