-- Writing analytics from app.writing_sessions, per UTC day: total duration, words added and removed,
-- sessions. Security invoker: a student sees their own sessions, an educator the sessions on the
-- documents of the courses they teach, an admin their institution's (row-level security).
-- Days without writing are included (zeros), so the rows chart directly.
-- requires: writing

create or replace function api.student_writing_analytics(
  student_id uuid default null,
  from_day date default null,
  to_day date default null,
  course_id uuid default null
) returns table (
  day date,
  sessions integer,
  total_duration_seconds integer,
  words_added integer,
  words_removed integer,
  documents integer
)
language plpgsql stable
set search_path = ''
as $$
declare
  who uuid := coalesce(student_writing_analytics.student_id, auth.uid());
  last_day date := coalesce(to_day, (pg_catalog.now() at time zone 'UTC')::date);
  first_day date := coalesce(from_day, last_day - 29);
begin
  if who is null then
    raise exception using errcode = 'PT400', detail = 'student_required', message = 'Name the student (student_id).';
  end if;
  if first_day > last_day or last_day - first_day > 365 then
    raise exception using errcode = 'PT400', detail = 'invalid_range',
      message = 'from_day must not be after to_day, and the range may span at most 366 days.';
  end if;
  return query
  with activity as (
    select (ws.started_at at time zone 'UTC')::date as d, ws.document_id,
           coalesce(ws.duration_seconds, 0) as seconds, ws.words_added as added, ws.words_removed as removed
      from app.writing_sessions ws
     where ws.user_id = who
       and ws.started_at >= (first_day::timestamp at time zone 'UTC')
       and ws.started_at < ((last_day + 1)::timestamp at time zone 'UTC')
       and (student_writing_analytics.course_id is null
            or ws.document_id in (select doc.id from app.documents doc where doc.course_id = student_writing_analytics.course_id))
  )
  select g.d::date, count(a.d)::integer, coalesce(sum(a.seconds), 0)::integer, coalesce(sum(a.added), 0)::integer,
         coalesce(sum(a.removed), 0)::integer, count(distinct a.document_id)::integer
    from pg_catalog.generate_series(first_day::timestamp, last_day::timestamp, interval '1 day') g(d)
    left join activity a on a.d = g.d::date
   group by g.d
   order by g.d;
end
$$;
comment on function api.student_writing_analytics(uuid, date, date, uuid) is
  'A student''s writing per UTC day (default: yourself, the last 30 days; optionally one course): sessions, total '
  'duration in seconds, words added and removed, documents worked on. Only sessions you may see count: your own, or '
  'your students'' in the courses you teach. 400 for a range over 366 days.';

create or replace function api.course_writing_analytics(
  course_id uuid,
  from_day date default null,
  to_day date default null
) returns table (
  day date,
  writers integer,
  sessions integer,
  total_duration_seconds integer,
  words_added integer,
  words_removed integer
)
language plpgsql stable
set search_path = ''
as $$
declare
  course app.courses;
  last_day date := coalesce(to_day, (pg_catalog.now() at time zone 'UTC')::date);
  first_day date := coalesce(from_day, last_day - 29);
begin
  select * into course from app.courses c where c.id = course_writing_analytics.course_id;
  if not found or not (course.instructor_id = auth.uid()
                       or (auth.jwt() ->> 'role' = 'admin' and course.institution_id = auth.institution_id())) then
    raise exception using errcode = 'PT404', detail = 'course_not_found', message = 'Course not found among the courses you teach.';
  end if;
  if first_day > last_day or last_day - first_day > 365 then
    raise exception using errcode = 'PT400', detail = 'invalid_range',
      message = 'from_day must not be after to_day, and the range may span at most 366 days.';
  end if;
  return query
  with activity as (
    select (ws.started_at at time zone 'UTC')::date as d, ws.user_id,
           coalesce(ws.duration_seconds, 0) as seconds, ws.words_added as added, ws.words_removed as removed
      from app.writing_sessions ws
      join app.documents doc on doc.id = ws.document_id
     where doc.course_id = course.id
       and ws.started_at >= (first_day::timestamp at time zone 'UTC')
       and ws.started_at < ((last_day + 1)::timestamp at time zone 'UTC')
  )
  select g.d::date, count(distinct a.user_id)::integer, count(a.d)::integer, coalesce(sum(a.seconds), 0)::integer,
         coalesce(sum(a.added), 0)::integer, coalesce(sum(a.removed), 0)::integer
    from pg_catalog.generate_series(first_day::timestamp, last_day::timestamp, interval '1 day') g(d)
    left join activity a on a.d = g.d::date
   group by g.d
   order by g.d;
end
$$;
comment on function api.course_writing_analytics(uuid, date, date) is
  'A course''s writing per UTC day (default: the last 30 days) for its educator or an admin: distinct writers, '
  'sessions, total duration in seconds, words added and removed. Per student: api.student_writing_analytics with '
  'course_id. 404 for a course you do not teach.';
