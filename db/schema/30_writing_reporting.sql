-- Declarative state of the reporting read models that hold data: the materialized daily writing
-- activity and its indexes. Equal to what migration 'writing_reporting' deploys.

create materialized view reporting.daily_writing_activity as
  select (ws.started_at at time zone 'UTC')::date as day,
         ws.institution_id,
         d.course_id,
         ws.user_id,
         count(*)::integer as sessions,
         coalesce(sum(ws.duration_seconds), 0)::bigint as total_duration_seconds,
         sum(ws.words_added)::bigint as words_added,
         sum(ws.words_removed)::bigint as words_removed,
         count(distinct ws.document_id)::integer as documents
    from app.writing_sessions ws
    join app.documents d on d.id = ws.document_id
   group by 1, 2, 3, 4;
comment on materialized view reporting.daily_writing_activity is
  'Writing per UTC day, institution, course and writer (from app.writing_sessions); refreshed by reporting.refresh_daily_writing_activity().';
comment on column reporting.daily_writing_activity.course_id is 'The course of the documents written; null for documents outside a course.';
comment on column reporting.daily_writing_activity.total_duration_seconds is 'Sum of the closed sessions'' durations (open sessions count 0).';
create unique index daily_writing_activity_key
  on reporting.daily_writing_activity (day, institution_id, course_id, user_id) nulls not distinct;
create index daily_writing_activity_institution_id_day_idx on reporting.daily_writing_activity (institution_id, day);
