-- Validation of the JSONB groups of assignment templates and assignments: learning objectives,
-- writing stages, requirements and grading criteria. Each *_problems function is pure (immutable)
-- and returns the list of problems, every one naming the offending path, e.g.
-- 'learning_objectives[2].bloomsLevel must be between 1 and 6' (array indexes count from 0, as in
-- JSON paths). app.raise_problems() turns a non-empty list into an error with SQLSTATE PT400
-- (HTTP 400): the message is the first problem, the detail lists them all. The tables' triggers
-- (tg_assignment_templates__validate, tg_assignments__validate) call them on every write.
-- requires: writing

create or replace function app.is_integer(value jsonb) returns boolean
language sql immutable parallel safe
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_typeof(value) = 'number' and (value)::numeric = pg_catalog.trunc((value)::numeric), false)
$$;
comment on function app.is_integer(jsonb) is 'Whether a JSON value is an integral number.';

create or replace function app.is_nonblank_string(value jsonb) returns boolean
language sql immutable parallel safe
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_typeof(value) = 'string' and pg_catalog.btrim(value #>> '{}') <> '', false)
$$;
comment on function app.is_nonblank_string(jsonb) is 'Whether a JSON value is a string with a non-blank character.';

create or replace function app.is_string_array(value jsonb) returns boolean
language sql immutable parallel safe
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_typeof(value) = 'array', false)
     and not exists (select from pg_catalog.jsonb_array_elements(value) e where pg_catalog.jsonb_typeof(e) <> 'string')
$$;
comment on function app.is_string_array(jsonb) is 'Whether a JSON value is an array of strings.';

create or replace function app.learning_objectives_problems(doc jsonb, path text default 'learning_objectives')
returns text[]
language plpgsql immutable parallel safe
set search_path = ''
as $$
declare
  problems text[] := '{}';
  item jsonb;
  at text;
  i integer := 0;
  total numeric := 0;
begin
  if doc is null or pg_catalog.jsonb_typeof(doc) <> 'array' then
    return array[path || ' must be an array of objectives'];
  end if;
  for item in select value from pg_catalog.jsonb_array_elements(doc) loop
    at := path || '[' || i || ']';
    if pg_catalog.jsonb_typeof(item) <> 'object' then
      problems := problems || (at || ' must be an object {description, bloomsLevel, category, weight}');
    else
      if not app.is_nonblank_string(item -> 'description') then
        problems := problems || (at || '.description must be a non-empty string');
      end if;
      if not app.is_integer(item -> 'bloomsLevel')
         or (item ->> 'bloomsLevel')::numeric not between 1 and 6 then
        problems := problems || (at || '.bloomsLevel must be between 1 and 6');
      end if;
      if not app.is_nonblank_string(item -> 'category') then
        problems := problems || (at || '.category must be a non-empty string');
      end if;
      if pg_catalog.jsonb_typeof(item -> 'weight') is distinct from 'number'
         or (item ->> 'weight')::numeric <= 0 or (item ->> 'weight')::numeric > 100 then
        problems := problems || (at || '.weight must be a number greater than 0 and at most 100');
      else
        total := total + (item ->> 'weight')::numeric;
      end if;
    end if;
    i := i + 1;
  end loop;
  if i > 0 and problems = '{}' and total <> 100 then
    problems := problems || (path || ' weights must sum to 100 (they sum to ' || total || ')');
  end if;
  return problems;
end
$$;
comment on function app.learning_objectives_problems(jsonb, text) is
  'Problems of a learning-objectives array [{description, bloomsLevel 1-6, category, weight}], weights summing to 100; empty when valid.';

create or replace function app.writing_stages_problems(doc jsonb, path text default 'writing_stages')
returns text[]
language plpgsql immutable parallel safe
set search_path = ''
as $$
declare
  problems text[] := '{}';
  item jsonb;
  assistance jsonb;
  at text;
  i integer := 0;
  orders numeric[] := '{}';
begin
  if doc is null or pg_catalog.jsonb_typeof(doc) <> 'array' then
    return array[path || ' must be an array of stages'];
  end if;
  for item in select value from pg_catalog.jsonb_array_elements(doc) loop
    at := path || '[' || i || ']';
    if pg_catalog.jsonb_typeof(item) <> 'object' then
      problems := problems || (at || ' must be an object {name, order, description, requiredDuration, aiAssistance, reflectionRequired}');
    else
      if not app.is_nonblank_string(item -> 'name') then
        problems := problems || (at || '.name must be a non-empty string');
      end if;
      if not app.is_integer(item -> 'order') or (item ->> 'order')::numeric < 1 then
        problems := problems || (at || '.order must be a positive integer');
      elsif (item ->> 'order')::numeric = any (orders) then
        problems := problems || (at || '.order ' || (item ->> 'order') || ' is used by an earlier stage; orders must be unique');
      else
        orders := orders || (item ->> 'order')::numeric;
      end if;
      if item ? 'description' and pg_catalog.jsonb_typeof(item -> 'description') <> 'string' then
        problems := problems || (at || '.description must be a string');
      end if;
      if item ? 'requiredDuration' and (pg_catalog.jsonb_typeof(item -> 'requiredDuration') <> 'number'
                                        or (item ->> 'requiredDuration')::numeric < 0) then
        problems := problems || (at || '.requiredDuration must be a number of minutes >= 0');
      end if;
      if item ? 'reflectionRequired' and pg_catalog.jsonb_typeof(item -> 'reflectionRequired') <> 'boolean' then
        problems := problems || (at || '.reflectionRequired must be true or false');
      end if;
      if item ? 'aiAssistance' then
        assistance := item -> 'aiAssistance';
        if pg_catalog.jsonb_typeof(assistance) <> 'object' then
          problems := problems || (at || '.aiAssistance must be an object {allowedActions, maxInteractions}');
        else
          if assistance ? 'allowedActions' and not app.is_string_array(assistance -> 'allowedActions') then
            problems := problems || (at || '.aiAssistance.allowedActions must be an array of strings');
          end if;
          if assistance ? 'maxInteractions' and (not app.is_integer(assistance -> 'maxInteractions')
                                                 or (assistance ->> 'maxInteractions')::numeric < 0) then
            problems := problems || (at || '.aiAssistance.maxInteractions must be an integer >= 0');
          end if;
        end if;
      end if;
    end if;
    i := i + 1;
  end loop;
  return problems;
end
$$;
comment on function app.writing_stages_problems(jsonb, text) is
  'Problems of a writing-stages array [{name, order (unique, positive), description, requiredDuration >= 0, aiAssistance {allowedActions[], maxInteractions >= 0}, reflectionRequired}]; empty when valid.';

create or replace function app.requirements_problems(doc jsonb, path text default 'requirements')
returns text[]
language plpgsql immutable parallel safe
set search_path = ''
as $$
declare
  problems text[] := '{}';
  valid_min boolean;
  valid_max boolean;
begin
  if doc is null or pg_catalog.jsonb_typeof(doc) <> 'object' then
    return array[path || ' must be an object {minWords, maxWords, citationStyle, requiredSections}'];
  end if;
  valid_min := not doc ? 'minWords'
               or (app.is_integer(doc -> 'minWords') and (doc ->> 'minWords')::numeric >= 0);
  valid_max := not doc ? 'maxWords'
               or (app.is_integer(doc -> 'maxWords') and (doc ->> 'maxWords')::numeric >= 1);
  if not valid_min then
    problems := problems || (path || '.minWords must be an integer >= 0');
  end if;
  if not valid_max then
    problems := problems || (path || '.maxWords must be an integer >= 1');
  end if;
  if valid_min and valid_max and doc ? 'minWords' and doc ? 'maxWords'
     and (doc ->> 'minWords')::numeric > (doc ->> 'maxWords')::numeric then
    problems := problems || (path || '.minWords (' || (doc ->> 'minWords') || ') must not exceed '
                             || path || '.maxWords (' || (doc ->> 'maxWords') || ')');
  end if;
  if doc ? 'citationStyle' and not app.is_nonblank_string(doc -> 'citationStyle') then
    problems := problems || (path || '.citationStyle must be a non-empty string such as "APA" or "MLA"');
  end if;
  if doc ? 'requiredSections' and not app.is_string_array(doc -> 'requiredSections') then
    problems := problems || (path || '.requiredSections must be an array of strings');
  end if;
  return problems;
end
$$;
comment on function app.requirements_problems(jsonb, text) is
  'Problems of a requirements object {minWords <= maxWords, citationStyle, requiredSections[]}; empty when valid.';

create or replace function app.grading_criteria_problems(doc jsonb, path text default 'grading_criteria')
returns text[]
language plpgsql immutable parallel safe
set search_path = ''
as $$
declare
  problems text[] := '{}';
  item jsonb;
  at text;
  i integer := 0;
begin
  if doc is null or pg_catalog.jsonb_typeof(doc) <> 'array' then
    return array[path || ' must be an array of criteria'];
  end if;
  for item in select value from pg_catalog.jsonb_array_elements(doc) loop
    at := path || '[' || i || ']';
    if pg_catalog.jsonb_typeof(item) <> 'object' then
      problems := problems || (at || ' must be an object {name, description, maxPoints, weight}');
    else
      if not app.is_nonblank_string(item -> 'name') then
        problems := problems || (at || '.name must be a non-empty string');
      end if;
      if pg_catalog.jsonb_typeof(item -> 'maxPoints') is distinct from 'number' or (item ->> 'maxPoints')::numeric <= 0 then
        problems := problems || (at || '.maxPoints must be a number greater than 0');
      end if;
      if item ? 'weight' and (pg_catalog.jsonb_typeof(item -> 'weight') <> 'number' or (item ->> 'weight')::numeric < 0) then
        problems := problems || (at || '.weight must be a number >= 0');
      end if;
    end if;
    i := i + 1;
  end loop;
  return problems;
end
$$;
comment on function app.grading_criteria_problems(jsonb, text) is
  'Problems of a grading-criteria array [{name, description, maxPoints > 0, weight >= 0}]; empty when valid.';

create or replace function app.stage_due_dates_problems(doc jsonb, path text default 'stage_due_dates')
returns text[]
language sql immutable parallel safe
set search_path = ''
as $$
  select coalesce(pg_catalog.array_agg(path || '.' || key || ' must be a timestamp string' order by key), '{}')
    from pg_catalog.jsonb_each(doc)
   where pg_catalog.jsonb_typeof(value) <> 'string'
      or value #>> '{}' !~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$'
$$;
comment on function app.stage_due_dates_problems(jsonb, text) is
  'Problems of a per-stage due-date object {"<stage>": "<ISO 8601 timestamp>"}; empty when valid.';

create or replace function app.assignment_design_problems(
  requirements jsonb, writing_stages jsonb, learning_objectives jsonb, grading_criteria jsonb)
returns text[]
language sql immutable parallel safe
set search_path = ''
as $$
  select app.requirements_problems(requirements) || app.writing_stages_problems(writing_stages)
      || app.learning_objectives_problems(learning_objectives) || app.grading_criteria_problems(grading_criteria)
$$;
comment on function app.assignment_design_problems(jsonb, jsonb, jsonb, jsonb) is
  'All problems of the JSONB groups shared by templates and assignments; empty when valid.';

create or replace function app.raise_problems(problems text[]) returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if pg_catalog.cardinality(problems) > 0 then
    raise exception using errcode = 'PT400', message = problems[1],
      detail = pg_catalog.array_to_string(problems, '; '),
      hint = 'Correct the value at the path named in the message.';
  end if;
end
$$;
comment on function app.raise_problems(text[]) is
  'Raises SQLSTATE PT400 (HTTP 400) naming the first problem (all of them in the detail) when the list is not empty.';
