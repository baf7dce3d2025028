-- Private helpers of the writing workflows and api views (schema app, so they are not exposed over
-- HTTP). They live beside the api functions that use them.
--   app.course_enrollment_code / app.course_settings: columns of api.courses that only some callers
--     may read (anon has no SELECT on app.courses.settings nor enrollment_code, and students must not
--     see the code); security definer so the view can show them to the right people and null to others.
--   app.notify_submission_party: writes the notification of a submission workflow step to the other
--     party (the course's educator, or the student). Security definer because a student may not
--     insert notifications, yet "submit" must notify the educator in the same transaction.
--   app.notify_assignment_published: security invoker (educators may notify their own students).
-- requires: writing

create or replace function app.course_enrollment_code(p_course_id uuid) returns text
language sql stable security definer
set search_path = ''
as $$
  select c.enrollment_code from app.courses c
   where c.id = p_course_id
     and c.institution_id = auth.institution_id()
     and (c.instructor_id = auth.uid() or auth.jwt() ->> 'role' = 'admin')
$$;
comment on function app.course_enrollment_code(uuid) is
  'The enrollment code of a course for its educator and the admins of its institution; null for everyone else. '
  'Security definer: anon and students have no right to the column, so api.courses reads it through this.';

create or replace function app.course_settings(p_course_id uuid) returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select c.settings from app.courses c
   where c.id = p_course_id and c.institution_id = auth.institution_id() and auth.uid() is not null
$$;
comment on function app.course_settings(uuid) is
  'A course''s settings for signed-in people of its institution (api.courses shows only rows they may see); '
  'null for anonymous visitors and other institutions. Security definer: anon has no right to the column.';

create or replace function app.notify_submission_party(
  p_submission_id uuid,
  p_to text,
  p_type text,
  p_category text,
  p_title text,
  p_message text default '',
  p_context jsonb default '{}',
  p_priority text default 'normal',
  p_action_required boolean default false
) returns uuid
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  target record;
  is_party boolean;
  recipient uuid;
  notification_id uuid;
begin
  select s.id, s.author_id, s.institution_id, a.id as assignment_id, a.course_id, c.instructor_id into target
    from app.assignment_submissions s
    join app.assignments a on a.id = s.assignment_id
    join app.courses c on c.id = a.course_id
   where s.id = p_submission_id and s.institution_id = auth.institution_id();
  if not found then
    raise exception using errcode = 'PT404', message = 'Submission not found.';
  end if;
  -- Only the people on a submission may notify each other about it.
  is_party := uid = target.author_id or uid = target.instructor_id
              or exists (select from app.submission_collaborators sc
                          where sc.submission_id = target.id and sc.user_id = uid);
  if uid is null or not is_party then
    raise exception using errcode = '42501', message = 'Only the student and the educator of a submission can notify each other about it.';
  end if;
  recipient := case p_to when 'educator' then target.instructor_id when 'author' then target.author_id end;
  if recipient is null then
    raise exception using errcode = 'PT400', message = pg_catalog.format('Unknown recipient %L (educator or author).', p_to);
  end if;
  if recipient = uid then
    return null;  -- nobody is notified of their own action
  end if;
  insert into app.notifications (institution_id, recipient_id, sender_id, type, category, priority, title, message,
                                 context, action_required)
  values (target.institution_id, recipient, uid, p_type, p_category, p_priority, p_title, coalesce(p_message, ''),
          pg_catalog.jsonb_build_object('courseId', target.course_id, 'assignmentId', target.assignment_id,
                                        'submissionId', target.id) || coalesce(p_context, '{}'),
          p_action_required)
  returning id into notification_id;
  return notification_id;
end
$$;
comment on function app.notify_submission_party(uuid, text, text, text, text, text, jsonb, text, boolean) is
  'Notifies the other party of a submission (p_to: educator = the course''s educator, author = the student) on behalf of '
  'the caller, who must be the submission''s author, a collaborator or the course''s educator. Returns the notification id '
  '(null when the recipient is the caller). Security definer: students may not insert notifications directly.';

create or replace function app.notify_assignment_published(p_assignment_id uuid) returns integer
language plpgsql volatile
set search_path = ''
as $$
declare
  notified integer;
begin
  insert into app.notifications (institution_id, recipient_id, sender_id, type, category, title, message, context,
                                 action_required)
  select a.institution_id, e.student_id, auth.uid(), 'assignment_published', 'assignment',
         pg_catalog.left('New assignment: ' || a.title, 200),
         case when a.due_at is null then 'A new assignment is open in your course.'
              else 'A new assignment is open in your course; it is due '
                   || pg_catalog.to_char(a.due_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') || '.' end,
         pg_catalog.jsonb_build_object('courseId', a.course_id, 'assignmentId', a.id), true
    from app.assignments a
    join app.course_enrollments e on e.course_id = a.course_id and e.status = 'active'
   where a.id = p_assignment_id;
  get diagnostics notified = row_count;
  return notified;
end
$$;
comment on function app.notify_assignment_published(uuid) is
  'Tells the active students of an assignment''s course that it is open; returns how many were notified. '
  'Security invoker: the educator (or admin) who publishes may notify their own students.';
