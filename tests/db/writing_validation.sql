-- JSONB validation of templates and assignments: a bad document is refused with SQLSTATE PT400
-- (HTTP 400) and a message naming the offending path.
-- fixture: writing (two institutions, their people, courses, work; see tests/db/fixtures/writing.sql)

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
