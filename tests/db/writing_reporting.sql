-- The reporting read models: what they compute on the shared writing fixture, the materialized daily
-- activity and its refresh, and that only the reporting role can read them (42501 for every other role).
-- fixture: writing (two institutions, their people, courses, work; see tests/db/fixtures/writing.sql)
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
