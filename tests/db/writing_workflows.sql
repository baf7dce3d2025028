-- The writing workflows (api functions) role by role: enrol with a code, create and publish an
-- assignment from a template, start / save / submit, return and grade against the criteria,
-- comment / reply / resolve, notifications, template search, analytics and the course dashboard;
-- with the refusals (wrong code, a student grading, submitting twice or late, commenting on
-- someone else's work) and the api views' column rules (enrollment codes, anon).
-- fixture: writing (two institutions, their people, courses, work; see tests/db/fixtures/writing.sql)
-- Workflow extras: t2 gets weighted grading criteria; s1 also knows the South code (to try it).
update app.assignment_templates set grading_criteria =
  '[{"name": "Thesis", "maxPoints": 10, "weight": 40}, {"name": "Evidence", "maxPoints": 20, "weight": 60}]'
 where id = '7e000000-0000-4000-8000-000000000002';
create function pg_temp.as_anon() returns void language sql as $$
  select set_config('request.jwt.claims', '{"role": "anon"}', true), set_config('role', 'anon', true) $$;
-- The assignment created from t2 in c1 (found by the tests after its creation).
create function pg_temp.x() returns uuid language sql as $$
  select id from app.assignments where template_id = '7e000000-0000-4000-8000-000000000002' $$;
create function pg_temp.xs() returns uuid language sql as $$
  select s.id from app.assignment_submissions s join app.assignments a on a.id = s.assignment_id
   where a.template_id = '7e000000-0000-4000-8000-000000000002' and s.author_id = 'b0000000-0000-4000-8000-000000000001' $$;
grant execute on function pg_temp.x(), pg_temp.xs() to public;

select plan(109);

-- Enrol with a code (student s1) ----------------------------------------------------------------
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select throws_ok($$select api.enroll_with_code('NOPE1234')$$, 'PT404',
  'No course of your institution has the enrollment code "NOPE1234".', 'enrol: a wrong code is refused, naming it');
select throws_ok($$select api.enroll_with_code('SOUTH001')$$, 'PT404', null, 'enrol: another institution''s code is unknown here');
select throws_ok($$select api.enroll_with_code('  ')$$, 'PT400', 'Enter the enrollment code your educator gave you.', 'enrol: an empty code');
select is(api.enroll_with_code(' rhet0001 ') #>> '{course,title}', 'Rhetoric',
  'enrol: a private course with its code (trimmed, any case)');
select results_eq($$select status from api.course_enrollments where course_id = 'c0000000-0000-4000-8000-000000000004'$$,
  array['active'], 'enrol: the enrolment is visible to the student');
select throws_ok($$select api.enroll_with_code('RHET0001')$$, 'PT409', 'You are already enrolled in "Rhetoric".', 'enrol: twice is refused');
select is(api.enroll_with_code('POETRY01') #>> '{enrollment,status}', 'active', 'enrol: the last place of a public course');
update app.course_enrollments set status = 'dropped' where course_id = 'c0000000-0000-4000-8000-000000000004';
select is(api.enroll_with_code('RHET0001') #>> '{enrollment,status}', 'active', 'enrol: a dropped enrolment is reactivated');
reset role;
select is((select enrolled_count from app.courses where id = 'c0000000-0000-4000-8000-000000000004'), 1,
  'enrol: the course counts one place taken (drop and rejoin included)');
select pg_temp.act_as('b0000000-0000-4000-8000-000000000002');
select throws_ok($$select api.enroll_with_code('POETRY01')$$, 'PT409', 'Course "Open Poetry" is full: all 1 places are taken.',
  'enrol: a full course is refused');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select throws_ok($$select api.enroll_with_code('RHET0001')$$, '42501', null, 'enrol: not for educators');
reset role;

-- Create and publish assignments (educator e1) ----------------------------------------------------
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select throws_ok($$select api.create_assignment_from_template('7e000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001')$$,
  'PT409', 'The course "Essay Writing" already has an assignment from the template "Persuasive essay".',
  'create: one assignment per template and course');
select throws_ok($$select api.create_assignment_from_template('7e000000-0000-4000-8000-000000000003', 'c0000000-0000-4000-8000-000000000001')$$,
  'PT404', 'Template not found (it must be public or belong to your institution).', 'create: another institution''s private template');
select throws_ok($$select api.create_assignment_from_template('7e000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000004')$$,
  'PT404', 'Course not found among the courses you teach.', 'create: not in a colleague''s course');
select throws_ok($$select api.create_assignment_from_template('7e000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000001',
                                                              due_at => now() - interval '1 hour')$$,
  'PT400', 'The due date must be in the future.', 'create: a due date in the past');
select is(api.create_assignment_from_template('7e000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000002',
                                              title => 'Poetic argument', publish => true) ->> 'students_notified', '1',
  'create: published at once from a public template, the course''s student notified');
select is(api.create_assignment_from_template('7e000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000001',
                                              due_at => now() + interval '3 days') ->> 'status', 'draft',
  'create: a draft from the institution''s own template');
select is((select grading_criteria -> 1 ->> 'name' from app.assignments where id = pg_temp.x()), 'Evidence',
  'create: the template''s grading criteria are copied');
select results_eq($$select usage_count from app.assignment_templates where id in ('7e000000-0000-4000-8000-000000000001', '7e000000-0000-4000-8000-000000000002') order by id$$,
  array[2, 1], 'create: the templates'' usage counts went up');
select is(api.publish_assignment(pg_temp.x()) ->> 'students_notified', '2', 'publish: both students of the course are notified');
select throws_ok($$select api.publish_assignment(pg_temp.x())$$, 'PT409', 'The assignment "Lab report" is already published.',
  'publish: only drafts');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000003');
select throws_ok($$select api.publish_assignment('aa000000-0000-4000-8000-000000000002')$$, 'PT404', null,
  'publish: not another educator''s assignment');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select throws_ok($$select api.publish_assignment('aa000000-0000-4000-8000-000000000002')$$, '42501', null, 'publish: not for students');
select results_eq($$select count(*)::int from api.notifications where type = 'assignment_published'$$, array[2],
  'publish: the student got both notifications');

-- Start, save, submit (student s1) --------------------------------------------------------------
select is(api.start_submission(pg_temp.x()) #>> '{submission,status}', 'in_progress', 'start: a submission in progress');
select is((api.start_submission(pg_temp.x()) #>> '{submission,id}')::uuid, pg_temp.xs(), 'start: again returns the same submission');
select results_eq($$select count(*)::int from api.documents where submission_id = pg_temp.xs()$$, array[1],
  'start: one working document');
select throws_ok($$select api.start_submission('aa000000-0000-4000-8000-000000000002')$$, 'PT404',
  'Assignment not found in your courses (it may not be published yet).', 'start: not a draft assignment');
select is(api.save_draft(pg_temp.xs(), 'Three words here', 'My lab report', now() - interval '20 minutes') #>> '{version,version_number}', '2',
  'save: the first draft is version 2 (version 1 is the empty start)');
select is(api.save_draft(pg_temp.xs(), 'Three words here and four more words') #>> '{version,words_added}', '4',
  'save: the next version counts the words added');
select results_eq($$select version_number, change_summary from api.document_versions v join api.documents d on d.id = v.document_id
                    where d.submission_id = pg_temp.xs() order by version_number$$,
  $$values (1, 'Created with 0 words'), (2, '+3 / -0 words; title changed'), (3, '+4 / -0 words')$$,
  'save: the documents trigger wrote one version per save');
select results_eq($$select content, word_count, title from api.submissions where id = pg_temp.xs()$$,
  $$values ('Three words here and four more words', 7, 'My lab report')$$, 'save: the submission holds the latest draft');
select results_eq($$select duration_seconds, words_added from api.writing_sessions w join api.documents d on d.id = w.document_id
                    where d.submission_id = pg_temp.xs()$$,
  $$values (1200, 3)$$, 'save: a writing session from session_started_at to now');
select throws_ok($$select api.save_draft('5b000000-0000-4000-8000-000000000002', 'mine now')$$, 'PT404',
  'Submission not found among your work.', 'save: not another student''s submission');
select is_empty($$select 1 from app.assignment_submissions where content = 'mine now'$$, 'save: nothing changed');
select throws_ok($$select api.save_draft('5b000000-0000-4000-8000-000000000001', 'x', session_started_at => now() - interval '3 days')$$,
  'PT400', 'session_started_at must lie within the last 24 hours.', 'save: an implausible session start');

select is(api.submit_submission(pg_temp.xs()) ->> 'status', 'submitted', 'submit: status submitted');
select results_eq($$select submitted_at from api.submissions where id = pg_temp.xs()$$, array[now()], 'submit: submitted_at is now');
select results_eq($$select status from api.documents where submission_id = pg_temp.xs()$$, array['submitted'], 'submit: the document is marked submitted');
select throws_ok($$select api.submit_submission(pg_temp.xs())$$, 'PT409', null, 'submit: twice is refused');
select throws_like($$select api.submit_submission(pg_temp.xs())$$, 'You already submitted this work%', 'submit: twice — the message says so');
select throws_ok($$select api.save_draft(pg_temp.xs(), 'changed after submitting')$$, 'PT409',
  'This submission is submitted; you can edit it again once your educator returns it.', 'save: submitted work is locked');
select throws_ok($$select api.submit_submission('5b000000-0000-4000-8000-000000000003')$$, 'PT409',
  format('The due date (%s) has passed and this assignment does not accept late work.',
         to_char((now() - interval '1 day') at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')),
  'submit: late work is refused when the assignment does not allow it');
select results_eq($$select status, submitted_at from api.submissions where id = '5b000000-0000-4000-8000-000000000003'$$,
  $$values ('in_progress', null::timestamptz)$$, 'submit: a refused submission changes nothing');
select is((api.submit_submission('5b000000-0000-4000-8000-000000000004') -> 'status') #>> '{}', 'submitted',
  'submit: late work where the assignment allows it');
update app.assignment_submissions set content = '' where id = '5b000000-0000-4000-8000-000000000001';
select throws_ok($$select api.submit_submission('5b000000-0000-4000-8000-000000000001')$$, 'PT400',
  'There is nothing to submit yet: save a draft first.', 'submit: empty work');
select throws_ok($$select api.submit_submission('5b000000-0000-4000-8000-000000000002')$$, 'PT404', null,
  'submit: not another student''s work');
select throws_ok($$select api.grade_submission(pg_temp.xs(), '[]', null, 100)$$, '42501', null, 'grade: students cannot grade');
select throws_ok($$select api.return_submission(pg_temp.xs())$$, '42501', null, 'return: students cannot return');

-- Comments (student s1) ---------------------------------------------------------------------------
select throws_ok($$select api.add_comment('5b000000-0000-4000-8000-000000000002', 'Nice essay, s2')$$, 'PT404', null,
  'comment: not on someone else''s work');
select throws_ok($$select api.add_comment(pg_temp.xs(), '   ')$$, 'PT400', 'A comment needs some text.', 'comment: empty text');
select throws_ok($$select api.add_comment(pg_temp.xs(), 'x', 'rant')$$, 'PT400', null, 'comment: unknown type');
select throws_ok($$select api.add_comment(pg_temp.xs(), 'x', parent_id => 'cc000000-0000-4000-8000-000000000001')$$, 'PT404',
  'The comment you are replying to is not on this submission.', 'comment: a parent on another submission');
select isnt(api.add_comment(pg_temp.xs(), 'I was unsure about the method section.', 'question') ->> 'notification_id', null,
  'comment: a student''s comment notifies the educator');
reset role;

-- The educator's side (e1): notifications, grading, returning, comments ---------------------------
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select results_eq($$select type, context ->> 'late' from api.notifications where category = 'submission' order by created_at, title$$,
  $$values ('submission_submitted', 'false'), ('submission_submitted', 'true')$$, 'notify: the educator got both submissions (one late)');
select results_eq($$select count(*)::int from api.notifications where type = 'comment_added'$$, array[1], 'notify: and the student''s comment');
select throws_ok($$select api.grade_submission(pg_temp.xs(), '[{"criterion": "Style", "points": 3}]')$$, 'PT400',
  'rubric_scores[0].criterion "Style" is unknown (the grading criteria are "Thesis", "Evidence")', 'grade: an unknown criterion');
select throws_ok($$select api.grade_submission(pg_temp.xs(), '[{"criterion": "Thesis", "points": 8}, {"criterion": "Evidence", "points": 25}]')$$,
  'PT400', 'rubric_scores[1].points must be a number between 0 and 20 (the maxPoints of "Evidence")', 'grade: points above the maximum');
select throws_ok($$select api.grade_submission(pg_temp.xs(), '[{"criterion": "Thesis", "points": 8}]')$$,
  'PT400', 'rubric_scores has no score for the criterion "Evidence"', 'grade: a criterion left out');
select throws_ok($$select api.grade_submission(pg_temp.xs(), '[{"criterion": "Thesis", "points": 8}, {"criterion": "Thesis", "points": 9}, {"criterion": "Evidence", "points": 1}]')$$,
  'PT400', 'rubric_scores[1].criterion "Thesis" is scored twice', 'grade: a criterion scored twice');
select throws_ok($$select api.grade_submission(pg_temp.xs(), '{"Thesis": 8}')$$,
  'PT400', 'rubric_scores must be an array of {criterion, points, comment}', 'grade: not an array');
select results_eq($$select status, grade from api.submissions where id = pg_temp.xs()$$, $$values ('submitted', null::numeric)$$,
  'grade: refused grades change nothing');
select is((api.grade_submission(pg_temp.xs(), '[{"criterion": "Thesis", "points": 8, "comment": "Clear"}, {"criterion": "Evidence", "points": 15}]',
                                'Solid work.') ->> 'grade')::numeric, 77.00::numeric,
  'grade: weighted by the criteria (8/10 × 40 + 15/20 × 60)');
select results_eq($$select status, graded_by, rubric_scores -> 0 ->> 'maxPoints', feedback from api.submissions where id = pg_temp.xs()$$,
  $$values ('graded', 'e0000000-0000-4000-8000-000000000001'::uuid, '10', 'Solid work.')$$, 'grade: status, grader, normalised scores, feedback');
select throws_ok($$select api.grade_submission('5b000000-0000-4000-8000-000000000001', '[]', null, 50)$$, 'PT409',
  'This work is in progress: it can be graded once the student submits it.', 'grade: not before it is submitted');
select throws_ok($$select api.grade_submission('5b000000-0000-4000-8000-000000000004', '[]', null, 101)$$, 'PT400',
  'grade must be between 0 and 100', 'grade: a grade out of range');
select throws_ok($$select api.grade_submission('5b000000-0000-4000-8000-000000000005', '[]', null, 50)$$, 'PT404', null,
  'grade: not in another institution');
select is(api.return_submission('5b000000-0000-4000-8000-000000000004', 'Add a conclusion.') ->> 'status', 'returned',
  'return: submitted work goes back for revision');
select throws_ok($$select api.return_submission('5b000000-0000-4000-8000-000000000001')$$, 'PT409',
  'Only submitted or graded work can be returned; this submission is in progress.', 'return: only submitted work');
select is(api.add_comment(pg_temp.xs(), 'See the rubric.', 'inline', 'four more words', '{"start": 17, "end": 32}') ->> 'type', 'inline',
  'comment: an inline comment by the educator');
select is(api.grade_submission('5b000000-0000-4000-8000-000000000004', '[]', null, 88.5) ->> 'grade', '88.50',
  'grade: returned work can be graded, with an explicit grade when there are no criteria');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000003');
select throws_ok($$select api.grade_submission(pg_temp.xs(), '[]', null, 10)$$, 'PT404', null, 'grade: not by another educator');
reset role;
select pg_temp.act_as('ad000000-0000-4000-8000-000000000001');
select throws_ok($$select api.grade_submission(pg_temp.xs(), '[]', null, 10)$$, '42501', null, 'grade: not by an admin');
reset role;

-- Back to the student: replies, resolving, notifications, the grade ------------------------------
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select is(api.reply_to_comment((select id from api.submission_comments where content = 'See the rubric.'), 'Thanks!') ->> 'parent_id',
  (select id::text from api.submission_comments where content = 'See the rubric.'), 'reply: threaded under the comment');
select results_eq($$select (api.resolve_comment(id) ->> 'resolved_by')::uuid from api.submission_comments where content = 'See the rubric.'$$,
  array['b0000000-0000-4000-8000-000000000001'::uuid], 'resolve: records who resolved it');
select throws_ok($$select api.resolve_comment('cc000000-0000-4000-8000-000000000002')$$, 'PT404', null,
  'resolve: not a comment on someone else''s work');
select results_eq($$select type from api.notifications where category = 'feedback' order by type$$,
  array['comment_added', 'submission_graded', 'submission_graded', 'submission_returned'],
  'notify: the student was told of the comment, the grades and the return');
select is(api.mark_notifications_read(array[(select id from api.notifications where type = 'submission_returned')]), 1,
  'notifications: one marked read');
select cmp_ok(api.mark_notifications_read(), '>', 1, 'notifications: all the others marked read');
select results_eq($$select count(*)::int from api.notifications where status = 'unread'$$, array[0], 'notifications: none unread');
select is(api.mark_notifications_read(array['90000000-0000-4000-8000-000000000002'::uuid]), 0,
  'notifications: another student''s notification is left alone');
select results_eq($$select grade from api.submissions where id = pg_temp.xs()$$, array[77.00::numeric], 'the student sees the grade');
reset role;
select is((select status from app.notifications where id = '90000000-0000-4000-8000-000000000002'), 'unread',
  'notifications: s2''s is still unread');

-- Another student (s2) sees none of it ------------------------------------------------------------
select pg_temp.act_as('b0000000-0000-4000-8000-000000000002');
select is_empty($$select 1 from api.submissions where author_id = 'b0000000-0000-4000-8000-000000000001'
                  union all select 2 from api.documents where author_id = 'b0000000-0000-4000-8000-000000000001'
                  union all select 3 from api.submission_comments where submission_id = pg_temp.xs()
                  union all select 4 from api.notifications where recipient_id <> 'b0000000-0000-4000-8000-000000000002'$$,
  'another student: none of s1''s work, comments or notifications');
reset role;

-- Template search ----------------------------------------------------------------------------------
select pg_temp.as_anon();
select results_eq($$select title, snippet like '%<mark>Persuasive</mark>%' from api.search_templates('persuasive')$$,
  $$values ('Persuasive essay', true)$$, 'search (anon): public templates, with a highlighted snippet');
select is_empty($$select 1 from api.search_templates('lab report')$$, 'search (anon): no private templates');
reset role;
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select results_eq($$select title from api.search_templates()$$, array['Persuasive essay', 'Lab report'],
  'search (educator): the institution''s and public templates, most used first');
select results_eq($$select title from api.search_templates('"report an experiment" or argue')$$, array['Lab report', 'Persuasive essay'],
  'search: websearch syntax (phrase, or)');
select results_eq($$select title from api.search_templates('essay -lab')$$, array['Persuasive essay'], 'search: websearch syntax (not)');
select results_eq($$select title from api.search_templates(with_tags => '{science}')$$, array['Lab report'], 'search: tag filter');
select results_eq($$select title from api.search_templates(page => 2, page_size => 1)$$, array['Lab report'], 'search: paging');
select throws_ok($$select * from api.search_templates(page_size => 500)$$, 'PT400', 'page_size must be between 1 and 100.', 'search: page size bounded');
select results_eq($$select count(*)::int from api.search_templates('narrative')$$, array[0], 'search: not another institution''s templates');

-- Analytics and the dashboard (e1) -----------------------------------------------------------------
select results_eq($$select count(*)::int, sum(sessions)::int from api.course_writing_analytics('c0000000-0000-4000-8000-000000000001')$$,
  $$values (30, 3)$$, 'analytics (course): 30 days, three sessions in the course');
select results_eq($$select sum(total_duration_seconds)::int, sum(words_added)::int from api.course_writing_analytics('c0000000-0000-4000-8000-000000000001')$$,
  $$values (1800 + 3600 + 1200, 120 + 80 + 3)$$, 'analytics (course): total duration and words added');
select results_eq($$select sum(sessions)::int from api.student_writing_analytics('b0000000-0000-4000-8000-000000000002')$$,
  array[1], 'analytics (student): an educator sees a student''s writing in their courses');
select throws_ok($$select * from api.course_writing_analytics('c0000000-0000-4000-8000-000000000004')$$, 'PT404', null,
  'analytics (course): not another educator''s course');
select throws_ok($$select * from api.course_writing_analytics('c0000000-0000-4000-8000-000000000001', '2020-01-01', '2024-01-01')$$, 'PT400', null,
  'analytics: a range over a year is refused');
select results_eq($$select d -> 'enrollments' ->> 'active', d -> 'submissions_by_status' ->> 'graded', d -> 'submissions_by_status' ->> 'returned',
                           d -> 'assignments_by_status' ->> 'published', d ->> 'average_grade', jsonb_array_length(d -> 'recent_activity') > 0
                      from api.course_dashboard('c0000000-0000-4000-8000-000000000001') d$$,
  $$values ('2', '2', '0', '4', '82.75', true)$$, 'dashboard: enrolments, submissions and assignments by status, average grade, activity');
reset role;
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select results_eq($$select sum(sessions)::int, sum(words_added)::int from api.student_writing_analytics()$$,
  $$values (2, 123)$$, 'analytics (student): their own writing');
select results_eq($$select sum(sessions)::int from api.student_writing_analytics('b0000000-0000-4000-8000-000000000002')$$,
  array[0], 'analytics (student): nothing of another student');
select throws_ok($$select api.course_dashboard('c0000000-0000-4000-8000-000000000001')$$, '42501', null, 'dashboard: not for students');
select results_eq($$select title, enrollment_code from api.courses order by title$$,
  $$values ('Essay Writing', null::text), ('Open Poetry', null), ('Rhetoric', null)$$, 'api.courses: students never see enrollment codes');
reset role;

-- The api views' column rules ------------------------------------------------------------------------
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select results_eq($$select enrollment_code from api.courses where id = 'c0000000-0000-4000-8000-000000000001'$$, array['ESSAY101'],
  'api.courses: the educator sees their course''s code');
select lives_ok($$insert into api.courses (title, max_students) values ('Created through the view', 12)$$,
  'api.courses: an educator creates a course through the view (instructor and institution from the token)');
select results_eq($$select instructor_id, enrollment_code ~ '^[A-Z0-9]{8}$' from api.courses where title = 'Created through the view'$$,
  $$values ('e0000000-0000-4000-8000-000000000001'::uuid, true)$$, 'api.courses: with a generated code the educator sees');
reset role;
select pg_temp.as_anon();
select results_eq($$select title, settings, enrollment_code from api.courses$$, $$values ('Open Poetry', null::jsonb, null::text)$$,
  'api.courses (anon): public courses, without settings or code');
select results_eq($$select count(*)::int from api.assignment_templates$$, array[1], 'api.assignment_templates (anon): public ones');
select throws_ok($$select 1 from api.submissions$$, '42501', null, 'api.submissions (anon): refused');
reset role;

select * from finish();
