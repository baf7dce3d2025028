-- The writing tables' triggers: updated_at, document versions, word counts, the submission
-- workflow (due dates, late work, who returns and grades), course capacity, template usage,
-- comment resolution, notification reads and the audit log.
-- fixture: writing (two institutions, their people, courses, work; see tests/db/fixtures/writing.sql)

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
