-- Row-level security of the writing tables, policy by policy: for each policy (db/policies/20_writing.sql)
-- and each role it names, one row it lets through and one it refuses. writing_rls.sql has the
-- overview by role; db/policies/README.md maps every policy × role to the test that proves it.
-- Test names start with `<table> <policy>:`.
-- fixture: writing (two institutions, their people, courses, work; see tests/db/fixtures/writing.sql)

select plan(92);

-- courses ----------------------------------------------------------------------------------------
select pg_temp.act_as('e0000000-0000-4000-8000-000000000002');  -- e2, South
select results_eq('select title from app.courses order by title', array['Open Poetry', 'South Essays'],
  'courses tenant_select: another institution''s public course is visible, its private ones are not');
select is_empty($$update app.courses set description = 'x' where id = 'c0000000-0000-4000-8000-000000000002' returning id$$,
  'courses tenant_update: a public course of another institution cannot be changed');
select is_empty($$delete from app.courses where id = 'c0000000-0000-4000-8000-000000000002' returning id$$,
  'courses tenant_delete: a public course of another institution cannot be deleted');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');  -- e1 teaches c1, c2
select throws_ok($$insert into app.courses (title, instructor_id) values ('Theirs', 'e0000000-0000-4000-8000-000000000003')$$,
  '42501', null, 'courses insert_own_educator: not in a colleague''s name');
select results_eq($$update app.courses set description = 'Argue well' where id = 'c0000000-0000-4000-8000-000000000001' returning description$$,
  array['Argue well'], 'courses update_own_educator: their own course');
insert into app.courses (title) values ('Short-lived');
select results_eq($$delete from app.courses where title = 'Short-lived' returning title$$,
  array['Short-lived'], 'courses delete_own_educator: their own course');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000003');  -- e3 teaches c4
select is_empty($$update app.courses set description = 'x' where id = 'c0000000-0000-4000-8000-000000000002' returning id$$,
  'courses update_own_educator: not a colleague''s (public, so visible) course');
select is_empty($$delete from app.courses where id = 'c0000000-0000-4000-8000-000000000002' returning id$$,
  'courses delete_own_educator: not a colleague''s course');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');  -- s1
select throws_ok($$insert into app.courses (title) values ('Mine')$$, '42501', null, 'courses: students cannot create courses');
select throws_ok($$update app.courses set is_public = true where id = 'c0000000-0000-4000-8000-000000000001'$$,
  '42501', null, 'courses select_member: a student member reads the course but cannot change it');
reset role;
select pg_temp.act_as('ad000000-0000-4000-8000-000000000001');  -- a1, North admin
select results_eq($$update app.courses set description = 'Checked' where id = 'c0000000-0000-4000-8000-000000000004' returning description$$,
  array['Checked'], 'courses manage_institution_admin: any course of their institution');
select is_empty($$update app.courses set description = 'x' where id = 'c0000000-0000-4000-8000-000000000003' returning id$$,
  'courses manage_institution_admin: not another institution''s');
reset role;

-- course_enrollments -----------------------------------------------------------------------------
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select results_eq($$update app.course_enrollments set status = 'dropped' where course_id = 'c0000000-0000-4000-8000-000000000001' returning status$$,
  array['dropped'], 'course_enrollments update_own: a student drops their enrolment');
select results_eq($$update app.course_enrollments set status = 'active' where course_id = 'c0000000-0000-4000-8000-000000000001' returning status$$,
  array['active'], 'course_enrollments update_own: and rejoins');
select is_empty($$update app.course_enrollments set status = 'dropped' where student_id = 'b0000000-0000-4000-8000-000000000002' returning id$$,
  'course_enrollments update_own: not another student''s enrolment');
select throws_ok($$update app.course_enrollments set status = 'completed' where student_id = 'b0000000-0000-4000-8000-000000000001'$$,
  '42501', null, 'course_enrollments update_own: a student cannot mark themselves completed (with check)');
select lives_ok($$insert into app.course_enrollments (course_id) values ('c0000000-0000-4000-8000-000000000002')$$,
  'course_enrollments insert_self_public: the last place of a public course');
select throws_ok($$insert into app.course_enrollments (course_id, student_id) values ('c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002')$$,
  '42501', null, 'course_enrollments insert_self_public: not in another student''s name');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000002');
select throws_ok($$insert into app.course_enrollments (course_id) values ('c0000000-0000-4000-8000-000000000002')$$,
  'PT409', 'Course "Open Poetry" is full: all 1 places are taken.',
  'course_enrollments insert_self_public: enrolling past capacity is refused');
reset role;
select is((select enrolled_count from app.courses where id = 'c0000000-0000-4000-8000-000000000002'), 1,
  'course_enrollments: the refused enrolment took no place');
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select results_eq('select count(*)::int from app.course_enrollments', array[3],
  'course_enrollments manage_taught: the enrolments of their courses');
select results_eq($$update app.course_enrollments set status = 'completed'
                     where course_id = 'c0000000-0000-4000-8000-000000000001' and student_id = 'b0000000-0000-4000-8000-000000000002'
                 returning status$$, array['completed'], 'course_enrollments manage_taught: the educator completes an enrolment');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000003');
select is_empty('select * from app.course_enrollments', 'course_enrollments manage_taught: none of a colleague''s courses');
select throws_ok($$insert into app.course_enrollments (course_id, student_id) values ('c0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002')$$,
  '42501', null, 'course_enrollments manage_taught: no enrolments in a colleague''s course');
reset role;
select pg_temp.act_as('ad000000-0000-4000-8000-000000000001');
select results_eq('select count(*)::int from app.course_enrollments', array[3],
  'course_enrollments manage_institution_admin: every enrolment of their institution');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000002');
select results_eq('select course_id::text from app.course_enrollments', array['c0000000-0000-4000-8000-000000000003'],
  'course_enrollments tenant_isolation: only their institution''s');
reset role;

-- assignment_templates ---------------------------------------------------------------------------
select pg_temp.act_as('e0000000-0000-4000-8000-000000000002');
select results_eq('select title from app.assignment_templates order by title', array['Persuasive essay', 'South narrative'],
  'assignment_templates tenant_select: another institution''s public template, not its private ones');
select is_empty($$update app.assignment_templates set description = 'x' where id = '7e000000-0000-4000-8000-000000000001' returning id$$,
  'assignment_templates tenant_update: not another institution''s public template');
select is_empty($$delete from app.assignment_templates where id = '7e000000-0000-4000-8000-000000000001' returning id$$,
  'assignment_templates tenant_delete: not another institution''s public template');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000003');
select results_eq('select title from app.assignment_templates order by title', array['Lab report', 'Persuasive essay'],
  'assignment_templates select_institution_educator: a colleague''s private template of their institution');
select is_empty($$update app.assignment_templates set description = 'x' where id = '7e000000-0000-4000-8000-000000000002' returning id$$,
  'assignment_templates update_own_educator: not a colleague''s template');
select is_empty($$delete from app.assignment_templates where id = '7e000000-0000-4000-8000-000000000002' returning id$$,
  'assignment_templates delete_own_educator: not a colleague''s template');
select throws_ok($$insert into app.assignment_templates (title, instructor_id) values ('x', 'e0000000-0000-4000-8000-000000000001')$$,
  '42501', null, 'assignment_templates insert_own_educator: not in a colleague''s name');
select lives_ok($$insert into app.assignment_templates (title) values ('Rhetoric drills')$$,
  'assignment_templates insert_own_educator: their own template');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select results_eq($$update app.assignment_templates set description = 'Measure twice' where id = '7e000000-0000-4000-8000-000000000002' returning description$$,
  array['Measure twice'], 'assignment_templates update_own_educator: their own template');
select results_eq($$delete from app.assignment_templates where id = '7e000000-0000-4000-8000-000000000002' returning title$$,
  array['Lab report'], 'assignment_templates delete_own_educator: their own template');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select throws_ok($$insert into app.assignment_templates (title) values ('x')$$, '42501', null,
  'assignment_templates: students cannot create templates');
select throws_ok($$update app.assignment_templates set title = 'x' where id = '7e000000-0000-4000-8000-000000000001'$$,
  '42501', null, 'assignment_templates select_public: a public template is read-only to students');
reset role;
select pg_temp.act_as('ad000000-0000-4000-8000-000000000001');
select results_eq($$update app.assignment_templates set description = 'Reviewed' where title = 'Rhetoric drills' returning description$$,
  array['Reviewed'], 'assignment_templates manage_institution_admin: any template of their institution');
select is_empty($$update app.assignment_templates set description = 'x' where id = '7e000000-0000-4000-8000-000000000003' returning id$$,
  'assignment_templates manage_institution_admin: not another institution''s');
reset role;

-- assignments ------------------------------------------------------------------------------------
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select results_eq('select count(*)::int from app.assignments', array[4],
  'assignments manage_taught: every assignment of their courses, drafts included');
select results_eq($$update app.assignments set description = 'Take a side' where id = 'aa000000-0000-4000-8000-000000000001' returning description$$,
  array['Take a side'], 'assignments manage_taught: their own assignment');
select throws_ok($$insert into app.assignments (course_id, title) values ('c0000000-0000-4000-8000-000000000004', 'x')$$,
  '42501', null, 'assignments manage_taught: not in a colleague''s course');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select throws_ok($$update app.assignments set title = 'easy' where id = 'aa000000-0000-4000-8000-000000000001'$$,
  '42501', null, 'assignments select_published_enrolled: students read assignments, they do not change them');
reset role;
select pg_temp.act_as('ad000000-0000-4000-8000-000000000001');
select results_eq('select count(*)::int from app.assignments', array[4],
  'assignments manage_institution_admin: every assignment of their institution');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000003');
select results_eq('select title from app.assignments', array['South work'], 'assignments tenant_isolation: only their institution''s');
reset role;

-- submission_comments (before any sharing below) -------------------------------------------------
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select throws_ok($$insert into app.submission_comments (submission_id, content) values ('5b000000-0000-4000-8000-000000000002', 'x')$$,
  '42501', null, 'submission_comments insert_own: not on another student''s submission');
select lives_ok($$insert into app.submission_comments (submission_id, content) values ('5b000000-0000-4000-8000-000000000001', 'Thanks!')$$,
  'submission_comments insert_own: on their own submission');
select results_eq($$update app.submission_comments set is_resolved = true where id = 'cc000000-0000-4000-8000-000000000001' returning is_resolved$$,
  array[true], 'submission_comments update_visible_submission: the student resolves a comment on their work');
select throws_ok($$update app.submission_comments set content = 'Weak thesis' where id = 'cc000000-0000-4000-8000-000000000001'$$,
  '42501', 'Only its author can edit a comment.', 'submission_comments update_visible_submission: only the author edits the text');
select is_empty($$delete from app.submission_comments where id = 'cc000000-0000-4000-8000-000000000001' returning id$$,
  'submission_comments delete_own: not the educator''s comment');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000002');
select is_empty($$update app.submission_comments set is_resolved = false where id = 'cc000000-0000-4000-8000-000000000001' returning id$$,
  'submission_comments update_visible_submission: not a comment on another student''s work');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select results_eq($$delete from app.submission_comments where id = 'cc000000-0000-4000-8000-000000000002' returning content$$,
  array['Cite sources'], 'submission_comments delete_own: their own comment');
reset role;

-- assignment_submissions and submission_collaborators --------------------------------------------
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select throws_ok($$insert into app.assignment_submissions (assignment_id, author_id) values ('aa000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000002')$$,
  '42501', null, 'assignment_submissions insert_own: not in another student''s name');
select results_eq($$update app.assignment_submissions set title = 'My essay' where id = '5b000000-0000-4000-8000-000000000001' returning title$$,
  array['My essay'], 'assignment_submissions update_own_or_shared: their own submission');
select is_empty($$update app.assignment_submissions set title = 'x' where id = '5b000000-0000-4000-8000-000000000002' returning id$$,
  'assignment_submissions update_own_or_shared: not another student''s');
select throws_ok($$update app.assignment_submissions set author_id = 'b0000000-0000-4000-8000-000000000002' where id = '5b000000-0000-4000-8000-000000000001'$$,
  '42501', null, 'assignment_submissions: changing author_id is refused');
select lives_ok($$insert into app.submission_collaborators (submission_id, user_id) values ('5b000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002')$$,
  'submission_collaborators manage_own_submission: the author shares with a classmate');
select throws_ok($$insert into app.submission_collaborators (submission_id, user_id) values ('5b000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000003')$$,
  '42501', null, 'submission_collaborators manage_own_submission: not with someone of another institution');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000002');
select results_eq('select id::text from app.assignment_submissions order by id',
  array['5b000000-0000-4000-8000-000000000001', '5b000000-0000-4000-8000-000000000002'],
  'assignment_submissions select_own_or_shared: a shared submission becomes visible');
select results_eq('select user_id::text from app.submission_collaborators', array['b0000000-0000-4000-8000-000000000002'],
  'submission_collaborators select_visible_submission: the collaborators of visible submissions');
select throws_ok($$insert into app.submission_collaborators (submission_id, user_id) values ('5b000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000003')$$,
  '42501', null, 'submission_collaborators manage_own_submission: a collaborator cannot share further');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select results_eq($$update app.assignment_submissions set feedback = 'Keep going' where id = '5b000000-0000-4000-8000-000000000001' returning feedback$$,
  array['Keep going'], 'assignment_submissions update_taught: feedback on work in their course');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000003');
select is_empty($$update app.assignment_submissions set feedback = 'x' where id = '5b000000-0000-4000-8000-000000000001' returning id$$,
  'assignment_submissions update_taught: not work in a colleague''s course');
select is_empty('select * from app.submission_collaborators', 'submission_collaborators select_visible_submission: none of invisible work');
reset role;

-- documents, document_collaborators, document_versions --------------------------------------------
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select lives_ok($$insert into app.documents (title, course_id) values ('Scratch', 'c0000000-0000-4000-8000-000000000001')$$,
  'documents insert_own: in a course they are in');
select results_eq($$update app.documents set title = 'Scratch 2' where title = 'Scratch' returning title$$,
  array['Scratch 2'], 'documents update_own_or_shared: their own document');
select is_empty($$delete from app.documents where id = 'd0000000-0000-4000-8000-000000000002' returning id$$,
  'documents delete_own: not another student''s document');
select results_eq($$delete from app.documents where title = 'Scratch 2' returning title$$,
  array['Scratch 2'], 'documents delete_own: their own document');
select throws_ok($$insert into app.document_collaborators (document_id, user_id) values ('d0000000-0000-4000-8000-000000000002', 'e0000000-0000-4000-8000-000000000001')$$,
  '42501', null, 'document_collaborators manage_own_document: not on another student''s document');
select throws_ok($$insert into app.document_versions (document_id, version_number, title, content) values ('d0000000-0000-4000-8000-000000000001', 99, 'x', 'x')$$,
  '42501', null, 'document_versions: written by the documents trigger only, never by a request role');
reset role;
select pg_temp.act_as('ad000000-0000-4000-8000-000000000001');
select results_eq('select count(*)::int from app.documents', array[2], 'documents select_institution_admin: every document of their institution');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000003');
select is_empty('select * from app.documents', 'documents select_taught: none of a colleague''s course');
reset role;

-- writing_sessions -------------------------------------------------------------------------------
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select lives_ok($$insert into app.writing_sessions (document_id, started_at, words_added) values ('d0000000-0000-4000-8000-000000000001', now(), 0)$$,
  'writing_sessions insert_own: on their own document');
select throws_ok($$insert into app.writing_sessions (document_id, started_at) values ('d0000000-0000-4000-8000-000000000002', now())$$,
  '42501', null, 'writing_sessions insert_own: not on another student''s document');
select results_eq($$update app.writing_sessions set words_added = 5 where words_added = 0 returning words_added$$,
  array[5], 'writing_sessions update_own: their own session');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select results_eq('select count(*)::int from app.writing_sessions', array[3],
  'writing_sessions select_visible_document: the sessions on documents of their courses');
select is_empty($$update app.writing_sessions set words_added = 0 returning id$$, 'writing_sessions update_own: not a student''s session');
reset role;

-- notifications ----------------------------------------------------------------------------------
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select results_eq($$update app.notifications set status = 'read' where id = '90000000-0000-4000-8000-000000000001' returning status$$,
  array['read'], 'notifications update_own: marks their own notification read');
select is_empty($$update app.notifications set status = 'read' where id = '90000000-0000-4000-8000-000000000002' returning id$$,
  'notifications update_own: not another''s');
select is_empty($$delete from app.notifications where id = '90000000-0000-4000-8000-000000000002' returning id$$,
  'notifications delete_own: not another''s');
select results_eq($$delete from app.notifications where id = '90000000-0000-4000-8000-000000000001' returning title$$,
  array['New comment'], 'notifications delete_own: their own');
select throws_ok($$insert into app.notifications (recipient_id, type, title) values ('b0000000-0000-4000-8000-000000000002', 'hello', 'x')$$,
  '42501', null, 'notifications: students cannot send notifications');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select lives_ok($$insert into app.notifications (recipient_id, type, title) values ('b0000000-0000-4000-8000-000000000001', 'well_done', 'Well done')$$,
  'notifications insert_to_course_member: to a student of their course');
select throws_ok($$insert into app.notifications (recipient_id, type, title) values ('b0000000-0000-4000-8000-000000000003', 'well_done', 'x')$$,
  '42501', null, 'notifications insert_to_course_member: not to someone of another institution');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000003');
select throws_ok($$insert into app.notifications (recipient_id, type, title) values ('b0000000-0000-4000-8000-000000000001', 'well_done', 'x')$$,
  '42501', null, 'notifications insert_to_course_member: not to a student outside their courses');
reset role;
select pg_temp.act_as('ad000000-0000-4000-8000-000000000001');
select results_eq('select count(*)::int from app.notifications', array[2], 'notifications select_institution_admin: every notification of their institution');
select lives_ok($$insert into app.notifications (recipient_id, type, title) values ('e0000000-0000-4000-8000-000000000003', 'staff_meeting', 'Staff meeting')$$,
  'notifications insert_institution_admin: to anyone of their institution');
select throws_ok($$insert into app.notifications (recipient_id, sender_id, type, title) values ('e0000000-0000-4000-8000-000000000003', 'e0000000-0000-4000-8000-000000000001', 'staff_meeting', 'x')$$,
  '42501', null, 'notifications insert_institution_admin: not in someone else''s name');
reset role;

-- tenant policies of every writing table, asked as each role of the other institution: no row of
-- North is visible (public courses and templates excepted), whatever table is added later.
create function pg_temp.north_rows() returns text language plpgsql as $$
declare
  t text;
  n int;
  seen text[] := '{}';
begin
  for t in select c.oid::regclass::text from pg_class c
            where c.relnamespace = 'app'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
              and c.relname not in ('institutions', 'profiles', 'outbox')
              and exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'institution_id')
            order by 1 loop
    execute format('select count(*) from %s where institution_id = %L %s', t, 'a0000000-0000-4000-8000-000000000001',
                   case when t in ('app.courses', 'app.assignment_templates') then 'and not is_public' else '' end) into n;
    if n > 0 then seen := seen || t; end if;
  end loop;
  return array_to_string(seen, ', ');
end
$$;
grant execute on function pg_temp.north_rows() to public;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000002');
select is(pg_temp.north_rows(), '', 'tenant policies: a South educator sees no row of North in any writing table');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000003');
select is(pg_temp.north_rows(), '', 'tenant policies: a South student sees no row of North in any writing table');
reset role;
select is(pg_temp.north_rows(), 'app.assignment_submissions, app.assignment_templates, app.assignments, app.course_enrollments, '
  'app.courses, app.document_versions, app.documents, app.notifications, app.submission_collaborators, app.submission_comments, '
  'app.writing_sessions', 'tenant policies: the check itself sees North''s rows as the owner');

select * from finish();
