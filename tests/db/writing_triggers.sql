-- The writing tables' triggers: updated_at, document versions, word counts, the submission
-- workflow (due dates, late work, who returns and grades), course capacity, template usage,
-- Fixture (shared by the writing_*.sql files): two institutions; in North: educators e1 and e3,
-- students s1 and s2, admin a1; in South: educator e2, student s3. Built as the owner (no RLS).
insert into app.institutions (id, slug, name) values
  ('a0000000-0000-4000-8000-000000000001', 'north', 'North College'),
  ('a0000000-0000-4000-8000-000000000002', 'south', 'South College');
insert into auth.users (id, email)
select id::uuid, email from (values
  ('e0000000-0000-4000-8000-000000000001', 'e1@north.test'), ('e0000000-0000-4000-8000-000000000003', 'e3@north.test'),
  ('b0000000-0000-4000-8000-000000000001', 's1@north.test'), ('b0000000-0000-4000-8000-000000000002', 's2@north.test'),
  ('ad000000-0000-4000-8000-000000000001', 'a1@north.test'),
  ('e0000000-0000-4000-8000-000000000002', 'e2@south.test'), ('b0000000-0000-4000-8000-000000000003', 's3@south.test')
) as u(id, email);
insert into app.profiles (user_id, institution_id, role)
select u::uuid, i::uuid, r::app.user_role from (values
  ('e0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'educator'),
  ('e0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000001', 'educator'),
  ('b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'student'),
  ('b0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'student'),
  ('ad000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'admin'),
  ('e0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000002', 'educator'),
  ('b0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002', 'student')
) as p(u, i, r);
-- Courses: c1 (e1, private, 3 places), c2 (e1, public, 1 place), c4 (e3, private); c3 in South (e2).
insert into app.courses (id, institution_id, instructor_id, title, is_public, max_students, enrollment_code) values
  ('c0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'Essay Writing', false, 3, 'ESSAY101'),
  ('c0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'Open Poetry', true, 1, 'POETRY01'),
  ('c0000000-0000-4000-8000-000000000004', 'a0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000003', 'Rhetoric', false, 30, 'RHET0001'),
  ('c0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000002', 'South Essays', false, 30, 'SOUTH001');
insert into app.course_enrollments (institution_id, course_id, student_id) values
  ('a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001'),
  ('a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002'),
  ('a0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000003');
-- Templates: t1 (e1, public), t2 (e1, private), t3 (South, private).
insert into app.assignment_templates (id, institution_id, instructor_id, title, description, is_public, tags) values
  ('7e000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'Persuasive essay', 'Argue a position with evidence', true, '{argument,essays}'),
  ('7e000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'Lab report', 'Report an experiment', false, '{science}'),
  ('7e000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000002', 'South narrative', 'Tell a story', false, '{narrative}');
-- Assignments in c1: aa1 published (due in a week, from t1), aa2 draft, aa3 past due (no late work),
-- aa4 past due (late work allowed); aa5 in South.
insert into app.assignments (id, institution_id, course_id, instructor_id, template_id, title, status, due_at, allow_late_submissions) values
  ('aa000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', '7e000000-0000-4000-8000-000000000001', 'Argue it', 'published', now() + interval '7 days', false),
  ('aa000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', null, 'Not yet', 'draft', null, false),
  ('aa000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', null, 'Closed', 'published', now() - interval '1 day', false),
  ('aa000000-0000-4000-8000-000000000004', 'a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', null, 'Late ok', 'published', now() - interval '1 day', true),
  ('aa000000-0000-4000-8000-000000000005', 'a0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000003', 'e0000000-0000-4000-8000-000000000002', null, 'South work', 'published', null, false);
-- Submissions: 5b1 (s1 on aa1), 5b2 (s2 on aa1), 5b3 (s1 on aa3), 5b4 (s1 on aa4), 5b5 (s3 in South).
insert into app.assignment_submissions (id, institution_id, assignment_id, author_id, content, status) values
  ('5b000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'aa000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'My first draft', 'in_progress'),
  ('5b000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'aa000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 'Secret essay of s2', 'in_progress'),
  ('5b000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000001', 'aa000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000001', 'Too late', 'in_progress'),
  ('5b000000-0000-4000-8000-000000000004', 'a0000000-0000-4000-8000-000000000001', 'aa000000-0000-4000-8000-000000000004', 'b0000000-0000-4000-8000-000000000001', 'Late but fine', 'in_progress'),
  ('5b000000-0000-4000-8000-000000000005', 'a0000000-0000-4000-8000-000000000002', 'aa000000-0000-4000-8000-000000000005', 'b0000000-0000-4000-8000-000000000003', 'South work', 'in_progress');
-- Documents: d1 (s1, for 5b1), d2 (s2, in c1), d3 (s3, South).
insert into app.documents (id, institution_id, author_id, course_id, assignment_id, submission_id, title, content) values
  ('d0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'aa000000-0000-4000-8000-000000000001', '5b000000-0000-4000-8000-000000000001', 'Draft', 'one two three'),
  ('d0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000001', null, null, 'Notes of s2', 'private notes'),
  ('d0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000003', 'c0000000-0000-4000-8000-000000000003', null, null, 'South doc', 'south text');
insert into app.writing_sessions (institution_id, document_id, user_id, started_at, ended_at, words_added) values
  ('a0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', now() - interval '1 hour', now() - interval '30 minutes', 120),
  ('a0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002', now() - interval '1 hour', now(), 80),
  ('a0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000003', now() - interval '1 hour', now(), 10);
insert into app.submission_comments (id, institution_id, submission_id, author_id, content) values
  ('cc000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', '5b000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'Strong thesis'),
  ('cc000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', '5b000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000001', 'Cite sources');
insert into app.notifications (id, institution_id, recipient_id, sender_id, type, title) values
  ('90000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001', 'comment_added', 'New comment'),
  ('90000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000001', 'comment_added', 'New comment');

-- Act as a user (from a superuser session): the claims the API would set, and the role they name.
create function pg_temp.act_as(p_user uuid) returns text language plpgsql as $act$
declare p app.profiles;
begin
  select * into p from app.profiles where user_id = p_user;
  perform set_config('request.jwt.claims', json_build_object('sub', p.user_id, 'role', p.role,
    'app_metadata', json_build_object('institution_id', p.institution_id))::text, true);
  perform set_config('role', p.role::text, true);
  return p.role::text;
end $act$;
-- End of fixture.

-- comment resolution, notification reads and the audit log.
select plan(39);

-- updated_at
update app.courses set updated_at = '2000-01-01' where id = 'c0000000-0000-4000-8000-000000000001';
update app.courses set title = 'Essay Writing I' where id = 'c0000000-0000-4000-8000-000000000001';
select ok((select updated_at > '2000-01-01' from app.courses where id = 'c0000000-0000-4000-8000-000000000001'),
          'updated_at follows an update');
select is_empty($$
  select c.relname from pg_class c
   where c.relnamespace = 'app'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
     and exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'updated_at')
     and c.relname not in ('institutions', 'profiles')
     and not exists (select from pg_trigger t where t.tgrelid = c.oid and t.tgname = '_010_set_updated_at')
$$, 'every writing table with updated_at has the _010_set_updated_at trigger');

-- Documents: versions and word counts (as the student who owns d1).
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select is((select array_agg(version_number) from app.document_versions where document_id = 'd0000000-0000-4000-8000-000000000001'),
          array[1], 'a new document has version 1');
update app.documents set content = 'one two four five six' where id = 'd0000000-0000-4000-8000-000000000001';
select is((select current_version from app.documents where id = 'd0000000-0000-4000-8000-000000000001'), 2,
          'a content change bumps current_version');
select row_eq($$select version_number, author_id, word_count, words_added, words_removed, change_summary
                  from app.document_versions where document_id = 'd0000000-0000-4000-8000-000000000001' and version_number = 2$$,
  row(2, 'b0000000-0000-4000-8000-000000000001'::uuid, 5, 3, 1, '+3 / -1 words'::text),
  'the next version is written in the same transaction: number, author, word counts, summary');
select is((select word_count from app.documents where id = 'd0000000-0000-4000-8000-000000000001'), 5,
          'the document''s word count is maintained');
update app.documents set settings = '{"font": "serif"}' where id = 'd0000000-0000-4000-8000-000000000001';
select is((select count(*)::int from app.document_versions where document_id = 'd0000000-0000-4000-8000-000000000001'), 2,
          'a change of settings only writes no version');
update app.documents set title = 'Final draft' where id = 'd0000000-0000-4000-8000-000000000001';
select is((select change_summary from app.document_versions where document_id = 'd0000000-0000-4000-8000-000000000001' and version_number = 3),
          '+0 / -0 words; title changed', 'a title change is a version too');
select throws_ok($$insert into app.document_versions (institution_id, document_id, version_number, title, content)
                   values ('a0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000001', 9, 'x', 'y')$$,
  '42501', null, 'nobody writes versions directly');

-- Submissions: word count and the workflow.
update app.assignment_submissions set content = 'A much longer first draft now' where id = '5b000000-0000-4000-8000-000000000001';
select is((select word_count from app.assignment_submissions where id = '5b000000-0000-4000-8000-000000000001'), 6,
          'the submission''s word count is maintained');
select throws_ok($$update app.assignment_submissions set status = 'submitted' where id = '5b000000-0000-4000-8000-000000000003'$$,
  'PT409', null, 'no submission after the due date');
select lives_ok($$update app.assignment_submissions set status = 'submitted' where id = '5b000000-0000-4000-8000-000000000004'$$,
  'late work is accepted when the assignment allows it');
update app.assignment_submissions set status = 'submitted' where id = '5b000000-0000-4000-8000-000000000001';
select ok((select status = 'submitted' and submitted_at is not null from app.assignment_submissions
            where id = '5b000000-0000-4000-8000-000000000001'), 'submitting records the time');
select throws_ok($$update app.assignment_submissions set content = 'sneaky edit' where id = '5b000000-0000-4000-8000-000000000001'$$,
  'PT409', null, 'submitted work is locked');
select throws_ok($$update app.assignment_submissions set status = 'graded' where id = '5b000000-0000-4000-8000-000000000001'$$,
  '42501', 'Only the course''s educator can mark a submission graded.', 'a student cannot grade their own work');
select throws_ok($$update app.assignment_submissions set status = 'returned' where id = '5b000000-0000-4000-8000-000000000001'$$,
  '42501', null, 'a student cannot return work');
select throws_ok($$update app.assignment_submissions set grade = 100 where id = '5b000000-0000-4000-8000-000000000001'$$,
  '42501', null, 'a student may not write the grade column');
select throws_ok($$insert into app.assignment_submissions (assignment_id, status) values ('aa000000-0000-4000-8000-000000000001', 'graded')$$,
  'PT409', null, 'a new submission cannot start graded');

-- The course's educator returns and grades; another educator cannot.
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000003');
update app.assignment_submissions set status = 'returned' where id = '5b000000-0000-4000-8000-000000000001';
reset role;
select is((select status from app.assignment_submissions where id = '5b000000-0000-4000-8000-000000000001'), 'submitted',
          'another course''s educator cannot return the work (the row is not theirs)');
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select throws_ok($$update app.assignment_submissions set status = 'returned' where id = '5b000000-0000-4000-8000-000000000002'$$,
  'PT409', 'A submission that is in_progress cannot become returned.', 'work that was not submitted cannot be returned');
select lives_ok($$update app.assignment_submissions set status = 'returned', feedback = 'Expand section 2'
                   where id = '5b000000-0000-4000-8000-000000000001'$$, 'the course''s educator returns work');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select lives_ok($$update app.assignment_submissions set content = 'Revised draft with section two expanded', status = 'submitted'
                   where id = '5b000000-0000-4000-8000-000000000001'$$, 'returned work can be revised and submitted again');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
update app.assignment_submissions set status = 'graded', grade = 91.5, feedback = 'Well argued'
 where id = '5b000000-0000-4000-8000-000000000001';
select row_eq($$select status, grade, graded_by from app.assignment_submissions where id = '5b000000-0000-4000-8000-000000000001'$$,
  row('graded'::text, 91.5::numeric(5,2), 'e0000000-0000-4000-8000-000000000001'::uuid), 'the educator grades: grader and time recorded');
reset role;

-- The audit log.
select row_eq($$select actor_id, actor_role, new_values ->> 'status', new_values ->> 'grade' from audit.changes
                 where table_name = 'app.assignment_submissions' and row_id = '5b000000-0000-4000-8000-000000000001'
                 order by id desc limit 1$$,
  row('e0000000-0000-4000-8000-000000000001'::uuid, 'educator'::text, 'graded'::text, '91.50'::text), 'grades are audited with who gave them');
select is((select count(*)::int from audit.changes where row_id = '5b000000-0000-4000-8000-000000000001'), 3,
          'submit is not audited; return, resubmit-after-return and grade are');
select pg_temp.act_as('ad000000-0000-4000-8000-000000000001');
reset role;
update app.profiles set role = 'educator' where user_id = 'b0000000-0000-4000-8000-000000000002';
select row_eq($$select old_values ->> 'role', new_values ->> 'role' from audit.changes where table_name = 'app.profiles'$$,
  row('student'::text, 'educator'::text), 'role changes are audited');
update app.profiles set bio = 'hello' where user_id = 'b0000000-0000-4000-8000-000000000002';
select is((select count(*)::int from audit.changes where table_name = 'app.profiles'), 1, 'other profile changes are not');
update app.profiles set role = 'student' where user_id = 'b0000000-0000-4000-8000-000000000002';
select throws_ok($$delete from audit.changes$$, '42501', null, 'the audit log is append-only (delete)');
select throws_ok($$update audit.changes set actor_role = 'x'$$, '42501', null, 'the audit log is append-only (update)');

-- Template usage.
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
insert into app.assignments (course_id, template_id, title) values
  ('c0000000-0000-4000-8000-000000000001', '7e000000-0000-4000-8000-000000000002', 'Lab report 1');
select is((select usage_count from app.assignment_templates where id = '7e000000-0000-4000-8000-000000000002'), 1,
          'creating an assignment from a template counts a use');
select throws_ok($$insert into app.assignments (course_id, template_id, title) values
  ('c0000000-0000-4000-8000-000000000001', '7e000000-0000-4000-8000-000000000002', 'Lab report again')$$,
  '23505', null, 'at most one assignment per template and course');
select throws_ok($$insert into app.assignments (course_id, template_id, title) values
  ('c0000000-0000-4000-8000-000000000001', '7e000000-0000-4000-8000-000000000003', 'Borrowed')$$,
  'PT404', null, 'another institution''s private template cannot be used');
reset role;

-- Capacity: c2 has one place.
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
insert into app.course_enrollments (course_id) values ('c0000000-0000-4000-8000-000000000002');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000002');
select throws_ok($$insert into app.course_enrollments (course_id) values ('c0000000-0000-4000-8000-000000000002')$$,
  'PT409', 'Course "Open Poetry" is full: all 1 places are taken.', 'enrolling past capacity is refused');
reset role;
select is((select enrolled_count from app.courses where id = 'c0000000-0000-4000-8000-000000000002'), 1, 'the course counts its students');
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select throws_ok($$update app.courses set max_students = 1 where id = 'c0000000-0000-4000-8000-000000000001'$$,
  'PT409', 'max_students cannot be 1: 2 students are enrolled.', 'capacity cannot drop below enrolment');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
update app.course_enrollments set status = 'dropped' where course_id = 'c0000000-0000-4000-8000-000000000002';
reset role;
select is((select enrolled_count from app.courses where id = 'c0000000-0000-4000-8000-000000000002'), 0, 'dropping gives the place back');

-- Comments and notifications.
select pg_temp.act_as('b0000000-0000-4000-8000-000000000002');
select throws_ok($$update app.submission_comments set content = 'edited' where id = 'cc000000-0000-4000-8000-000000000002'$$,
  '42501', 'Only its author can edit a comment.', 'only the author edits a comment');
update app.submission_comments set is_resolved = true where id = 'cc000000-0000-4000-8000-000000000002';
update app.notifications set status = 'read' where id = '90000000-0000-4000-8000-000000000002';
reset role;
select is((select resolved_by from app.submission_comments where id = 'cc000000-0000-4000-8000-000000000002'),
          'b0000000-0000-4000-8000-000000000002'::uuid, 'resolving records who resolved');
select ok((select read_at is not null from app.notifications where id = '90000000-0000-4000-8000-000000000002'),
          'reading a notification records when');

select * from finish();
