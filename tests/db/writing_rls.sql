-- Row-level security of the writing tables, role by role: what each one sees, and the refusals
-- (another student's work, grading as a student, changing ownership, other institutions, anon).
-- fixture: writing (two institutions, their people, courses, work; see tests/db/fixtures/writing.sql)

select plan(46);

-- Student s1 (enrolled in c1) -------------------------------------------------------------------
delete from app.assignment_submissions where id = '5b000000-0000-4000-8000-000000000003';
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select results_eq('select title from app.courses order by title', array['Essay Writing', 'Open Poetry'],
  'student: courses they are enrolled in, and public ones');
select results_eq('select title from app.assignments order by title', array['Argue it', 'Closed', 'Late ok'],
  'student: the published assignments of their courses (not drafts)');
select results_eq('select id::text from app.assignment_submissions order by id',
  array['5b000000-0000-4000-8000-000000000001', '5b000000-0000-4000-8000-000000000004'],
  'student: their own submissions');
select is_empty($$select * from app.assignment_submissions where id = '5b000000-0000-4000-8000-000000000002'$$,
  'student: another student''s submission is invisible');
select results_eq('select title from app.documents', array['Draft'], 'student: their own documents');
select results_eq('select count(*)::int from app.document_versions', array[1], 'student: versions of their own documents');
select results_eq('select document_id::text from app.writing_sessions', array['d0000000-0000-4000-8000-000000000001'],
  'student: their own writing sessions');
select results_eq('select content from app.submission_comments', array['Strong thesis'], 'student: comments on their work only');
select results_eq('select id::text from app.notifications', array['90000000-0000-4000-8000-000000000001'], 'student: their notifications');
select results_eq('select student_id::text from app.course_enrollments', array['b0000000-0000-4000-8000-000000000001'],
  'student: their own enrolments');
select results_eq('select title from app.assignment_templates', array['Persuasive essay'], 'student: public templates only');
select results_eq('select app.my_course_ids()::text order by 1',
  array['c0000000-0000-4000-8000-000000000001'], 'my_course_ids: the courses they are enrolled in');
select results_eq('select app.course_member_ids()::text order by 1',
  array['b0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000001'],
  'course_member_ids: their instructors and classmates');
select throws_ok($$update app.assignment_submissions set grade = 100 where id = '5b000000-0000-4000-8000-000000000001'$$,
  '42501', null, 'student: grading is refused');
select throws_ok($$update app.documents set author_id = 'b0000000-0000-4000-8000-000000000002' where id = 'd0000000-0000-4000-8000-000000000001'$$,
  '42501', null, 'student: changing author_id is refused');
select throws_ok($$update app.documents set course_id = 'c0000000-0000-4000-8000-000000000004' where id = 'd0000000-0000-4000-8000-000000000001'$$,
  '42501', 'new row violates row-level security policy for table "documents"',
  'student: moving a document into a course they are not in is refused by with check');
select throws_ok($$insert into app.documents (title, course_id) values ('x', 'c0000000-0000-4000-8000-000000000004')$$,
  '42501', null, 'student: no documents in a course they are not in');
select throws_ok($$insert into app.assignment_submissions (assignment_id) values ('aa000000-0000-4000-8000-000000000002')$$,
  '42501', null, 'student: no submission to a draft assignment');
select lives_ok($$insert into app.assignment_submissions (assignment_id, content) values ('aa000000-0000-4000-8000-000000000003', 'x')$$,
  'student: a submission to a published assignment of their course');
select is_empty($$update app.documents set content = 'vandalised' where id = 'd0000000-0000-4000-8000-000000000002' returning id$$,
  'student: another student''s document cannot be changed');
select lives_ok($$insert into app.course_enrollments (course_id) values ('c0000000-0000-4000-8000-000000000002')$$,
  'student: self-enrolment in a public course');
select throws_ok($$insert into app.course_enrollments (course_id) values ('c0000000-0000-4000-8000-000000000004')$$,
  '42501', null, 'student: no self-enrolment in a private course');
reset role;

-- Sharing: s2 shares their notes with s1, who then sees (but cannot edit) them.
select pg_temp.act_as('b0000000-0000-4000-8000-000000000002');
insert into app.document_collaborators (document_id, user_id, permission)
values ('d0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000001', 'view');
select throws_ok($$insert into app.document_collaborators (document_id, user_id)
                   values ('d0000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000003')$$,
  '42501', null, 'documents are shared with course members only');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select results_eq('select title from app.documents order by title', array['Draft', 'Notes of s2'], 'student: shared documents are visible');
select is_empty($$update app.documents set content = 'mine now' where id = 'd0000000-0000-4000-8000-000000000002' returning id$$,
  'student: a view-only share cannot be edited');
reset role;

-- Educator e1 (teaches c1 and c2) and e3 (teaches c4) -------------------------------------------
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select results_eq('select title from app.courses order by title', array['Essay Writing', 'Open Poetry'],
  'educator: their own courses (not a colleague''s private one)');
select results_eq('select count(*)::int from app.assignment_submissions', array[4], 'educator: every submission in their courses');
select results_eq('select count(*)::int from app.submission_comments', array[2], 'educator: comments in their courses');
select results_eq('select title from app.documents order by title', array['Draft', 'Notes of s2'], 'educator: course documents');
select throws_ok($$update app.courses set instructor_id = 'e0000000-0000-4000-8000-000000000003' where id = 'c0000000-0000-4000-8000-000000000001'$$,
  '42501', 'new row violates row-level security policy for table "courses"',
  'educator: handing a course to someone else is refused by with check');
select lives_ok($$insert into app.courses (title) values ('New course')$$, 'educator: creates a course (instructor and institution from the token)');
select throws_ok($$insert into app.courses (title, institution_id) values ('Elsewhere', 'a0000000-0000-4000-8000-000000000002')$$,
  '42501', null, 'educator: no course in another institution');
select lives_ok($$insert into app.submission_comments (submission_id, content) values ('5b000000-0000-4000-8000-000000000002', 'Good start')$$,
  'educator: comments on work in their course');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000003');
select is_empty('select * from app.assignment_submissions', 'educator: no submissions of another educator''s course');
select is_empty($$update app.assignments set title = 'hijacked' where id = 'aa000000-0000-4000-8000-000000000001' returning id$$,
  'educator: another educator''s assignment cannot be changed');
reset role;

-- Admin a1 (North) ---------------------------------------------------------------------------------
select pg_temp.act_as('ad000000-0000-4000-8000-000000000001');
select results_eq('select title from app.courses order by title', array['Essay Writing', 'New course', 'Open Poetry', 'Rhetoric'],
  'admin: every course of their institution');
select results_eq('select count(*)::int from app.assignment_submissions', array[4], 'admin: every submission of their institution');
select throws_ok($$update app.assignment_submissions set grade = 50 where id = '5b000000-0000-4000-8000-000000000001'$$,
  '42501', null, 'admin: cannot grade');
reset role;

-- Another institution -----------------------------------------------------------------------------
select pg_temp.act_as('b0000000-0000-4000-8000-000000000003');
select is_empty($$select * from app.courses where id = 'c0000000-0000-4000-8000-000000000001'$$,
  'other institution: a private course is invisible');
select results_eq('select count(*)::int from app.assignment_submissions', array[1], 'other institution: only their own submission');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000002');
select is_empty($$select * from app.documents where institution_id = 'a0000000-0000-4000-8000-000000000001'
                  union all select d.* from app.documents d join app.document_versions v on v.document_id = d.id
                   where v.institution_id = 'a0000000-0000-4000-8000-000000000001'$$,
  'other institution: no documents or versions of North');
select is_empty($$select id from app.notifications where institution_id = 'a0000000-0000-4000-8000-000000000001'
                  union all select id from app.submission_comments where institution_id = 'a0000000-0000-4000-8000-000000000001'
                  union all select id from app.writing_sessions where institution_id = 'a0000000-0000-4000-8000-000000000001'$$,
  'other institution: no notifications, comments or sessions of North');
reset role;

-- Anonymous visitors reach the tables through api views (security_invoker) only.
create view pg_temp.anon_courses with (security_invoker = on) as select id, title from app.courses;
create view pg_temp.anon_templates with (security_invoker = on) as select id, title from app.assignment_templates;
grant select on pg_temp.anon_courses, pg_temp.anon_templates to anon;
set local role anon;
select 1 where set_config('request.jwt.claims', '{"role": "anon"}', true) is null;
select results_eq('select title from pg_temp.anon_courses', array['Open Poetry'], 'anon: public courses only');
select results_eq('select title from pg_temp.anon_templates', array['Persuasive essay'], 'anon: public templates only');
select throws_ok('select 1 from app.submission_comments', '42501', null, 'anon: no access to app tables otherwise');
reset role;

-- The roles that are not request roles.
select ok(not has_table_privilege('reporting', 'app.assignment_submissions', 'select'), 'reporting: no access to app tables');

select * from finish();
