-- The reporting read models: what they compute on the shared writing fixture, the materialized daily
-- activity and its refresh, and that only the reporting role can read them (42501 for every other role).
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
-- Reporting extras: 5b4 is submitted two hours after its due date and graded 24 hours later; 5b1 waits.
update app.assignment_submissions set status = 'submitted' where id in ('5b000000-0000-4000-8000-000000000001', '5b000000-0000-4000-8000-000000000004');
update app.assignment_submissions set submitted_at = now() - interval '30 hours' where id = '5b000000-0000-4000-8000-000000000004';
update app.assignment_submissions set status = 'graded', grade = 90, graded_at = now() - interval '6 hours'
 where id = '5b000000-0000-4000-8000-000000000004';

select plan(20);

select results_eq($$select active_students, published_assignments, expected_submissions, submitted, graded, completion_percent, average_grade
                      from reporting.course_progress where course_id = 'c0000000-0000-4000-8000-000000000001'$$,
  $$values (2::bigint, 3::bigint, 6::bigint, 2::bigint, 1::bigint, 33.3, 90.00)$$,
  'course_progress: students, published work, submitted and graded, completion, average grade');
select results_eq($$select assignment_id::text, not_started, in_progress, submitted, graded, submitted_late
                      from reporting.submission_status_by_assignment where course_id = 'c0000000-0000-4000-8000-000000000001'
                     order by assignment_id$$,
  $$values ('aa000000-0000-4000-8000-000000000001', 0::bigint, 1::bigint, 1::bigint, 0::bigint, 0::bigint),
           ('aa000000-0000-4000-8000-000000000002', 2, 0, 0, 0, 0),
           ('aa000000-0000-4000-8000-000000000003', 1, 1, 0, 0, 0),
           ('aa000000-0000-4000-8000-000000000004', 1, 0, 0, 1, 0)$$,
  'submission_status_by_assignment: students without work count as not started');
select results_eq($$select graded, average_hours, awaiting_grading from reporting.grading_turnaround
                     where course_id = 'c0000000-0000-4000-8000-000000000001'$$,
  $$values (1::bigint, 24.0, 1::bigint)$$, 'grading_turnaround: hours from submission to grade, and what waits');
select results_eq($$select sum(sessions)::int, sum(words_added)::int from reporting.writing_activity_by_day$$,
  $$values (3, 210)$$, 'writing_activity_by_day: every institution''s sessions');

-- The materialized view: stale until refreshed, then equal to the live data.
select results_eq($$select count(*)::int from reporting.daily_writing_activity where institution_id = 'a0000000-0000-4000-8000-000000000001'$$,
  array[0], 'daily_writing_activity: empty before a refresh (it was built on an empty database)');
set local role service_role;
select lives_ok('select reporting.refresh_daily_writing_activity()', 'refresh: service_role refreshes it (concurrently)');
reset role;
select results_eq($$select sum(sessions)::int, sum(total_duration_seconds)::int, sum(words_added)::int from reporting.daily_writing_activity$$,
  $$values (3, 1800 + 3600 + 3600, 210)$$, 'daily_writing_activity: the refreshed totals');
select ok(exists (select from pg_index where indrelid = 'reporting.daily_writing_activity'::regclass and indisunique),
  'daily_writing_activity: a unique index makes concurrent refresh possible');

-- Only the reporting role reads them.
set local role reporting;
select lives_ok($$select * from reporting.course_progress, reporting.submission_status_by_assignment, reporting.grading_turnaround,
                  reporting.writing_activity_by_day, reporting.daily_writing_activity limit 1$$,
  'reporting: reads every reporting view');
select throws_ok('select reporting.refresh_daily_writing_activity()', '42501', null, 'reporting: cannot refresh (read-only)');
select throws_ok('select 1 from app.courses', '42501', null, 'reporting: no app tables');
reset role;
create function pg_temp.denied(p_role text) returns text language plpgsql as $$
declare
  view_name text;
  readable text[] := '{}';
begin
  execute format('set local role %I', p_role);
  foreach view_name in array array['reporting.course_progress', 'reporting.submission_status_by_assignment',
      'reporting.grading_turnaround', 'reporting.writing_activity_by_day', 'reporting.daily_writing_activity'] loop
    begin
      execute format('select 1 from %s limit 1', view_name);
      readable := readable || view_name;
    exception when insufficient_privilege then
      null;
    end;
  end loop;
  reset role;
  return array_to_string(readable, ', ');
end
$$;
select is(pg_temp.denied('student'), '', 'student: 42501 on every reporting view');
select is(pg_temp.denied('educator'), '', 'educator: 42501 on every reporting view');
select is(pg_temp.denied('admin'), '', 'admin: 42501 on every reporting view');
select is(pg_temp.denied('anon'), '', 'anon: 42501 on every reporting view');
select is(pg_temp.denied('authenticated'), '', 'authenticated: 42501 on every reporting view');
select is(pg_temp.denied('service_role'), '', 'service_role: 42501 on every reporting view');
select is(pg_temp.denied('reporting'), 'reporting.course_progress, reporting.submission_status_by_assignment, '
  'reporting.grading_turnaround, reporting.writing_activity_by_day, reporting.daily_writing_activity',
  'reporting: every view (the check itself works)');
select pg_temp.act_as('ad000000-0000-4000-8000-000000000001');
select throws_ok('select * from reporting.course_progress', '42501', null, 'admin with a token: 42501');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select throws_ok('select * from reporting.daily_writing_activity', '42501', null, 'student with a token: 42501');
reset role;

select * from finish();
