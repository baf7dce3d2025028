-- The writing tables' shape: tenancy column, RLS, fillfactor, partitions, indexes, comments,
-- the tenancy keys, the template search vector and the partition maintenance function.
-- Fixture (shared by the writing_*.sql files): two institutions; in North: educators e1 and e3,
-- students s1 and s2, admin a1; in South: educator e2, student s3. Built as the owner (no RLS).
insert into app.institutions (id, slug, name) values
  ('a0000000-0000-4000-8000-000000000001', 'north', 'North College'),
  ('a0000000-0000-4000-8000-000000000002', 'south', 'South College');
insert into auth.users (id, email)
select id::uuid, email from (values
  ('e0000000-0000-4000-8000-000000000001', 'e1@north.test'), ('e0000000-0000-4000-8000-000000000003', 'e3@north.test'),
  ('b0000000-0000-4000-8000-000000000001', 's1@north.test'), ('b0000000-0000-4000-8000-000000000002', 's2@north.test'),
  ('ad000000-0000-4000-8000-000000000001', 'a1@north.test'),
  ('e0000000-0000-4000-8000-000000000002', 'e2@south.test'), ('b0000000-0000-4000-8000-000000000003', 's3@south.test')
) as u(id, email);
insert into app.profiles (user_id, institution_id, role)
select u::uuid, i::uuid, r::app.user_role from (values
  ('e0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'educator'),
  ('e0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000001', 'educator'),
  ('b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'student'),
  ('b0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'student'),
  ('ad000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'admin'),
  ('e0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000002', 'educator'),
  ('b0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002', 'student')
) as p(u, i, r);
-- Courses: c1 (e1, private, 3 places), c2 (e1, public, 1 place), c4 (e3, private); c3 in South (e2).
insert into app.courses (id, institution_id, instructor_id, title, is_public, max_students, enrollment_code) values
  ('c0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'Essay Writing', false, 3, 'ESSAY101'),
  ('c0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'Open Poetry', true, 1, 'POETRY01'),
  ('c0000000-0000-4000-8000-000000000004', 'a0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000003', 'Rhetoric', false, 30, 'RHET0001'),
  ('c0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000002', 'South Essays', false, 30, 'SOUTH001');
insert into app.course_enrollments (institution_id, course_id, student_id) values
  ('a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001'),
  ('a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002'),
  ('a0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000003');
-- Templates: t1 (e1, public), t2 (e1, private), t3 (South, private).
insert into app.assignment_templates (id, institution_id, instructor_id, title, description, is_public, tags) values
  ('7e000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'Persuasive essay', 'Argue a position with evidence', true, '{argument,essays}'),
  ('7e000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'Lab report', 'Report an experiment', false, '{science}'),
  ('7e000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000002', 'South narrative', 'Tell a story', false, '{narrative}');
-- Assignments in c1: aa1 published (due in a week, from t1), aa2 draft, aa3 past due (no late work),
-- aa4 past due (late work allowed); aa5 in South.
insert into app.assignments (id, institution_id, course_id, instructor_id, template_id, title, status, due_at, allow_late_submissions) values
  ('aa000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', '7e000000-0000-4000-8000-000000000001', 'Argue it', 'published', now() + interval '7 days', false),
  ('aa000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', null, 'Not yet', 'draft', null, false),
  ('aa000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', null, 'Closed', 'published', now() - interval '1 day', false),
  ('aa000000-0000-4000-8000-000000000004', 'a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', null, 'Late ok', 'published', now() - interval '1 day', true),
  ('aa000000-0000-4000-8000-000000000005', 'a0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000003', 'e0000000-0000-4000-8000-000000000002', null, 'South work', 'published', null, false);
-- Submissions: 5b1 (s1 on aa1), 5b2 (s2 on aa1), 5b3 (s1 on aa3), 5b4 (s1 on aa4), 5b5 (s3 in South).
insert into app.assignment_submissions (id, institution_id, assignment_id, author_id, content, status) values
  ('5b000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'aa000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'My first draft', 'in_progress'),
  ('5b000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'aa000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 'Secret essay of s2', 'in_progress'),
  ('5b000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000001', 'aa000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000001', 'Too late', 'in_progress'),
  ('5b000000-0000-4000-8000-000000000004', 'a0000000-0000-4000-8000-000000000001', 'aa000000-0000-4000-8000-000000000004', 'b0000000-0000-4000-8000-000000000001', 'Late but fine', 'in_progress'),
  ('5b000000-0000-4000-8000-000000000005', 'a0000000-0000-4000-8000-000000000002', 'aa000000-0000-4000-8000-000000000005', 'b0000000-0000-4000-8000-000000000003', 'South work', 'in_progress');
-- Documents: d1 (s1, for 5b1), d2 (s2, in c1), d3 (s3, South).
insert into app.documents (id, institution_id, author_id, course_id, assignment_id, submission_id, title, content) values
  ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'aa000000-0000-4000-8000-000000000001', '5b000000-0000-4000-8000-000000000001', 'Draft', 'one two three'),
  ('d0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000001', null, null, 'Notes of s2', 'private notes'),
  ('d0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000003', 'c0000000-0000-4000-8000-000000000003', null, null, 'South doc', 'south text');
insert into app.writing_sessions (institution_id, document_id, user_id, started_at, ended_at, words_added) values
  ('a0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', now() - interval '1 hour', now() - interval '30 minutes', 120),
  ('a0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002', now() - interval '1 hour', now(), 80),
  ('a0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000003', now() - interval '1 hour', now(), 10);
insert into app.submission_comments (id, institution_id, submission_id, author_id, content) values
  ('cc000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', '5b000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'Strong thesis'),
  ('cc000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', '5b000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000001', 'Cite sources');
insert into app.notifications (id, institution_id, recipient_id, sender_id, type, title) values
  ('90000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'comment_added', 'New comment'),
  ('90000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000001', 'comment_added', 'New comment');

-- Act as a user (from a superuser session): the claims the API would set, and the role they name.
create function pg_temp.act_as(p_user uuid) returns text language plpgsql as $act$
declare p app.profiles;
begin
  select * into p from app.profiles where user_id = p_user;
  perform set_config('request.jwt.claims', json_build_object('sub', p.user_id, 'role', p.role,
    'app_metadata', json_build_object('institution_id', p.institution_id))::text, true);
  perform set_config('role', p.role::text, true);
  return p.role::text;
end $act$;
-- End of fixture.

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
