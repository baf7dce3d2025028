-- Verify campus:writing
-- Fails (raises) unless every writing table exists with row-level security on, writing_sessions is
-- partitioned with a default partition, and the template search vector is there.

BEGIN;

select 1 / (count(*) = 14)::int from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where c.relrowsecurity and (n.nspname, c.relname) in (
   ('app', 'courses'), ('app', 'course_enrollments'), ('app', 'assignment_templates'), ('app', 'assignments'),
   ('app', 'assignment_submissions'), ('app', 'submission_collaborators'), ('app', 'documents'),
   ('app', 'document_collaborators'), ('app', 'document_versions'), ('app', 'writing_sessions'),
   ('app', 'writing_sessions_default'), ('app', 'submission_comments'), ('app', 'notifications'),
   ('audit', 'changes'));
select 1 / count(*) from pg_catalog.pg_partitioned_table where partrelid = 'app.writing_sessions'::regclass;
select 1 / (count(*) >= 2)::int from pg_catalog.pg_inherits where inhparent = 'app.writing_sessions'::regclass;
select search from app.assignment_templates where false;

ROLLBACK;
