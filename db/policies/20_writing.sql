-- Row-level security and grants of the writing platform.
--
-- Institutions are isolated first: a RESTRICTIVE policy per table (`tenant_*`) ANDs
-- `institution_id = auth.institution_id()` into every command of the signed-in roles (public courses
-- and templates excepted for reading). Then permissive policies by role and relationship:
--   students  see courses they are enrolled in, the published assignments of those courses, their
--             own and shared submissions, documents and writing sessions, and comments on their work;
--   educators manage their own courses and everything under them;
--   admins    see (and manage courses, enrolments, templates and assignments of) their institution;
--   anon      sees public courses and public templates only (through api views).
-- Membership is asked through the security definer helpers in db/functions/app/writing_access.sql.
-- "Visible through another table" is asked as `exists (select from app.t where t.id = <table>.<col>)`:
-- one index probe per row. (`col in (select id from app.t)` made PostgreSQL evaluate app.t's policies
-- over the whole institution on every statement: 20-50 ms per save_draft on the large demo.)
-- Grants list columns; ownership columns (author_id, student_id, ...) are not updatable, and the
-- `with check` of each policy keeps the rest (instructor_id, course_id) within what the user owns.
-- requires: writing

-- Functions the policies and the security-invoker triggers call as the requesting user.
grant execute on function
  app.my_taught_course_ids(), app.my_enrolled_course_ids(), app.my_course_ids(), app.course_member_ids(),
  app.my_taught_assignment_ids(), app.my_submission_ids(), app.my_editable_submission_ids(),
  app.my_document_ids(), app.my_editable_document_ids(), app.assignment_rules(uuid), app.is_request_role(),
  app.is_integer(jsonb), app.is_nonblank_string(jsonb), app.is_string_array(jsonb),
  app.learning_objectives_problems(jsonb, text), app.writing_stages_problems(jsonb, text),
  app.requirements_problems(jsonb, text), app.grading_criteria_problems(jsonb, text),
  app.stage_due_dates_problems(jsonb, text), app.assignment_design_problems(jsonb, jsonb, jsonb, jsonb),
  app.raise_problems(text[]), app.word_changes(text, text), app.tags_search_text(text[])
  to authenticated, service_role;
grant execute on function app.create_writing_session_partitions(integer, integer) to service_role;

-- courses ----------------------------------------------------------------------------------------
drop policy if exists tenant_select on app.courses;
create policy tenant_select on app.courses as restrictive for select to authenticated
  using (institution_id = (select auth.institution_id()) or is_public);
drop policy if exists tenant_insert on app.courses;
create policy tenant_insert on app.courses as restrictive for insert to authenticated
  with check (institution_id = (select auth.institution_id()));
drop policy if exists tenant_update on app.courses;
create policy tenant_update on app.courses as restrictive for update to authenticated
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
drop policy if exists tenant_delete on app.courses;
create policy tenant_delete on app.courses as restrictive for delete to authenticated
  using (institution_id = (select auth.institution_id()));
drop policy if exists select_public on app.courses;
create policy select_public on app.courses for select to anon, authenticated
  using (is_public);
drop policy if exists select_member on app.courses;
create policy select_member on app.courses for select to authenticated
  using (id in (select app.my_course_ids()));
drop policy if exists insert_own_educator on app.courses;
create policy insert_own_educator on app.courses for insert to educator
  with check (instructor_id = (select auth.uid()));
drop policy if exists update_own_educator on app.courses;
create policy update_own_educator on app.courses for update to educator
  using (instructor_id = (select auth.uid())) with check (instructor_id = (select auth.uid()));
drop policy if exists delete_own_educator on app.courses;
create policy delete_own_educator on app.courses for delete to educator
  using (instructor_id = (select auth.uid()));
drop policy if exists manage_institution_admin on app.courses;
create policy manage_institution_admin on app.courses for all to admin
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
grant select (id, institution_id, instructor_id, title, description, subject, is_public, max_students, enrolled_count,
              starts_on, ends_on, status, is_active, tags, created_at, updated_at)
  on app.courses to anon;
grant select on app.courses to authenticated;
grant insert (institution_id, instructor_id, title, description, subject, is_public, max_students, starts_on, ends_on,
              settings, status, is_active, enrollment_code, tags),
      update (instructor_id, title, description, subject, is_public, max_students, starts_on, ends_on,
              settings, status, is_active, enrollment_code, tags),
      delete
  on app.courses to educator, admin;

-- course_enrollments -----------------------------------------------------------------------------
drop policy if exists tenant_isolation on app.course_enrollments;
create policy tenant_isolation on app.course_enrollments as restrictive for all to authenticated
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
drop policy if exists select_own on app.course_enrollments;
create policy select_own on app.course_enrollments for select to student
  using (student_id = (select auth.uid()));
drop policy if exists insert_self_public on app.course_enrollments;
create policy insert_self_public on app.course_enrollments for insert to student
  with check (student_id = (select auth.uid()) and status = 'active'
              and exists (select from app.courses c where c.id = course_enrollments.course_id and c.is_public));
drop policy if exists update_own on app.course_enrollments;
create policy update_own on app.course_enrollments for update to student
  using (student_id = (select auth.uid()))
  with check (student_id = (select auth.uid()) and status in ('active', 'dropped'));
drop policy if exists manage_taught on app.course_enrollments;
create policy manage_taught on app.course_enrollments for all to educator
  using (course_id in (select app.my_taught_course_ids()))
  with check (course_id in (select app.my_taught_course_ids()));
drop policy if exists manage_institution_admin on app.course_enrollments;
create policy manage_institution_admin on app.course_enrollments for all to admin
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
grant select on app.course_enrollments to authenticated;
grant insert (institution_id, course_id, student_id, status, enrolled_at), update (status)
  on app.course_enrollments to student, educator, admin;
grant delete on app.course_enrollments to educator, admin;

-- assignment_templates ---------------------------------------------------------------------------
drop policy if exists tenant_select on app.assignment_templates;
create policy tenant_select on app.assignment_templates as restrictive for select to authenticated
  using (institution_id = (select auth.institution_id()) or is_public);
drop policy if exists tenant_insert on app.assignment_templates;
create policy tenant_insert on app.assignment_templates as restrictive for insert to authenticated
  with check (institution_id = (select auth.institution_id()));
drop policy if exists tenant_update on app.assignment_templates;
create policy tenant_update on app.assignment_templates as restrictive for update to authenticated
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
drop policy if exists tenant_delete on app.assignment_templates;
create policy tenant_delete on app.assignment_templates as restrictive for delete to authenticated
  using (institution_id = (select auth.institution_id()));
drop policy if exists select_public on app.assignment_templates;
create policy select_public on app.assignment_templates for select to anon, authenticated
  using (is_public);
drop policy if exists select_institution_educator on app.assignment_templates;
create policy select_institution_educator on app.assignment_templates for select to educator
  using (institution_id = (select auth.institution_id()));
drop policy if exists insert_own_educator on app.assignment_templates;
create policy insert_own_educator on app.assignment_templates for insert to educator
  with check (instructor_id = (select auth.uid()));
drop policy if exists update_own_educator on app.assignment_templates;
create policy update_own_educator on app.assignment_templates for update to educator
  using (instructor_id = (select auth.uid())) with check (instructor_id = (select auth.uid()));
drop policy if exists delete_own_educator on app.assignment_templates;
create policy delete_own_educator on app.assignment_templates for delete to educator
  using (instructor_id = (select auth.uid()));
drop policy if exists manage_institution_admin on app.assignment_templates;
create policy manage_institution_admin on app.assignment_templates for all to admin
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
grant select on app.assignment_templates to anon, authenticated;
grant insert (institution_id, instructor_id, title, description, instructions, requirements, writing_stages,
              learning_objectives, ai_settings, grading_criteria, is_public, tags),
      update (title, description, instructions, requirements, writing_stages, learning_objectives, ai_settings,
              grading_criteria, is_public, tags),
      delete
  on app.assignment_templates to educator, admin;
grant update (instructor_id) on app.assignment_templates to admin;

-- assignments ------------------------------------------------------------------------------------
drop policy if exists tenant_isolation on app.assignments;
create policy tenant_isolation on app.assignments as restrictive for all to authenticated
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
drop policy if exists select_published_enrolled on app.assignments;
create policy select_published_enrolled on app.assignments for select to student
  using (status in ('published', 'in_progress', 'completed') and course_id in (select app.my_enrolled_course_ids()));
drop policy if exists manage_taught on app.assignments;
create policy manage_taught on app.assignments for all to educator
  using (course_id in (select app.my_taught_course_ids()))
  with check (course_id in (select app.my_taught_course_ids()) and instructor_id = (select auth.uid()));
drop policy if exists manage_institution_admin on app.assignments;
create policy manage_institution_admin on app.assignments for all to admin
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
grant select on app.assignments to authenticated;
grant insert (institution_id, course_id, instructor_id, template_id, title, description, instructions, requirements,
              writing_stages, learning_objectives, ai_settings, grading_criteria, due_at, stage_due_dates,
              allow_late_submissions, status, type, collaboration_settings, version_control_settings),
      update (template_id, title, description, instructions, requirements, writing_stages, learning_objectives,
              ai_settings, grading_criteria, due_at, stage_due_dates, allow_late_submissions, status, type,
              collaboration_settings, version_control_settings),
      delete
  on app.assignments to educator, admin;
grant update (instructor_id) on app.assignments to admin;

-- assignment_submissions -------------------------------------------------------------------------
drop policy if exists tenant_isolation on app.assignment_submissions;
create policy tenant_isolation on app.assignment_submissions as restrictive for all to authenticated
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
drop policy if exists select_own_or_shared on app.assignment_submissions;
create policy select_own_or_shared on app.assignment_submissions for select to student
  using (id in (select app.my_submission_ids()));
drop policy if exists insert_own on app.assignment_submissions;
create policy insert_own on app.assignment_submissions for insert to student
  with check (author_id = (select auth.uid()) and exists (select from app.assignments a where a.id = assignment_submissions.assignment_id));
drop policy if exists update_own_or_shared on app.assignment_submissions;
create policy update_own_or_shared on app.assignment_submissions for update to student
  using (id in (select app.my_editable_submission_ids()))
  with check (id in (select app.my_editable_submission_ids()));
drop policy if exists select_taught on app.assignment_submissions;
create policy select_taught on app.assignment_submissions for select to educator
  using (assignment_id in (select app.my_taught_assignment_ids()));
drop policy if exists update_taught on app.assignment_submissions;
create policy update_taught on app.assignment_submissions for update to educator
  using (assignment_id in (select app.my_taught_assignment_ids()))
  with check (assignment_id in (select app.my_taught_assignment_ids()));
drop policy if exists select_institution_admin on app.assignment_submissions;
create policy select_institution_admin on app.assignment_submissions for select to admin
  using (institution_id = (select auth.institution_id()));
grant select on app.assignment_submissions to authenticated;
grant insert (institution_id, assignment_id, author_id, title, content, status, collaboration_settings, milestones,
              analytics, ai_interactions),
      update (title, content, status, collaboration_settings, milestones, analytics, ai_interactions)
  on app.assignment_submissions to student;
grant update (status, grade, feedback, rubric_scores) on app.assignment_submissions to educator;

-- submission_collaborators -----------------------------------------------------------------------
drop policy if exists tenant_isolation on app.submission_collaborators;
create policy tenant_isolation on app.submission_collaborators as restrictive for all to authenticated
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
drop policy if exists select_visible_submission on app.submission_collaborators;
create policy select_visible_submission on app.submission_collaborators for select to authenticated
  using (exists (select from app.assignment_submissions s where s.id = submission_collaborators.submission_id));
drop policy if exists manage_own_submission on app.submission_collaborators;
create policy manage_own_submission on app.submission_collaborators for all to student
  using (exists (select from app.assignment_submissions s where s.id = submission_collaborators.submission_id and s.author_id = (select auth.uid())))
  with check (exists (select from app.assignment_submissions s where s.id = submission_collaborators.submission_id and s.author_id = (select auth.uid()))
              and user_id in (select app.course_member_ids()) and user_id <> (select auth.uid()));
grant select on app.submission_collaborators to authenticated;
grant insert (institution_id, submission_id, user_id, permission), update (permission), delete
  on app.submission_collaborators to student;

-- documents --------------------------------------------------------------------------------------
drop policy if exists tenant_isolation on app.documents;
create policy tenant_isolation on app.documents as restrictive for all to authenticated
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
drop policy if exists select_own_or_shared on app.documents;
create policy select_own_or_shared on app.documents for select to authenticated
  using (id in (select app.my_document_ids()));
drop policy if exists select_taught on app.documents;
create policy select_taught on app.documents for select to educator
  using (course_id in (select app.my_taught_course_ids()) or assignment_id in (select app.my_taught_assignment_ids()));
drop policy if exists select_institution_admin on app.documents;
create policy select_institution_admin on app.documents for select to admin
  using (institution_id = (select auth.institution_id()));
drop policy if exists insert_own on app.documents;
create policy insert_own on app.documents for insert to authenticated
  with check (author_id = (select auth.uid())
              and (course_id is null or course_id in (select app.my_course_ids()))
              and (assignment_id is null or exists (select from app.assignments a where a.id = documents.assignment_id))
              and (submission_id is null or submission_id in (select app.my_editable_submission_ids())));
drop policy if exists update_own_or_shared on app.documents;
create policy update_own_or_shared on app.documents for update to authenticated
  using (id in (select app.my_editable_document_ids()))
  with check (id in (select app.my_editable_document_ids())
              and (course_id is null or course_id in (select app.my_course_ids()))
              and (assignment_id is null or exists (select from app.assignments a where a.id = documents.assignment_id))
              and (submission_id is null or submission_id in (select app.my_editable_submission_ids())));
drop policy if exists delete_own on app.documents;
create policy delete_own on app.documents for delete to authenticated
  using (author_id = (select auth.uid()));
grant select on app.documents to authenticated;
grant insert (institution_id, author_id, course_id, assignment_id, submission_id, title, content, type, status,
              settings, metadata),
      update (course_id, assignment_id, submission_id, title, content, type, status, settings, metadata),
      delete
  on app.documents to authenticated;

-- document_collaborators -------------------------------------------------------------------------
drop policy if exists tenant_isolation on app.document_collaborators;
create policy tenant_isolation on app.document_collaborators as restrictive for all to authenticated
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
drop policy if exists select_visible_document on app.document_collaborators;
create policy select_visible_document on app.document_collaborators for select to authenticated
  using (exists (select from app.documents d where d.id = document_collaborators.document_id));
drop policy if exists manage_own_document on app.document_collaborators;
create policy manage_own_document on app.document_collaborators for all to authenticated
  using (exists (select from app.documents d where d.id = document_collaborators.document_id and d.author_id = (select auth.uid())))
  with check (exists (select from app.documents d where d.id = document_collaborators.document_id and d.author_id = (select auth.uid()))
              and user_id in (select app.course_member_ids()) and user_id <> (select auth.uid()));
grant select on app.document_collaborators to authenticated;
grant insert (institution_id, document_id, user_id, permission), update (permission), delete
  on app.document_collaborators to authenticated;

-- document_versions (written only by the documents trigger) --------------------------------------
drop policy if exists tenant_isolation on app.document_versions;
create policy tenant_isolation on app.document_versions as restrictive for all to authenticated
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
drop policy if exists select_visible_document on app.document_versions;
create policy select_visible_document on app.document_versions for select to authenticated
  using (exists (select from app.documents d where d.id = document_versions.document_id));
grant select on app.document_versions to authenticated;

-- writing_sessions -------------------------------------------------------------------------------
drop policy if exists tenant_isolation on app.writing_sessions;
create policy tenant_isolation on app.writing_sessions as restrictive for all to authenticated
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
drop policy if exists select_own on app.writing_sessions;
create policy select_own on app.writing_sessions for select to authenticated
  using (user_id = (select auth.uid()));
drop policy if exists select_visible_document on app.writing_sessions;
create policy select_visible_document on app.writing_sessions for select to authenticated
  using (exists (select from app.documents d where d.id = writing_sessions.document_id));
drop policy if exists insert_own on app.writing_sessions;
create policy insert_own on app.writing_sessions for insert to authenticated
  with check (user_id = (select auth.uid()) and document_id in (select app.my_editable_document_ids()));
drop policy if exists update_own on app.writing_sessions;
create policy update_own on app.writing_sessions for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
grant select on app.writing_sessions to authenticated;
grant insert (id, started_at, institution_id, document_id, user_id, ended_at, words_added, words_removed, activity,
              snapshots, productivity),
      update (ended_at, words_added, words_removed, activity, snapshots, productivity)
  on app.writing_sessions to authenticated;

-- submission_comments ----------------------------------------------------------------------------
drop policy if exists tenant_isolation on app.submission_comments;
create policy tenant_isolation on app.submission_comments as restrictive for all to authenticated
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
drop policy if exists select_visible_submission on app.submission_comments;
create policy select_visible_submission on app.submission_comments for select to authenticated
  using (exists (select from app.assignment_submissions s where s.id = submission_comments.submission_id));
drop policy if exists insert_own on app.submission_comments;
create policy insert_own on app.submission_comments for insert to authenticated
  with check (author_id = (select auth.uid()) and exists (select from app.assignment_submissions s where s.id = submission_comments.submission_id));
drop policy if exists update_visible_submission on app.submission_comments;
create policy update_visible_submission on app.submission_comments for update to student, educator
  using (exists (select from app.assignment_submissions s where s.id = submission_comments.submission_id))
  with check (exists (select from app.assignment_submissions s where s.id = submission_comments.submission_id));
drop policy if exists delete_own on app.submission_comments;
create policy delete_own on app.submission_comments for delete to authenticated
  using (author_id = (select auth.uid()));
grant select on app.submission_comments to authenticated;
grant insert (institution_id, submission_id, author_id, parent_id, type, content, highlighted_text, position, is_resolved),
      update (type, content, highlighted_text, position, is_resolved),
      delete
  on app.submission_comments to authenticated;

-- notifications ----------------------------------------------------------------------------------
drop policy if exists tenant_isolation on app.notifications;
create policy tenant_isolation on app.notifications as restrictive for all to authenticated
  using (institution_id = (select auth.institution_id())) with check (institution_id = (select auth.institution_id()));
drop policy if exists select_own on app.notifications;
create policy select_own on app.notifications for select to authenticated
  using (recipient_id = (select auth.uid()));
drop policy if exists update_own on app.notifications;
create policy update_own on app.notifications for update to authenticated
  using (recipient_id = (select auth.uid())) with check (recipient_id = (select auth.uid()));
drop policy if exists delete_own on app.notifications;
create policy delete_own on app.notifications for delete to authenticated
  using (recipient_id = (select auth.uid()));
drop policy if exists insert_to_course_member on app.notifications;
create policy insert_to_course_member on app.notifications for insert to educator
  with check (sender_id = (select auth.uid()) and recipient_id in (select app.course_member_ids()));
drop policy if exists select_institution_admin on app.notifications;
create policy select_institution_admin on app.notifications for select to admin
  using (institution_id = (select auth.institution_id()));
drop policy if exists insert_institution_admin on app.notifications;
create policy insert_institution_admin on app.notifications for insert to admin
  with check (sender_id = (select auth.uid()));
grant select on app.notifications to authenticated;
grant update (status), delete on app.notifications to authenticated;
grant insert (institution_id, recipient_id, sender_id, type, category, priority, title, message, context, intervention,
              related_metrics, action_required, expires_at)
  on app.notifications to educator, admin;

-- audit.changes: no policy, so no request role reads it; trusted jobs do (service_role bypasses RLS).
grant select on audit.changes to service_role;

-- Trusted server-side jobs (the worker, imports): everything in the writing tables.
grant select, insert, update, delete on app.courses, app.course_enrollments, app.assignment_templates, app.assignments,
  app.assignment_submissions, app.submission_collaborators, app.documents, app.document_collaborators,
  app.document_versions, app.writing_sessions, app.submission_comments, app.notifications
  to service_role;
