-- The writing platform's table rules as trigger functions (attached in
-- db/functions/util/writing_triggers.sql): request defaults, JSONB validation, course capacity,
-- template usage, submission workflow, document versions, comment resolution, notification reads.
-- Domain refusals raise PT4xx (PostgREST maps PTxyz to HTTP xyz) or 42501 with a message a user
-- can act on. Functions that must write rows the caller may not (courses.enrolled_count,
-- template usage_count, document_versions) are security definer and touch only those rows.
-- Importing: `campus import` (api/importer) runs as the tables' owner with the session setting
-- campus.importing = on. The document version triggers honour it — an import brings the history
-- along (the documentversions collection) — but only for a member of the table's owner (which no
-- request role and not service_role is): the setting alone changes nothing for API roles.
-- requires: writing

-- JSONB validation -------------------------------------------------------------------------------
create or replace function app.tg_assignment_templates__validate() returns trigger
language plpgsql volatile
set search_path = ''
as $$
begin
  perform app.raise_problems(app.assignment_design_problems(
    new.requirements, new.writing_stages, new.learning_objectives, new.grading_criteria));
  return new;
end
$$;
comment on function app.tg_assignment_templates__validate() is
  'Refuses (PT400, naming the path) invalid requirements, writing_stages, learning_objectives or grading_criteria.';

create or replace function app.tg_assignments__validate() returns trigger
language plpgsql volatile
set search_path = ''
as $$
begin
  perform app.raise_problems(app.assignment_design_problems(
    new.requirements, new.writing_stages, new.learning_objectives, new.grading_criteria)
    || app.stage_due_dates_problems(new.stage_due_dates));
  return new;
end
$$;
comment on function app.tg_assignments__validate() is
  'Refuses (PT400, naming the path) invalid JSONB groups and per-stage due dates.';

-- Courses and enrolments -------------------------------------------------------------------------
create or replace function app.take_course_seat(p_course_id uuid) returns void
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  course record;
begin
  -- The row lock serialises concurrent enrolments in one course: the next one waits here and then
  -- reads the committed count (under REPEATABLE READ or SERIALIZABLE it fails with 40001 instead).
  -- FOR NO KEY UPDATE, not FOR UPDATE: this runs in an AFTER trigger, once the enrolment's foreign
  -- key check holds FOR KEY SHARE on the course (as do the parallel enrolments); FOR UPDATE would
  -- have to wait for all of them, and they for it (a deadlock). enrolled_count is no key column.
  select c.title, c.max_students, c.enrolled_count, c.status, c.is_active into course
    from app.courses c where c.id = p_course_id for no key update;
  if not found then
    raise exception using errcode = 'PT404', message = 'Course not found.';
  end if;
  if not course.is_active or course.status not in ('planning', 'active') then
    raise exception using errcode = 'PT409', detail = 'course_closed',
      message = pg_catalog.format('Course "%s" is not open for enrolment (it is %s).', course.title,
                                  case when course.is_active then course.status else 'inactive' end);
  end if;
  if course.enrolled_count >= course.max_students then
    raise exception using errcode = 'PT409', detail = 'course_full',
      message = pg_catalog.format('Course "%s" is full: all %s places are taken.', course.title, course.max_students),
      hint = 'Ask the educator to raise the course''s max_students.';
  end if;
  update app.courses set enrolled_count = enrolled_count + 1 where id = p_course_id;
end
$$;
comment on function app.take_course_seat(uuid) is
  'Locks the course row and takes one place; PT409 when the course is full or closed. Called by the enrolment trigger.';

create or replace function app.release_course_seat(p_course_id uuid) returns void
language sql volatile security definer
set search_path = ''
as $$
  update app.courses set enrolled_count = greatest(enrolled_count - 1, 0) where id = p_course_id
$$;
comment on function app.release_course_seat(uuid) is 'Gives one place of a course back. Called by the enrolment trigger.';

create or replace function app.tg_course_enrollments__count_seats() returns trigger
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  if tg_op in ('UPDATE', 'DELETE') and old.status = 'active'
     and (tg_op = 'DELETE' or new.status <> 'active' or new.course_id <> old.course_id) then
    perform app.release_course_seat(old.course_id);
  end if;
  if tg_op in ('INSERT', 'UPDATE') and new.status = 'active'
     and (tg_op = 'INSERT' or old.status <> 'active' or new.course_id <> old.course_id) then
    perform app.take_course_seat(new.course_id);
  end if;
  return null;  -- an AFTER trigger: the result is ignored
end
$$;
comment on function app.tg_course_enrollments__count_seats() is
  'AFTER INSERT/UPDATE/DELETE: active enrolments take a place of the course (refused when full), leaving ones give it back. '
  'AFTER, so that rows skipped or merged by INSERT … ON CONFLICT take no place. '
  'Security definer: it updates courses.enrolled_count, which the enrolling user may not.';

create or replace function app.tg_courses__check_capacity() returns trigger
language plpgsql volatile
set search_path = ''
as $$
begin
  if new.max_students < new.enrolled_count then
    raise exception using errcode = 'PT409', detail = 'capacity_below_enrolment',
      message = pg_catalog.format('max_students cannot be %s: %s students are enrolled.', new.max_students, new.enrolled_count);
  end if;
  if app.is_request_role() and new.enrolled_count is distinct from old.enrolled_count then
    raise exception using errcode = '42501', message = 'enrolled_count is maintained by the database.';
  end if;
  return new;
end
$$;
comment on function app.tg_courses__check_capacity() is 'BEFORE UPDATE: capacity never drops below the number of enrolled students.';

-- Assignments ------------------------------------------------------------------------------------
create or replace function app.tg_assignments__check_template() returns trigger
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  if new.template_id is not null and (tg_op = 'INSERT' or new.template_id is distinct from old.template_id)
     and not exists (select from app.assignment_templates t
                      where t.id = new.template_id and (t.is_public or t.institution_id = new.institution_id)) then
    raise exception using errcode = 'PT404', message = 'Template not found (it must be public or belong to your institution).';
  end if;
  if new.status <> 'draft' and new.published_at is null then
    new.published_at := pg_catalog.now();
  end if;
  return new;
end
$$;
comment on function app.tg_assignments__check_template() is
  'BEFORE INSERT/UPDATE: the template must be public or of the same institution; published_at is set on first publication.';

create or replace function app.tg_assignments__count_template_use() returns trigger
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  update app.assignment_templates set usage_count = usage_count + 1 where id = new.template_id;
  return null;
end
$$;
comment on function app.tg_assignments__count_template_use() is
  'AFTER INSERT (or a new template_id): increments the template''s usage_count.';

-- Submissions ------------------------------------------------------------------------------------
create or replace function app.tg_assignment_submissions__enforce_workflow() returns trigger
language plpgsql volatile
set search_path = ''
as $$
declare
  rules record;
  uid uuid := auth.uid();
  is_educator boolean;
  allowed text[];
begin
  if not app.is_request_role() then  -- the owner, service_role and other trusted jobs
    if new.status = 'submitted' and new.submitted_at is null then new.submitted_at := pg_catalog.now(); end if;
    if new.status = 'graded' and new.graded_at is null then new.graded_at := pg_catalog.now(); end if;
    return new;
  end if;
  select * into rules from app.assignment_rules(new.assignment_id);
  is_educator := uid is not null and rules.instructor_id = uid;

  if tg_op = 'INSERT' then
    if new.status not in ('not_started', 'in_progress') then
      raise exception using errcode = 'PT409', detail = 'invalid_status',
        message = pg_catalog.format('A new submission starts as not_started or in_progress, not %s.', new.status);
    end if;
    -- (An assignment the student cannot see is left to the row-level security check.)
    if rules.status not in ('published', 'in_progress')
       and exists (select from app.assignments a where a.id = new.assignment_id) then
      raise exception using errcode = 'PT409', detail = 'assignment_closed',
        message = pg_catalog.format('This assignment does not accept work (it is %s).', rules.status);
    end if;
    if new.grade is not null or new.feedback is not null or new.graded_by is not null then
      raise exception using errcode = '42501', message = 'Only the course''s educator can grade a submission.';
    end if;
    new.submitted_at := null;
    new.returned_at := null;
    new.graded_at := null;
    return new;
  end if;

  -- Grades are the educator's, and are audited.
  if (new.grade, new.feedback, new.rubric_scores, new.graded_by)
     is distinct from (old.grade, old.feedback, old.rubric_scores, old.graded_by) and not is_educator then
    raise exception using errcode = '42501', detail = 'not_course_educator',
      message = 'Only the course''s educator can grade a submission.';
  end if;

  if new.status is distinct from old.status then
    allowed := case old.status
      when 'not_started' then array['in_progress', 'submitted']
      when 'in_progress' then array['submitted']
      when 'submitted' then array['returned', 'graded']
      when 'returned' then array['in_progress', 'submitted', 'graded']
      when 'graded' then array['returned']
    end;
    if not new.status = any (allowed) then
      raise exception using errcode = 'PT409', detail = 'invalid_transition',
        message = pg_catalog.format('A submission that is %s cannot become %s.', old.status, new.status),
        hint = pg_catalog.format('From %s it may become: %s.', old.status, pg_catalog.array_to_string(allowed, ', '));
    end if;
    if new.status in ('returned', 'graded') then
      if not is_educator then
        raise exception using errcode = '42501', detail = 'not_course_educator',
          message = pg_catalog.format('Only the course''s educator can mark a submission %s.', new.status);
      end if;
      if new.status = 'returned' then
        new.returned_at := pg_catalog.now();
      else
        new.graded_at := pg_catalog.now();
        new.graded_by := uid;
      end if;
    else  -- in_progress or submitted: the student's moves
      if is_educator then
        raise exception using errcode = '42501', detail = 'not_author',
          message = pg_catalog.format('Only the student can mark their work %s.', new.status);
      end if;
      if new.status = 'submitted' then
        if rules.due_at is not null and pg_catalog.now() > rules.due_at and not rules.allow_late_submissions then
          raise exception using errcode = 'PT409', detail = 'past_due',
            message = pg_catalog.format('The due date (%s) has passed and this assignment does not accept late work.',
                                        pg_catalog.to_char(rules.due_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')),
            hint = 'Ask the educator to extend the due date or allow late submissions.';
        end if;
        new.submitted_at := pg_catalog.now();
      end if;
    end if;
  elsif (new.content, new.title) is distinct from (old.content, old.title) then
    if old.status in ('submitted', 'graded') then
      raise exception using errcode = 'PT409', detail = 'submission_locked',
        message = pg_catalog.format('This submission is %s; it can be edited again once the educator returns it.', old.status);
    end if;
    if old.status = 'not_started' then
      new.status := 'in_progress';
    end if;
  end if;
  -- Timestamps belong to the workflow.
  if new.status is not distinct from old.status then
    new.submitted_at := old.submitted_at;
    new.returned_at := old.returned_at;
    new.graded_at := old.graded_at;
  end if;
  return new;
end
$$;
comment on function app.tg_assignment_submissions__enforce_workflow() is
  'BEFORE INSERT/UPDATE: status moves not_started -> in_progress -> submitted -> returned|graded (returned -> in_progress|submitted|graded, graded -> returned); '
  'students submit (not after due_at unless the assignment allows late work), only the course''s educator returns and grades; '
  'submitted work is locked; the workflow timestamps are set here.';

-- Documents --------------------------------------------------------------------------------------
create or replace function app.word_changes(old_text text, new_text text, out words_added integer, out words_removed integer)
language sql immutable parallel safe
set search_path = ''
as $$
  with old_words as (select w from pg_catalog.regexp_split_to_table(pg_catalog.btrim(coalesce(old_text, '')), '\s+') w where w <> ''),
       new_words as (select w from pg_catalog.regexp_split_to_table(pg_catalog.btrim(coalesce(new_text, '')), '\s+') w where w <> '')
  select (select count(*) from (select w from new_words except all select w from old_words) added)::integer,
         (select count(*) from (select w from old_words except all select w from new_words) removed)::integer
$$;
comment on function app.word_changes(text, text) is
  'Words added and removed between two texts, as multiset differences of their words.';

create or replace function app.tg_documents__bump_version() returns trigger
language plpgsql volatile
set search_path = ''
as $$
begin
  -- The setting first: it is off for every API request, which then pays for nothing else. The owner
  -- check makes the setting mean nothing to API roles and service_role (none is a member of the owner).
  if pg_catalog.current_setting('campus.importing', true) = 'on'
     and pg_catalog.pg_has_role(current_user, (select c.relowner from pg_catalog.pg_class c where c.oid = tg_relid), 'MEMBER') then
    -- Imported: version 0 (nothing written by _800_write_version); the importer sets current_version
    -- to the latest imported version afterwards, and that bookkeeping is not an edit.
    if tg_op = 'INSERT' then
      new.current_version := 0;
    elsif (new.title, new.content) is distinct from (old.title, old.content) then
      new.current_version := old.current_version;
    elsif new.current_version is distinct from old.current_version then
      new.updated_at := old.updated_at;
    end if;
    return new;
  end if;
  if tg_op = 'INSERT' then
    new.current_version := 1;
  elsif (new.title, new.content) is distinct from (old.title, old.content) then
    new.current_version := old.current_version + 1;
  else
    new.current_version := old.current_version;
  end if;
  return new;
end
$$;
comment on function app.tg_documents__bump_version() is
  'BEFORE INSERT/UPDATE: version 1 at creation, the next number whenever title or content changes. '
  'Importing (campus.importing = on, set by the tables'' owner): version 0 at creation, then only the importer''s bookkeeping changes it.';

create or replace function app.tg_documents__write_version() returns trigger
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  changed record;
  title_changed boolean := tg_op = 'UPDATE' and new.title is distinct from old.title;
  summary text;
begin
  if new.current_version = 0  -- imported (see tg_documents__bump_version): the import brings the versions
     or tg_op = 'UPDATE' and new.current_version = old.current_version then
    return null;
  end if;
  select * into changed from app.word_changes(case when tg_op = 'UPDATE' then old.content end, new.content);
  summary := case when tg_op = 'INSERT' then pg_catalog.format('Created with %s words', new.word_count)
                  else pg_catalog.format('+%s / -%s words', changed.words_added, changed.words_removed) end
             || case when title_changed then '; title changed' else '' end;
  insert into app.document_versions
    (institution_id, document_id, version_number, title, content, author_id, words_added, words_removed, change_summary, changes)
  values (new.institution_id, new.id, new.current_version, new.title, new.content,
          coalesce(auth.uid(), new.author_id), changed.words_added, changed.words_removed, summary,
          pg_catalog.jsonb_build_object(
            'wordsAdded', changed.words_added, 'wordsRemoved', changed.words_removed,
            'wordCount', new.word_count,
            'previousWordCount', case when tg_op = 'UPDATE' then old.word_count else 0 end,
            'titleChanged', title_changed));
  return null;
end
$$;
comment on function app.tg_documents__write_version() is
  'AFTER INSERT/UPDATE: writes document_versions row number current_version (author = the caller or the document''s author, word counts, a change summary); nothing for an imported document (version 0).';

-- Comments and notifications ---------------------------------------------------------------------
create or replace function app.tg_submission_comments__guard() returns trigger
language plpgsql volatile
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and app.is_request_role()
     and (new.content, new.highlighted_text, new.position, new.type)
         is distinct from (old.content, old.highlighted_text, old.position, old.type)
     and old.author_id is distinct from auth.uid() then
    raise exception using errcode = '42501', message = 'Only its author can edit a comment.';
  end if;
  if new.is_resolved and (tg_op = 'INSERT' or not old.is_resolved) then
    new.resolved_at := pg_catalog.now();
    new.resolved_by := coalesce(auth.uid(), new.resolved_by);
  elsif not new.is_resolved then
    new.resolved_at := null;
    new.resolved_by := null;
  end if;
  return new;
end
$$;
comment on function app.tg_submission_comments__guard() is
  'BEFORE INSERT/UPDATE: only the author edits a comment''s text; resolving records who and when.';

create or replace function app.tg_notifications__mark_read() returns trigger
language plpgsql volatile
set search_path = ''
as $$
begin
  if new.status = 'unread' then
    new.read_at := null;
  elsif new.read_at is null then
    new.read_at := pg_catalog.now();
  end if;
  return new;
end
$$;
comment on function app.tg_notifications__mark_read() is 'BEFORE INSERT/UPDATE: read_at follows status (set when read or archived, cleared when unread).';
