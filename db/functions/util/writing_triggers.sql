-- The triggers of the writing tables (and the role audit of app.profiles), wired to the shared
-- util.tg__* functions and the table rules in db/functions/app/writing_rules.sql. This file sits in
-- util/ because stateless files run in path order and a trigger can only be created once its
-- function exists: functions/app/* and functions/util/{audit,request_defaults,timestamps}.sql come first.
-- Names `_NNN_<what>` make the firing order explicit (PostgreSQL fires a table's triggers of one
-- kind in name order): _005 defaults, _010 timestamps, _100 validation, _200 rules, _800 derived
-- writes, _900 audit.
-- requires: writing

-- courses
create or replace trigger _005_fill_request_defaults before insert on app.courses
  for each row execute function util.tg__fill_request_defaults('instructor_id');
create or replace trigger _010_set_updated_at before update on app.courses
  for each row execute function util.tg__set_updated_at();
create or replace trigger _200_check_capacity before update of max_students, enrolled_count on app.courses
  for each row execute function app.tg_courses__check_capacity();

-- course_enrollments
create or replace trigger _005_fill_request_defaults before insert on app.course_enrollments
  for each row execute function util.tg__fill_request_defaults('student_id');
create or replace trigger _010_set_updated_at before update on app.course_enrollments
  for each row execute function util.tg__set_updated_at();
-- Seats are counted AFTER the row is written: a BEFORE INSERT trigger also fires for rows that then
-- meet ON CONFLICT (skipped, or turned into an update), which counted a place twice on upserts.
drop trigger if exists _200_count_seats on app.course_enrollments;
create or replace trigger _800_count_seats after insert or update of status, course_id or delete on app.course_enrollments
  for each row execute function app.tg_course_enrollments__count_seats();

-- assignment_templates
create or replace trigger _005_fill_request_defaults before insert on app.assignment_templates
  for each row execute function util.tg__fill_request_defaults('instructor_id');
create or replace trigger _010_set_updated_at before update on app.assignment_templates
  for each row execute function util.tg__set_updated_at();
create or replace trigger _100_validate
  before insert or update of requirements, writing_stages, learning_objectives, grading_criteria on app.assignment_templates
  for each row execute function app.tg_assignment_templates__validate();

-- assignments
create or replace trigger _005_fill_request_defaults before insert on app.assignments
  for each row execute function util.tg__fill_request_defaults('instructor_id');
create or replace trigger _010_set_updated_at before update on app.assignments
  for each row execute function util.tg__set_updated_at();
create or replace trigger _100_validate
  before insert or update of requirements, writing_stages, learning_objectives, grading_criteria, stage_due_dates
  on app.assignments
  for each row execute function app.tg_assignments__validate();
create or replace trigger _200_check_template before insert or update of template_id, status on app.assignments
  for each row execute function app.tg_assignments__check_template();
create or replace trigger _800_count_template_use after insert on app.assignments
  for each row when (new.template_id is not null) execute function app.tg_assignments__count_template_use();
create or replace trigger _801_count_template_change after update of template_id on app.assignments
  for each row when (new.template_id is not null and new.template_id is distinct from old.template_id)
  execute function app.tg_assignments__count_template_use();

-- assignment_submissions
create or replace trigger _005_fill_request_defaults before insert on app.assignment_submissions
  for each row execute function util.tg__fill_request_defaults('author_id');
create or replace trigger _010_set_updated_at before update on app.assignment_submissions
  for each row execute function util.tg__set_updated_at();
create or replace trigger _200_enforce_workflow before insert or update on app.assignment_submissions
  for each row execute function app.tg_assignment_submissions__enforce_workflow();
create or replace trigger _900_audit_grade after update on app.assignment_submissions
  for each row
  when ((old.grade, old.feedback, old.rubric_scores, old.status) is distinct from (new.grade, new.feedback, new.rubric_scores, new.status)
        and (new.status in ('returned', 'graded') or old.status in ('returned', 'graded')
             or (old.grade, old.feedback, old.rubric_scores) is distinct from (new.grade, new.feedback, new.rubric_scores)))
  execute function util.tg__audit('status', 'grade', 'feedback', 'rubric_scores', 'graded_by', 'graded_at', 'assignment_id', 'author_id');
create or replace trigger _901_audit_grade_insert after insert on app.assignment_submissions
  for each row when (new.grade is not null)
  execute function util.tg__audit('status', 'grade', 'feedback', 'rubric_scores', 'graded_by', 'graded_at', 'assignment_id', 'author_id');

-- submission_collaborators
create or replace trigger _005_fill_request_defaults before insert on app.submission_collaborators
  for each row execute function util.tg__fill_request_defaults();
create or replace trigger _010_set_updated_at before update on app.submission_collaborators
  for each row execute function util.tg__set_updated_at();

-- documents
create or replace trigger _005_fill_request_defaults before insert on app.documents
  for each row execute function util.tg__fill_request_defaults('author_id');
create or replace trigger _010_set_updated_at before update on app.documents
  for each row execute function util.tg__set_updated_at();
create or replace trigger _200_bump_version before insert or update on app.documents
  for each row execute function app.tg_documents__bump_version();
create or replace trigger _800_write_version after insert or update of title, content on app.documents
  for each row execute function app.tg_documents__write_version();

-- document_collaborators
create or replace trigger _005_fill_request_defaults before insert on app.document_collaborators
  for each row execute function util.tg__fill_request_defaults();
create or replace trigger _010_set_updated_at before update on app.document_collaborators
  for each row execute function util.tg__set_updated_at();

-- document_versions (written by the documents trigger; nobody else inserts)
create or replace trigger _010_set_updated_at before update on app.document_versions
  for each row execute function util.tg__set_updated_at();

-- writing_sessions (row triggers on the partitioned table apply to every partition)
create or replace trigger _005_fill_request_defaults before insert on app.writing_sessions
  for each row execute function util.tg__fill_request_defaults('user_id');
create or replace trigger _010_set_updated_at before update on app.writing_sessions
  for each row execute function util.tg__set_updated_at();

-- submission_comments
create or replace trigger _005_fill_request_defaults before insert on app.submission_comments
  for each row execute function util.tg__fill_request_defaults('author_id');
create or replace trigger _010_set_updated_at before update on app.submission_comments
  for each row execute function util.tg__set_updated_at();
create or replace trigger _200_guard before insert or update on app.submission_comments
  for each row execute function app.tg_submission_comments__guard();

-- notifications
create or replace trigger _005_fill_request_defaults before insert on app.notifications
  for each row execute function util.tg__fill_request_defaults('sender_id');
create or replace trigger _010_set_updated_at before update on app.notifications
  for each row execute function util.tg__set_updated_at();
create or replace trigger _200_mark_read before insert or update of status on app.notifications
  for each row execute function app.tg_notifications__mark_read();

-- audit: append-only
create or replace trigger _000_append_only before update or delete on audit.changes
  for each row execute function util.tg__append_only();
create or replace trigger _000_append_only_truncate before truncate on audit.changes
  for each statement execute function util.tg__append_only();

-- role changes are audited
create or replace trigger _900_audit_role after update of role on app.profiles
  for each row when (old.role is distinct from new.role) execute function util.tg__audit('role', 'institution_id');
