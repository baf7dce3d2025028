-- Read models of the writing platform for BI tools (Metabase, psql, spreadsheets), read by the
-- `reporting` role and by nobody else (grants in db/policies/30_writing_api.sql). They are plain
-- views with the owner's rights (not security_invoker): a reporting login sees every institution,
-- always with institution_id to filter or group on, and needs no right on the app tables.
-- The materialized daily activity is in daily_writing_activity.sql.
-- requires: writing

create or replace view reporting.course_progress as
  with enrolments as (
    select e.course_id, count(*) filter (where e.status = 'active') as active_students,
           count(*) filter (where e.status = 'completed') as completed_students,
           count(*) filter (where e.status = 'dropped') as dropped_students
      from app.course_enrollments e group by e.course_id
  ), assignments as (
    select a.course_id, count(*) as assignments,
           count(*) filter (where a.status in ('published', 'in_progress', 'completed')) as published_assignments
      from app.assignments a group by a.course_id
  ), submissions as (
    select a.course_id,
           count(*) filter (where s.status in ('submitted', 'returned', 'graded')) as submitted,
           count(*) filter (where s.status = 'graded') as graded,
           avg(s.grade) filter (where s.status = 'graded') as average_grade
      from app.assignment_submissions s join app.assignments a on a.id = s.assignment_id
     group by a.course_id
  )
  select c.institution_id, c.id as course_id, c.title, c.instructor_id, c.status, c.is_active, c.starts_on, c.ends_on,
         c.max_students,
         coalesce(e.active_students, 0) as active_students,
         coalesce(e.completed_students, 0) as completed_students,
         coalesce(e.dropped_students, 0) as dropped_students,
         coalesce(a.assignments, 0) as assignments,
         coalesce(a.published_assignments, 0) as published_assignments,
         coalesce(e.active_students, 0) * coalesce(a.published_assignments, 0) as expected_submissions,
         coalesce(s.submitted, 0) as submitted,
         coalesce(s.graded, 0) as graded,
         round(least(100, 100.0 * coalesce(s.submitted, 0)
                          / nullif(coalesce(e.active_students, 0) * coalesce(a.published_assignments, 0), 0)), 1)
           as completion_percent,
         round(s.average_grade, 2) as average_grade
    from app.courses c
    left join enrolments e on e.course_id = c.id
    left join assignments a on a.course_id = c.id
    left join submissions s on s.course_id = c.id;
comment on view reporting.course_progress is
  'One row per course: students by enrolment status, assignments, submitted and graded work, completion and average grade.';
comment on column reporting.course_progress.expected_submissions is 'Active students × published assignments.';
comment on column reporting.course_progress.submitted is 'Submissions handed in (submitted, returned or graded).';
comment on column reporting.course_progress.completion_percent is 'submitted / expected_submissions, in percent (at most 100); null when nothing is expected.';
comment on column reporting.course_progress.average_grade is 'Average grade (out of 100) of graded submissions.';

create or replace view reporting.submission_status_by_assignment as
  select a.institution_id, a.course_id, a.id as assignment_id, a.title, a.status as assignment_status, a.due_at,
         a.allow_late_submissions,
         (select count(*) from app.course_enrollments e where e.course_id = a.course_id and e.status = 'active')
           as active_students,
         (select count(*) from app.course_enrollments e
           where e.course_id = a.course_id and e.status = 'active'
             and not exists (select from app.assignment_submissions x where x.assignment_id = a.id and x.author_id = e.student_id))
           + count(s.id) filter (where s.status = 'not_started') as not_started,
         count(s.id) filter (where s.status = 'in_progress') as in_progress,
         count(s.id) filter (where s.status = 'submitted') as submitted,
         count(s.id) filter (where s.status = 'returned') as returned,
         count(s.id) filter (where s.status = 'graded') as graded,
         count(s.id) filter (where s.submitted_at > a.due_at) as submitted_late,
         round(avg(s.grade) filter (where s.status = 'graded'), 2) as average_grade
    from app.assignments a
    left join app.assignment_submissions s on s.assignment_id = a.id
   group by a.id;
comment on view reporting.submission_status_by_assignment is 'One row per assignment: how many submissions are in each status.';
comment on column reporting.submission_status_by_assignment.not_started is
  'Active students with no submission yet, plus submissions still not_started.';
comment on column reporting.submission_status_by_assignment.submitted_late is 'Submissions whose (latest) submission time is after due_at.';

create or replace view reporting.grading_turnaround as
  with graded as (
    select a.course_id, s.status, s.submitted_at, s.graded_at,
           extract(epoch from s.graded_at - s.submitted_at) / 3600.0 as hours
      from app.assignment_submissions s join app.assignments a on a.id = s.assignment_id
     where s.status in ('submitted', 'graded')
  )
  select c.institution_id, c.id as course_id, c.title, c.instructor_id,
         count(g.graded_at) filter (where g.status = 'graded') as graded,
         round(avg(g.hours) filter (where g.status = 'graded'), 1) as average_hours,
         round((percentile_cont(0.5) within group (order by g.hours) filter (where g.status = 'graded'))::numeric, 1)
           as median_hours,
         round((percentile_cont(0.9) within group (order by g.hours) filter (where g.status = 'graded'))::numeric, 1)
           as p90_hours,
         count(*) filter (where g.status = 'submitted') as awaiting_grading,
         min(g.submitted_at) filter (where g.status = 'submitted') as oldest_waiting_since
    from app.courses c
    join graded g on g.course_id = c.id
   group by c.id;
comment on view reporting.grading_turnaround is
  'Per course with submitted work: how long grading takes (hours from submission to grade) and what is still waiting.';
comment on column reporting.grading_turnaround.average_hours is 'Mean hours from submitted_at to graded_at over graded work.';
comment on column reporting.grading_turnaround.p90_hours is '90th percentile of the hours to grade.';
comment on column reporting.grading_turnaround.oldest_waiting_since is 'Submission time of the oldest work not graded yet.';

create or replace view reporting.writing_activity_by_day as
  select (ws.started_at at time zone 'UTC')::date as day, ws.institution_id, d.course_id,
         count(distinct ws.user_id) as writers,
         count(*) as sessions,
         coalesce(sum(ws.duration_seconds), 0) as total_duration_seconds,
         sum(ws.words_added) as words_added,
         sum(ws.words_removed) as words_removed
    from app.writing_sessions ws
    join app.documents d on d.id = ws.document_id
   group by 1, 2, 3;
comment on view reporting.writing_activity_by_day is
  'Live writing activity per UTC day, institution and course (null: documents outside a course). For large ranges '
  'prefer the materialized reporting.daily_writing_activity.';
comment on column reporting.writing_activity_by_day.total_duration_seconds is 'Sum of the closed sessions'' durations.';
