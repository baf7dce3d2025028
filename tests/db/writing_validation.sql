-- JSONB validation of templates and assignments: a bad document is refused with SQLSTATE PT400
-- (HTTP 400) and a message naming the offending path.
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

select plan(24);

-- A helper: insert a template with one JSONB group set, as educator e1.
create function pg_temp.template_with(p_column text, p_value jsonb) returns void language plpgsql as $f$
begin
  execute format('insert into app.assignment_templates (institution_id, instructor_id, title, %I) values ($1, $2, $3, $4)', p_column)
    using 'a0000000-0000-4000-8000-000000000001'::uuid, 'e0000000-0000-4000-8000-000000000001'::uuid, 'Probe', p_value;
end $f$;

select is(app.learning_objectives_problems('[{"description": "Argue", "bloomsLevel": 5, "category": "skills", "weight": 60},
  {"description": "Cite", "bloomsLevel": 3, "category": "knowledge", "weight": 40}]'), '{}'::text[], 'valid learning objectives');
select is(app.writing_stages_problems('[{"name": "Outline", "order": 1, "description": "Plan", "requiredDuration": 30,
  "aiAssistance": {"allowedActions": ["suggest"], "maxInteractions": 5}, "reflectionRequired": true},
  {"name": "Draft", "order": 2}]'), '{}'::text[], 'valid writing stages');
select is(app.requirements_problems('{"minWords": 500, "maxWords": 1500, "citationStyle": "APA", "requiredSections": ["Intro"]}'),
          '{}'::text[], 'valid requirements');
select is(app.grading_criteria_problems('[{"name": "Thesis", "maxPoints": 10, "weight": 0.5}]'), '{}'::text[], 'valid grading criteria');

select throws_ok($$select pg_temp.template_with('learning_objectives', '[
  {"description": "a", "bloomsLevel": 1, "category": "c", "weight": 30},
  {"description": "b", "bloomsLevel": 2, "category": "c", "weight": 30},
  {"description": "c", "bloomsLevel": 7, "category": "c", "weight": 40}]')$$,
  'PT400', 'learning_objectives[2].bloomsLevel must be between 1 and 6', 'a bloomsLevel out of range is named by its path');
select throws_ok($$select pg_temp.template_with('learning_objectives', '[
  {"description": "a", "bloomsLevel": 1, "category": "c", "weight": 30},
  {"description": "b", "bloomsLevel": 2, "category": "c", "weight": 30}]')$$,
  'PT400', 'learning_objectives weights must sum to 100 (they sum to 60)', 'weights must sum to 100');
select throws_ok($$select pg_temp.template_with('learning_objectives', '[{"bloomsLevel": 1, "category": "c", "weight": 100}]')$$,
  'PT400', 'learning_objectives[0].description must be a non-empty string', 'an objective needs a description');
select throws_ok($$select pg_temp.template_with('learning_objectives', '[{"description": "a", "bloomsLevel": "high", "category": "c", "weight": 100}]')$$,
  'PT400', 'learning_objectives[0].bloomsLevel must be between 1 and 6', 'a non-numeric bloomsLevel is refused');
select throws_ok($$select pg_temp.template_with('learning_objectives', '[{"description": "a", "bloomsLevel": 2, "weight": 100}]')$$,
  'PT400', 'learning_objectives[0].category must be a non-empty string', 'an objective needs a category');

select throws_ok($$select pg_temp.template_with('writing_stages', '[{"name": "A", "order": 1}, {"name": "B", "order": 1}]')$$,
  'PT400', 'writing_stages[1].order 1 is used by an earlier stage; orders must be unique', 'stage orders are unique');
select throws_ok($$select pg_temp.template_with('writing_stages', '[{"name": "A", "order": 0}]')$$,
  'PT400', 'writing_stages[0].order must be a positive integer', 'stage orders are positive');
select throws_ok($$select pg_temp.template_with('writing_stages', '[{"order": 1}]')$$,
  'PT400', 'writing_stages[0].name must be a non-empty string', 'a stage needs a name');
select throws_ok($$select pg_temp.template_with('writing_stages', '[{"name": "A", "order": 1, "requiredDuration": -5}]')$$,
  'PT400', 'writing_stages[0].requiredDuration must be a number of minutes >= 0', 'requiredDuration is not negative');
select throws_ok($$select pg_temp.template_with('writing_stages', '[{"name": "A", "order": 1, "aiAssistance": {"maxInteractions": -1}}]')$$,
  'PT400', 'writing_stages[0].aiAssistance.maxInteractions must be an integer >= 0', 'maxInteractions is not negative');
select throws_ok($$select pg_temp.template_with('writing_stages', '[{"name": "A", "order": 1, "aiAssistance": {"allowedActions": "all"}}]')$$,
  'PT400', 'writing_stages[0].aiAssistance.allowedActions must be an array of strings', 'allowedActions is a list of strings');
select throws_ok($$select pg_temp.template_with('writing_stages', '[{"name": "A", "order": 1, "reflectionRequired": "yes"}]')$$,
  'PT400', 'writing_stages[0].reflectionRequired must be true or false', 'reflectionRequired is a boolean');

select throws_ok($$select pg_temp.template_with('requirements', '{"minWords": 2000, "maxWords": 1000}')$$,
  'PT400', 'requirements.minWords (2000) must not exceed requirements.maxWords (1000)', 'minWords <= maxWords');
select throws_ok($$select pg_temp.template_with('requirements', '{"citationStyle": ""}')$$,
  'PT400', 'requirements.citationStyle must be a non-empty string such as "APA" or "MLA"', 'citationStyle is a name');
select throws_ok($$select pg_temp.template_with('requirements', '{"requiredSections": ["Intro", 3]}')$$,
  'PT400', 'requirements.requiredSections must be an array of strings', 'requiredSections is a list of strings');
select throws_ok($$select pg_temp.template_with('grading_criteria', '[{"name": "Thesis", "maxPoints": 0}]')$$,
  'PT400', 'grading_criteria[0].maxPoints must be a number greater than 0', 'grading criteria have points');

-- Assignments are validated the same way, on update too, and per-stage due dates are timestamps.
select throws_ok($$update app.assignments set writing_stages = '[{"name": "A", "order": -2}]'
                   where id = 'aa000000-0000-4000-8000-000000000001'$$,
  'PT400', 'writing_stages[0].order must be a positive integer', 'an assignment update is validated');
select throws_ok($$update app.assignments set stage_due_dates = '{"Draft": "next week"}'
                   where id = 'aa000000-0000-4000-8000-000000000001'$$,
  'PT400', 'stage_due_dates.Draft must be a timestamp string', 'per-stage due dates are timestamps');

-- Every problem is listed in the detail.
create function pg_temp.problem_detail() returns text language plpgsql as $f$
begin
  perform pg_temp.template_with('requirements', '{"minWords": -1, "maxWords": 0}');
  return null;
exception when sqlstate 'PT400' then
  declare detail text;
  begin
    get stacked diagnostics detail = pg_exception_detail;
    return detail;
  end;
end $f$;
select is(pg_temp.problem_detail(), 'requirements.minWords must be an integer >= 0; requirements.maxWords must be an integer >= 1',
          'the detail lists every problem');

select lives_ok($$select pg_temp.template_with('learning_objectives',
  '[{"description": "Argue", "bloomsLevel": 6, "category": "skills", "weight": 100}]')$$, 'a valid document is stored');

select * from finish();
