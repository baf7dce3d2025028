-- Course workflows: enrol with a code (students) and the course dashboard (educators, admins).
-- POST /rpc/enroll_with_code {"code": "ESSAY101"}; GET /rpc/course_dashboard?course_id=…
-- requires: writing

create or replace function api.enroll_with_code(code text) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  institution uuid := auth.institution_id();
  wanted text := pg_catalog.upper(pg_catalog.btrim(coalesce(enroll_with_code.code, '')));
  course app.courses;
  enrolment app.course_enrollments;
begin
  -- Security definer, deliberately: a student cannot see a private course before joining it, and
  -- the enrolment policies let students add themselves to public courses only. Knowing the code is
  -- the permission; the checks below are the rest of it (signed-in student, own institution).
  if uid is null or institution is null or auth.jwt() ->> 'role' is distinct from 'student' then
    raise exception using errcode = '42501', detail = 'not_student',
      message = 'Only a signed-in student can enrol in a course with a code.';
  end if;
  if wanted = '' then
    raise exception using errcode = 'PT400', detail = 'code_required',
      message = 'Enter the enrollment code your educator gave you.';
  end if;
  select * into course from app.courses c where c.institution_id = institution and c.enrollment_code = wanted;
  if not found then
    raise exception using errcode = 'PT404', detail = 'unknown_code',
      message = pg_catalog.format('No course of your institution has the enrollment code "%s".', wanted),
      hint = 'Check the code with your educator: it is 6 to 16 letters and digits.';
  end if;
  select * into enrolment from app.course_enrollments e
   where e.course_id = course.id and e.student_id = uid for update;
  if found and enrolment.status = 'active' then
    raise exception using errcode = 'PT409', detail = 'already_enrolled',
      message = pg_catalog.format('You are already enrolled in "%s".', course.title);
  elsif found and enrolment.status = 'completed' then
    raise exception using errcode = 'PT409', detail = 'already_completed',
      message = pg_catalog.format('You have already completed "%s".', course.title);
  elsif found then  -- dropped earlier: rejoin (the enrolment trigger takes a place, or refuses when full)
    update app.course_enrollments set status = 'active', enrolled_at = pg_catalog.now()
     where id = enrolment.id returning * into enrolment;
  else
    begin
      insert into app.course_enrollments (institution_id, course_id, student_id, status)
      values (institution, course.id, uid, 'active')
      returning * into enrolment;
    exception when unique_violation then  -- a parallel call of the same student won
      raise exception using errcode = 'PT409', detail = 'already_enrolled',
        message = pg_catalog.format('You are already enrolled in "%s".', course.title);
    end;
  end if;
  return pg_catalog.jsonb_build_object(
    'enrollment', pg_catalog.jsonb_build_object('id', enrolment.id, 'course_id', enrolment.course_id,
      'student_id', enrolment.student_id, 'status', enrolment.status, 'enrolled_at', enrolment.enrolled_at),
    'course', pg_catalog.jsonb_build_object('id', course.id, 'title', course.title, 'description', course.description,
      'subject', course.subject, 'instructor_id', course.instructor_id, 'status', course.status,
      'starts_on', course.starts_on, 'ends_on', course.ends_on));
end
$$;
comment on function api.enroll_with_code(text) is
  'Enrols the signed-in student in the course of their institution with this enrollment code (case-insensitive); '
  'a dropped enrolment is reactivated. Returns {enrollment, course}. Refusals: 404 unknown code, 409 already enrolled, '
  'course full or closed. Security definer: the code is the permission to join a course the student cannot see yet.';

create or replace function api.course_dashboard(course_id uuid) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  course app.courses;
  result jsonb;
begin
  select * into course from app.courses c where c.id = course_dashboard.course_id;
  if not found or not (course.instructor_id = auth.uid()
                       or (auth.jwt() ->> 'role' = 'admin' and course.institution_id = auth.institution_id())) then
    raise exception using errcode = 'PT404', detail = 'course_not_found',
      message = 'Course not found among the courses you teach.';
  end if;
  with assignments as (
    select a.id, a.title, a.status from app.assignments a where a.course_id = course.id
  ), submissions as (
    select s.id, s.assignment_id, s.author_id, s.status, s.grade, s.submitted_at, s.returned_at, s.graded_at
      from app.assignment_submissions s where s.assignment_id in (select id from assignments)
  ), activity as (
    select e.enrolled_at as at, 'enrolled' as kind, e.student_id as user_id, null::uuid as assignment_id,
           null::uuid as submission_id, null::text as detail
      from app.course_enrollments e where e.course_id = course.id
    union all
    select s.submitted_at, 'submitted', s.author_id, s.assignment_id, s.id, null from submissions s where s.submitted_at is not null
    union all
    select s.returned_at, 'returned', s.author_id, s.assignment_id, s.id, null from submissions s where s.returned_at is not null
    union all
    select s.graded_at, 'graded', s.author_id, s.assignment_id, s.id, s.grade::text from submissions s where s.graded_at is not null
    union all
    select sc.created_at, 'commented', sc.author_id, s.assignment_id, s.id, pg_catalog.left(sc.content, 140)
      from app.submission_comments sc join submissions s on s.id = sc.submission_id
    union all
    select v.created_at, 'saved_version', v.author_id, d.assignment_id, d.submission_id, v.change_summary
      from app.document_versions v join app.documents d on d.id = v.document_id
     where d.course_id = course.id and v.version_number > 1
  )
  select pg_catalog.jsonb_build_object(
    'course', pg_catalog.jsonb_build_object('id', course.id, 'title', course.title, 'status', course.status,
      'is_active', course.is_active, 'max_students', course.max_students, 'starts_on', course.starts_on,
      'ends_on', course.ends_on),
    'enrollments', (select pg_catalog.jsonb_build_object(
        'active', count(*) filter (where e.status = 'active'),
        'dropped', count(*) filter (where e.status = 'dropped'),
        'completed', count(*) filter (where e.status = 'completed'),
        'capacity', course.max_students)
      from app.course_enrollments e where e.course_id = course.id),
    'assignments_by_status', (select pg_catalog.jsonb_object_agg(st, (select count(*) from assignments a where a.status = st))
      from pg_catalog.unnest(array['draft', 'published', 'in_progress', 'completed', 'archived']) st),
    'submissions_by_status', (select pg_catalog.jsonb_object_agg(st, (select count(*) from submissions s where s.status = st))
      from pg_catalog.unnest(array['not_started', 'in_progress', 'submitted', 'returned', 'graded']) st),
    'awaiting_grading', (select count(*) from submissions s where s.status = 'submitted'),
    'average_grade', (select pg_catalog.round(avg(s.grade), 2) from submissions s where s.status = 'graded'),
    'recent_activity', coalesce((select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(r) order by r.at desc)
      from (select * from activity order by at desc limit 20) r), '[]'))
  into result;
  return result;
end
$$;
comment on function api.course_dashboard(uuid) is
  'One course at a glance for its educator (or an admin of its institution): enrolments by status and capacity, '
  'assignments and submissions by status, work awaiting grading, the average grade of graded work, and the 20 latest '
  'events (enrolled, submitted, returned, graded, commented, saved_version). 404 for a course the caller does not teach.';
