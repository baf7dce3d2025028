-- Assignment workflows: create an assignment from a template, publish it, and search templates.
-- All security invoker: the educator's own rights (and row-level security) decide.
-- requires: writing

create or replace function api.create_assignment_from_template(
  template_id uuid,
  course_id uuid,
  title text default null,
  due_at timestamptz default null,
  allow_late_submissions boolean default false,
  publish boolean default false
) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  course app.courses;
  template app.assignment_templates;
  created app.assignments;
  notified integer := 0;
  constraint_name text;
begin
  select * into course from app.courses c where c.id = create_assignment_from_template.course_id;
  if not found or not (course.instructor_id = auth.uid()
                       or (auth.jwt() ->> 'role' = 'admin' and course.institution_id = auth.institution_id())) then
    raise exception using errcode = 'PT404', detail = 'course_not_found',
      message = 'Course not found among the courses you teach.';
  end if;
  select * into template from app.assignment_templates t where t.id = create_assignment_from_template.template_id;
  if not found then
    raise exception using errcode = 'PT404', detail = 'template_not_found',
      message = 'Template not found (it must be public or belong to your institution).';
  end if;
  if create_assignment_from_template.due_at is not null and create_assignment_from_template.due_at <= pg_catalog.now() then
    raise exception using errcode = 'PT400', detail = 'due_at_in_past',
      message = 'The due date must be in the future.';
  end if;
  begin
    insert into app.assignments (institution_id, course_id, instructor_id, template_id, title, description, instructions,
                                 requirements, writing_stages, learning_objectives, ai_settings, grading_criteria, due_at,
                                 allow_late_submissions, status)
    values (course.institution_id, course.id, course.instructor_id, template.id,
            coalesce(nullif(pg_catalog.btrim(create_assignment_from_template.title), ''), template.title),
            template.description, template.instructions, template.requirements, template.writing_stages,
            template.learning_objectives, template.ai_settings, template.grading_criteria,
            create_assignment_from_template.due_at, coalesce(create_assignment_from_template.allow_late_submissions, false),
            case when publish then 'published' else 'draft' end)
    returning * into created;
  exception when unique_violation then
    get stacked diagnostics constraint_name = constraint_name;
    if constraint_name = 'assignments_course_id_template_id_key' then
      raise exception using errcode = 'PT409', detail = 'template_already_used',
        message = pg_catalog.format('The course "%s" already has an assignment from the template "%s".', course.title, template.title),
        hint = 'Open the existing assignment instead, or create a new one without a template.';
    end if;
    raise;
  end;
  if created.status = 'published' then
    notified := app.notify_assignment_published(created.id);
  end if;
  return pg_catalog.to_jsonb(created) || pg_catalog.jsonb_build_object('students_notified', notified);
end
$$;
comment on function api.create_assignment_from_template(uuid, uuid, text, timestamptz, boolean, boolean) is
  'Creates an assignment in a course you teach from a template (public, or of your institution): it copies the '
  'instructions, requirements, writing stages, learning objectives, AI settings and grading criteria; the template''s '
  'usage_count goes up. A draft unless publish is true (then the students are notified). Returns the assignment. '
  'Refusals: 404 unknown course or template, 400 due date in the past, 409 the course already uses this template.';

create or replace function api.publish_assignment(assignment_id uuid) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  assignment app.assignments;
  notified integer;
begin
  select * into assignment from app.assignments a where a.id = publish_assignment.assignment_id for update;
  if not found then
    raise exception using errcode = 'PT404', detail = 'assignment_not_found',
      message = 'Assignment not found among the courses you teach.';
  end if;
  if assignment.status <> 'draft' then
    raise exception using errcode = 'PT409', detail = 'already_published',
      message = pg_catalog.format('The assignment "%s" is already %s.', assignment.title, assignment.status);
  end if;
  if assignment.due_at is not null and assignment.due_at <= pg_catalog.now() then
    raise exception using errcode = 'PT409', detail = 'due_at_in_past',
      message = pg_catalog.format('The due date of "%s" has passed.', assignment.title),
      hint = 'Set a later due date (PATCH /assignments) before publishing.';
  end if;
  update app.assignments a set status = 'published' where a.id = assignment.id returning * into assignment;
  if not found then  -- visible but not yours to change (row-level security)
    raise exception using errcode = '42501', detail = 'not_course_educator',
      message = 'Only the course''s educator can publish its assignments.';
  end if;
  notified := app.notify_assignment_published(assignment.id);
  return pg_catalog.to_jsonb(assignment) || pg_catalog.jsonb_build_object('students_notified', notified);
end
$$;
comment on function api.publish_assignment(uuid) is
  'Publishes a draft assignment of a course you teach: students of the course see it from now on and each active '
  'student gets a notification. Returns the assignment with students_notified. Refusals: 404 unknown assignment, '
  '409 not a draft or due date passed.';

create or replace function api.search_templates(
  query text default null,
  with_tags text[] default null,
  page integer default 1,
  page_size integer default 20
) returns table (
  id uuid,
  title text,
  description text,
  tags text[],
  is_public boolean,
  usage_count integer,
  institution_id uuid,
  instructor_id uuid,
  created_at timestamptz,
  rank real,
  snippet text
)
language plpgsql stable
set search_path = ''
as $$
declare
  q tsquery;
begin
  if page is null or page < 1 then
    raise exception using errcode = 'PT400', detail = 'invalid_page', message = 'page must be 1 or more.';
  end if;
  if page_size is null or page_size not between 1 and 100 then
    raise exception using errcode = 'PT400', detail = 'invalid_page_size', message = 'page_size must be between 1 and 100.';
  end if;
  if nullif(pg_catalog.btrim(query), '') is not null then
    q := pg_catalog.websearch_to_tsquery('english'::regconfig, query);
  end if;
  -- Through the api view (not app.assignment_templates): anonymous callers may use the api schema
  -- only, and the view applies the templates' row-level security for every caller.
  return query
  with hits as (
    select t.id, t.title, t.description, t.tags, t.is_public, t.usage_count, t.institution_id, t.instructor_id,
           t.created_at, case when q is null then 0::real else pg_catalog.ts_rank(t.search, q) end as rank
      from api.assignment_templates t
     where (q is null or t.search operator(pg_catalog.@@) q)
       and (with_tags is null or t.tags operator(pg_catalog.@>) with_tags)
     order by 10 desc, t.usage_count desc, t.created_at desc, t.id
     limit page_size offset (page - 1) * page_size
  )
  select h.id, h.title, h.description, h.tags, h.is_public, h.usage_count, h.institution_id, h.instructor_id,
         h.created_at, h.rank,
         case when q is null then pg_catalog.left(h.description, 200)
              else pg_catalog.ts_headline('english'::regconfig, h.title || ' — ' || h.description, q,
                     'StartSel=<mark>, StopSel=</mark>, MaxWords=35, MinWords=15, MaxFragments=2') end
    from hits h
   order by h.rank desc, h.usage_count desc, h.created_at desc, h.id;
end
$$;
comment on function api.search_templates(text, text[], integer, integer) is
  'Templates you may see (public ones, and your institution''s for educators and admins) matching a web-search query '
  '("persuasive essay", "argument -poetry", "\"lab report\" or science"), best first (ts_rank over title, tags and '
  'description; then most used), with a highlighted snippet (<mark>…</mark>). with_tags keeps templates carrying all the '
  'given tags. Without a query: all, most used first. Paged by page (from 1) and page_size (1-100).';
