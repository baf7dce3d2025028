-- The writing tables' shape: tenancy column, RLS, fillfactor, partitions, indexes, comments,
-- the tenancy keys, the template search vector and the partition maintenance function.
-- fixture: writing (two institutions, their people, courses, work; see tests/db/fixtures/writing.sql)

select plan(35);

select has_table('app', t, 'app.' || t || ' exists') from unnest(array['courses', 'course_enrollments',
  'assignment_templates', 'assignments', 'assignment_submissions', 'submission_collaborators', 'documents',
  'document_collaborators', 'document_versions', 'writing_sessions', 'submission_comments', 'notifications']) as t;
select has_table('audit', 'changes', 'audit.changes exists');

select is_empty($$
  select c.relname from pg_class c
   where c.relnamespace = 'app'::regnamespace and c.relkind in ('r', 'p') and c.relname <> 'institutions'
     and c.relname not in ('profiles', 'outbox')
     and not exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'institution_id' and a.attnotnull)
$$, 'every tenant table has a not-null institution_id');

select is_empty($$
  select c.relname from pg_class c
   where c.relnamespace in ('app'::regnamespace, 'audit'::regnamespace) and c.relkind in ('r', 'p') and not c.relrowsecurity
$$, 'row-level security is on for every table and partition');

select is_empty($$
  select c.relname from pg_class c
   where c.relnamespace in ('app'::regnamespace, 'audit'::regnamespace) and c.relkind in ('r', 'p')
     and obj_description(c.oid, 'pg_class') is null
$$, 'every table and partition has a comment');

-- An index leads with the first column of every foreign key (so deletes of parents and joins are cheap).
select is_empty($$
  select con.conrelid::regclass::text || ' ' || con.conname from pg_constraint con
   where con.contype = 'f' and con.connamespace in ('app'::regnamespace, 'audit'::regnamespace)
     and con.conrelid::regclass::text not in ('app.profiles')
     and not exists (select from pg_index i where i.indrelid = con.conrelid and i.indkey[0] = con.conkey[1])
$$, 'every foreign key has an index on its leading column');

select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class c
    where c.relnamespace = 'app'::regnamespace and 'fillfactor=80' = any (c.reloptions) and c.relname in ('documents', 'document_versions')),
  array['document_versions', 'documents'], 'documents and document_versions have fillfactor 80');
select is_empty($$
  select i.inhrelid::regclass from pg_inherits i join pg_class c on c.oid = i.inhrelid
   where i.inhparent = 'app.writing_sessions'::regclass and not ('fillfactor=80' = any (coalesce(c.reloptions, '{}')))
$$, 'every writing_sessions partition has fillfactor 80');

select is((select partstrat::text from pg_partitioned_table where partrelid = 'app.writing_sessions'::regclass), 'r',
          'writing_sessions is range-partitioned');
select ok(to_regclass('app.writing_sessions_default') is not null
          and (select relispartition from pg_class where oid = 'app.writing_sessions_default'::regclass),
          'writing_sessions has a default partition');
select ok(to_regclass('app.writing_sessions_' || to_char(now() at time zone 'UTC', 'YYYY_MM')) is not null,
          'the current month has its partition');

select ok(exists (select from pg_indexes where schemaname = 'app' and tablename = 'assignment_templates'
                   and indexdef like '%USING gin (search)%'), 'the template search vector has a GIN index');
select ok(exists (select from pg_indexes where schemaname = 'app' and tablename = 'courses'
                   and indexdef like '%USING gin (tags)%'), 'course tags have a GIN index');

select is(
  (select array_agg(title order by title) from app.assignment_templates
    where search @@ websearch_to_tsquery('english', 'arguing essay')),
  array['Persuasive essay'], 'template search stems title, tags and description');

select throws_ok($$
  insert into app.course_enrollments (institution_id, course_id, student_id)
  values ('a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000003')
$$, '23503', null, 'a row cannot reference a user of another institution (composite tenancy key)');
select throws_ok($$
  insert into app.assignments (institution_id, course_id, instructor_id, title)
  values ('a0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000002', 'x')
$$, '23503', null, 'a row cannot reference a course of another institution');
select throws_ok($$
  insert into app.courses (institution_id, instructor_id, title, enrollment_code)
  values ('a0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'Dup', 'ESSAY101')
$$, '23505', null, 'enrolment codes are unique within an institution');

-- Partition maintenance: a session far ahead lands in the default partition, then moves to its month.
insert into app.writing_sessions (institution_id, document_id, user_id, started_at)
values ('a0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001',
        date_trunc('month', now(), 'UTC') + interval '5 months 3 days');
select is((select count(*)::int from app.writing_sessions_default), 1, 'a session with no month partition goes to the default partition');
select ok(exists (select from app.create_writing_session_partitions(6) p where p like '%(1 rows moved from the default partition)'),
          'create_writing_session_partitions creates the month and moves its rows');
select is((select count(*)::int from app.writing_sessions_default), 0, 'the default partition is empty again');
select is((select count(*)::int from app.writing_sessions where started_at > now() + interval '4 months'), 1,
          'the moved session is still there');
select ok((select relrowsecurity and 'fillfactor=80' = any (reloptions) from pg_class
            where oid = ('app.writing_sessions_' || to_char(date_trunc('month', now(), 'UTC') + interval '5 months', 'YYYY_MM'))::regclass),
          'a created partition has RLS and fillfactor 80');
select is((select count(*)::int from app.create_writing_session_partitions(6)), 0, 'creating partitions is idempotent');
select throws_ok('select app.create_writing_session_partitions(-1)', 'PT400', null, 'months_ahead is checked');

select * from finish();
