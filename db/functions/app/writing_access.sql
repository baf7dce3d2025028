-- Membership helpers for the writing platform's row-level security. Each returns the set of ids
-- the current user (auth.uid(), inside their institution auth.institution_id()) is related to,
-- and is security definer so that a policy can ask "is this row one of mine?" without running
-- the policies of the tables it reads (which would recurse). Policies call them as
-- `col in (select app.my_course_ids())`, which PostgreSQL evaluates once per statement.
-- PL/pgSQL, not SQL: PostgreSQL 15-17 parse and plan the body of a non-inlinable SQL function at
-- every call, and a save_draft calls these about twenty times (about 5 ms of planning on the large
-- demo); PL/pgSQL keeps each body's plan for the session.
-- requires: writing

create or replace function app.my_taught_course_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
  select c.id from app.courses c
   where c.instructor_id = auth.uid() and c.institution_id = auth.institution_id();
end
$$;
comment on function app.my_taught_course_ids() is 'Courses the current user teaches.';

create or replace function app.my_enrolled_course_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
  select e.course_id from app.course_enrollments e
   where e.student_id = auth.uid() and e.institution_id = auth.institution_id()
     and e.status in ('active', 'completed');
end
$$;
comment on function app.my_enrolled_course_ids() is 'Courses the current user is enrolled in (active or completed; not dropped).';

create or replace function app.my_course_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
  select app.my_taught_course_ids()
  union
  select app.my_enrolled_course_ids();
end
$$;
comment on function app.my_course_ids() is 'Courses the current user teaches or is enrolled in.';

create or replace function app.course_member_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
  with mine as (select app.my_course_ids() as course_id)
  select c.instructor_id from app.courses c join mine on mine.course_id = c.id
  union
  select e.student_id from app.course_enrollments e join mine on mine.course_id = e.course_id
   where e.status in ('active', 'completed');
end
$$;
comment on function app.course_member_ids() is
  'User ids of everyone who shares a course with the current user: the instructors and enrolled students of their courses (themselves included).';

create or replace function app.my_taught_assignment_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
  select a.id from app.assignments a where a.course_id in (select app.my_taught_course_ids());
end
$$;
comment on function app.my_taught_assignment_ids() is 'Assignments in the courses the current user teaches.';

create or replace function app.my_submission_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
  select s.id from app.assignment_submissions s
   where s.author_id = auth.uid() and s.institution_id = auth.institution_id()
  union
  select sc.submission_id from app.submission_collaborators sc
   where sc.user_id = auth.uid() and sc.institution_id = auth.institution_id();
end
$$;
comment on function app.my_submission_ids() is 'Submissions the current user wrote or that are shared with them.';

create or replace function app.my_editable_submission_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
  select s.id from app.assignment_submissions s
   where s.author_id = auth.uid() and s.institution_id = auth.institution_id()
  union
  select sc.submission_id from app.submission_collaborators sc
   where sc.user_id = auth.uid() and sc.institution_id = auth.institution_id() and sc.permission = 'edit';
end
$$;
comment on function app.my_editable_submission_ids() is 'Submissions the current user wrote or may edit as a collaborator.';

create or replace function app.my_document_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
  select d.id from app.documents d
   where d.author_id = auth.uid() and d.institution_id = auth.institution_id()
  union
  select dc.document_id from app.document_collaborators dc
   where dc.user_id = auth.uid() and dc.institution_id = auth.institution_id();
end
$$;
comment on function app.my_document_ids() is 'Documents the current user wrote or that are shared with them.';

create or replace function app.my_editable_document_ids() returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
  select d.id from app.documents d
   where d.author_id = auth.uid() and d.institution_id = auth.institution_id()
  union
  select dc.document_id from app.document_collaborators dc
   where dc.user_id = auth.uid() and dc.institution_id = auth.institution_id() and dc.permission = 'edit';
end
$$;
comment on function app.my_editable_document_ids() is 'Documents the current user wrote or may edit as a collaborator.';

create or replace function app.assignment_rules(p_assignment_id uuid)
returns table (course_id uuid, instructor_id uuid, status text, due_at timestamptz, allow_late_submissions boolean)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
  select a.course_id, c.instructor_id, a.status, a.due_at, a.allow_late_submissions
    from app.assignments a join app.courses c on c.id = a.course_id
   where a.id = p_assignment_id and a.institution_id = auth.institution_id();
end
$$;
comment on function app.assignment_rules(uuid) is
  'What the submission rules need to know about an assignment of the caller''s institution (course, its educator, status, due date, late work), even one the caller may not read.';

create or replace function app.is_request_role() returns boolean
language sql stable
set search_path = ''
as $$
  select current_user::text in ('anon', 'authenticated', 'student', 'educator', 'admin')
$$;
comment on function app.is_request_role() is
  'Whether the statement runs as an end user''s role (not as the owner, service_role or another trusted job). Security invoker on purpose.';
