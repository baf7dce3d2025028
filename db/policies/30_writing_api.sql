-- Grants of the writing platform's HTTP contract (api views and workflow functions) and of its
-- reporting read models. Rows are decided by the app tables' policies (db/policies/20_writing.sql),
-- which the security_invoker views and the security invoker functions run under; this file says
-- which role may use which view columns and which function. EXECUTE is revoked from public first
-- (the default privileges do it too) and granted to the roles whose workflows use the function.
-- requires: writing

-- Helpers used by the views and workflows (schema app: not reachable over HTTP).
revoke execute on function
  app.course_enrollment_code(uuid), app.course_settings(uuid),
  app.notify_submission_party(uuid, text, text, text, text, text, jsonb, text, boolean),
  app.notify_assignment_published(uuid)
  from public;
grant execute on function app.course_enrollment_code(uuid), app.course_settings(uuid)
  to anon, authenticated, service_role;
grant execute on function app.notify_submission_party(uuid, text, text, text, text, text, jsonb, text, boolean)
  to student, educator, admin;
grant execute on function app.notify_assignment_published(uuid) to educator, admin;

-- Workflow functions --------------------------------------------------------------------------------
revoke execute on function
  api.enroll_with_code(text),
  api.course_dashboard(uuid),
  api.create_assignment_from_template(uuid, uuid, text, timestamptz, boolean, boolean),
  api.publish_assignment(uuid),
  api.search_templates(text, text[], integer, integer),
  api.start_submission(uuid),
  api.save_draft(uuid, text, text, timestamptz),
  api.submit_submission(uuid),
  api.return_submission(uuid, text),
  api.grade_submission(uuid, jsonb, text, numeric),
  api.add_comment(uuid, text, text, text, jsonb, uuid),
  api.reply_to_comment(uuid, text),
  api.resolve_comment(uuid, boolean),
  api.mark_notifications_read(uuid[]),
  api.student_writing_analytics(uuid, date, date, uuid),
  api.course_writing_analytics(uuid, date, date)
  from public;
grant execute on function api.enroll_with_code(text) to student;
grant execute on function
  api.start_submission(uuid), api.save_draft(uuid, text, text, timestamptz), api.submit_submission(uuid)
  to student;
grant execute on function
  api.create_assignment_from_template(uuid, uuid, text, timestamptz, boolean, boolean), api.publish_assignment(uuid),
  api.course_dashboard(uuid), api.course_writing_analytics(uuid, date, date)
  to educator, admin;
grant execute on function api.return_submission(uuid, text), api.grade_submission(uuid, jsonb, text, numeric)
  to educator;
grant execute on function api.add_comment(uuid, text, text, text, jsonb, uuid), api.reply_to_comment(uuid, text)
  to student, educator, admin;
grant execute on function api.resolve_comment(uuid, boolean) to student, educator;
grant execute on function api.mark_notifications_read(uuid[]) to authenticated;
grant execute on function api.student_writing_analytics(uuid, date, date, uuid) to student, educator, admin;
grant execute on function api.search_templates(text, text[], integer, integer) to anon, authenticated;

-- api views -----------------------------------------------------------------------------------------
-- courses: settings and enrollment_code are computed (read-only) columns.
grant select on api.courses to anon, authenticated;
grant insert (instructor_id, title, description, subject, is_public, max_students, starts_on, ends_on, status, is_active, tags),
      update (title, description, subject, is_public, max_students, starts_on, ends_on, status, is_active, tags),
      delete
  on api.courses to educator, admin;

grant select on api.course_enrollments to authenticated;
grant update (status) on api.course_enrollments to student, educator, admin;
grant insert (course_id, student_id, status), delete on api.course_enrollments to educator, admin;

grant select on api.assignment_templates to anon, authenticated;
grant insert (instructor_id, title, description, instructions, requirements, writing_stages, learning_objectives,
              ai_settings, grading_criteria, is_public, tags),
      update (title, description, instructions, requirements, writing_stages, learning_objectives, ai_settings,
              grading_criteria, is_public, tags),
      delete
  on api.assignment_templates to educator, admin;

grant select on api.assignments to authenticated;
grant insert (course_id, template_id, title, description, instructions, requirements, writing_stages,
              learning_objectives, ai_settings, grading_criteria, due_at, stage_due_dates, allow_late_submissions,
              status, type, collaboration_settings, version_control_settings),
      update (title, description, instructions, requirements, writing_stages, learning_objectives, ai_settings,
              grading_criteria, due_at, stage_due_dates, allow_late_submissions, status, type,
              collaboration_settings, version_control_settings),
      delete
  on api.assignments to educator, admin;

-- submissions change only through the workflow functions.
grant select on api.submissions to authenticated;

grant select on api.documents to authenticated;
grant insert (course_id, assignment_id, submission_id, title, content, type, settings, metadata),
      update (title, content, type, status, settings, metadata),
      delete
  on api.documents to authenticated;

grant select on api.document_versions to authenticated;

grant select on api.writing_sessions to authenticated;
grant insert (document_id, started_at, ended_at, words_added, words_removed, activity, snapshots, productivity),
      update (ended_at, words_added, words_removed, activity, snapshots, productivity)
  on api.writing_sessions to authenticated;

grant select on api.submission_comments to authenticated;
grant update (content, highlighted_text, "position"), delete on api.submission_comments to authenticated;

grant select on api.notifications to authenticated;
grant update (status), delete on api.notifications to authenticated;

grant select on api.courses, api.course_enrollments, api.assignment_templates, api.assignments, api.submissions,
  api.documents, api.document_versions, api.writing_sessions, api.submission_comments, api.notifications
  to service_role;

-- reporting: readable by the reporting role, and by nothing else ------------------------------------
revoke all on reporting.course_progress, reporting.submission_status_by_assignment, reporting.grading_turnaround,
  reporting.writing_activity_by_day
  from public, anon, authenticated, student, educator, admin, service_role;
grant select on reporting.course_progress, reporting.submission_status_by_assignment, reporting.grading_turnaround,
  reporting.writing_activity_by_day
  to reporting;

-- The materialized daily activity exists once the writing_reporting change is deployed (this file
-- needs only `writing`, so the grants above still apply to a database migrated down to it).
do $grants$
begin
  if pg_catalog.to_regclass('reporting.daily_writing_activity') is not null then
    revoke all on reporting.daily_writing_activity from public, anon, authenticated, student, educator, admin, service_role;
    grant select on reporting.daily_writing_activity to reporting;
    revoke execute on function reporting.refresh_daily_writing_activity() from public;
    grant execute on function reporting.refresh_daily_writing_activity() to service_role;
  end if;
end
$grants$;
