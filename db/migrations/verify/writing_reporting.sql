-- Verify campus:writing_reporting
-- Fails (raises) unless the materialized view exists with a unique index usable for concurrent refresh.

BEGIN;

select day, institution_id, course_id, user_id, sessions, total_duration_seconds, words_added, words_removed, documents
  from reporting.daily_writing_activity where false;
select 1 / count(*) from pg_catalog.pg_index
 where indrelid = 'reporting.daily_writing_activity'::regclass and indisunique and indpred is null and indexprs is null;

ROLLBACK;
