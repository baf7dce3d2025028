-- Verify campus:import_legacy_ids
-- Fails (raises) unless every imported-into table has its legacy_id column with a unique partial index.

BEGIN;

select legacy_id from auth.users where false;
select legacy_id from app.courses where false;
select legacy_id from app.course_enrollments where false;
select legacy_id from app.assignment_templates where false;
select legacy_id from app.assignments where false;
select legacy_id from app.assignment_submissions where false;
select legacy_id from app.documents where false;
select legacy_id from app.document_versions where false;
select legacy_id from app.writing_sessions where false;
select legacy_id from app.notifications where false;
select 1 / (count(*) = 10)::int from pg_catalog.pg_index i join pg_catalog.pg_class c on c.oid = i.indexrelid
 where i.indisunique and i.indpred is not null and c.relname like '%legacy_id%'
   and i.indrelid in ('auth.users'::regclass, 'app.courses'::regclass, 'app.course_enrollments'::regclass,
                      'app.assignment_templates'::regclass, 'app.assignments'::regclass,
                      'app.assignment_submissions'::regclass, 'app.documents'::regclass,
                      'app.document_versions'::regclass, 'app.writing_sessions'::regclass,
                      'app.notifications'::regclass);

ROLLBACK;
