-- Submission workflows: start, save a draft, submit (students); return and grade (educators).
-- All security invoker, so row-level security and the submissions' workflow trigger
-- (app.tg_assignment_submissions__enforce_workflow: due dates, who may return and grade) apply to
-- the caller. The one write a student may not make directly — the educator's notification on
-- submit — goes through app.notify_submission_party (security definer, checks the caller).
-- requires: writing

create or replace function api.start_submission(assignment_id uuid) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  assignment app.assignments;
  submission app.assignment_submissions;
  document app.documents;
begin
  select * into assignment from app.assignments a where a.id = start_submission.assignment_id;
  if not found then
    raise exception using errcode = 'PT404', detail = 'assignment_not_found',
      message = 'Assignment not found in your courses (it may not be published yet).';
  end if;
  select * into submission from app.assignment_submissions s
   where s.assignment_id = assignment.id and s.author_id = auth.uid();
  if not found then
    if assignment.status not in ('published', 'in_progress') then
      raise exception using errcode = 'PT409', detail = 'assignment_closed',
        message = pg_catalog.format('The assignment "%s" is %s and no longer accepts work.', assignment.title, assignment.status);
    end if;
    -- No RETURNING here and below: the select policies ask app.my_submission_ids() and
    -- app.my_document_ids(), whose snapshot does not hold the new row yet; read it back instead.
    begin
      insert into app.assignment_submissions (institution_id, assignment_id, author_id, title, status)
      values (assignment.institution_id, assignment.id, auth.uid(), assignment.title, 'in_progress');
    exception when unique_violation then  -- started in parallel: use that one
      null;
    end;
    select * into submission from app.assignment_submissions s
     where s.assignment_id = assignment.id and s.author_id = auth.uid();
  end if;
  select * into document from app.documents d
   where d.submission_id = submission.id and d.author_id = auth.uid()
   order by d.created_at limit 1;
  if not found then
    insert into app.documents (institution_id, author_id, course_id, assignment_id, submission_id, title, content, type)
    values (assignment.institution_id, auth.uid(), assignment.course_id, assignment.id, submission.id,
            assignment.title, submission.content, 'draft');
    select * into document from app.documents d
     where d.submission_id = submission.id and d.author_id = auth.uid()
     order by d.created_at limit 1;
  end if;
  return pg_catalog.jsonb_build_object(
    'submission', pg_catalog.to_jsonb(submission),
    'document', pg_catalog.jsonb_build_object('id', document.id, 'title', document.title,
      'current_version', document.current_version, 'word_count', document.word_count));
end
$$;
comment on function api.start_submission(uuid) is
  'Starts your work on a published assignment of a course you are enrolled in: creates your submission (in_progress) '
  'and its working document, or returns the ones you already have. Returns {submission, document}. '
  'Refusals: 404 assignment not visible to you, 409 assignment closed.';

create or replace function api.save_draft(
  submission_id uuid,
  content text,
  title text default null,
  session_started_at timestamptz default null
) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  submission app.assignment_submissions;
  document app.documents;
  version app.document_versions;
  session_id uuid;
begin
  select * into submission from app.assignment_submissions s
   where s.id = save_draft.submission_id and s.id in (select app.my_editable_submission_ids())
   for update;
  if not found then
    raise exception using errcode = 'PT404', detail = 'submission_not_found',
      message = 'Submission not found among your work.', hint = 'Start the assignment first (POST /rpc/start_submission).';
  end if;
  if submission.status in ('submitted', 'graded') then
    raise exception using errcode = 'PT409', detail = 'submission_locked',
      message = pg_catalog.format('This submission is %s; you can edit it again once your educator returns it.', submission.status);
  end if;
  if save_draft.content is null then
    raise exception using errcode = 'PT400', detail = 'content_required', message = 'content is required (it may be empty).';
  end if;
  if save_draft.session_started_at is not null
     and (save_draft.session_started_at > pg_catalog.now() or save_draft.session_started_at < pg_catalog.now() - interval '24 hours') then
    raise exception using errcode = 'PT400', detail = 'invalid_session_start',
      message = 'session_started_at must lie within the last 24 hours.';
  end if;

  select * into document from app.documents d
   where d.submission_id = submission.id and d.id in (select app.my_editable_document_ids())
   order by d.created_at limit 1
   for update;
  if not found then
    insert into app.documents (institution_id, author_id, course_id, assignment_id, submission_id, title, content, type)
    select submission.institution_id, auth.uid(), a.course_id, a.id, submission.id,
           coalesce(nullif(pg_catalog.btrim(save_draft.title), ''), nullif(submission.title, ''), a.title),
           save_draft.content, 'draft'
      from app.assignments a where a.id = submission.assignment_id;  -- no RETURNING: see start_submission
    select * into document from app.documents d
     where d.submission_id = submission.id and d.author_id = auth.uid()
     order by d.created_at limit 1;
  else
    -- The documents triggers write the next version (number, author, word counts, summary) when
    -- the title or the content changed; nothing happens otherwise.
    update app.documents d
       set content = save_draft.content,
           title = coalesce(nullif(pg_catalog.btrim(save_draft.title), ''), d.title),
           status = 'active'
     where d.id = document.id
    returning * into document;
  end if;
  update app.assignment_submissions s
     set content = save_draft.content,
         title = coalesce(nullif(pg_catalog.btrim(save_draft.title), ''), s.title)
   where s.id = submission.id
  returning * into submission;
  select * into version from app.document_versions v
   where v.document_id = document.id and v.version_number = document.current_version;

  if save_draft.session_started_at is not null then
    insert into app.writing_sessions (institution_id, document_id, user_id, started_at, ended_at, words_added, words_removed)
    values (document.institution_id, document.id, auth.uid(), save_draft.session_started_at, pg_catalog.now(),
            case when version.created_at = pg_catalog.now() then version.words_added else 0 end,
            case when version.created_at = pg_catalog.now() then version.words_removed else 0 end)
    returning id into session_id;
  end if;

  return pg_catalog.jsonb_build_object(
    'submission', pg_catalog.jsonb_build_object('id', submission.id, 'status', submission.status,
      'title', submission.title, 'word_count', submission.word_count, 'updated_at', submission.updated_at),
    'document', pg_catalog.jsonb_build_object('id', document.id, 'title', document.title,
      'current_version', document.current_version, 'word_count', document.word_count),
    'version', pg_catalog.jsonb_build_object('version_number', version.version_number, 'words_added', version.words_added,
      'words_removed', version.words_removed, 'change_summary', version.change_summary, 'created_at', version.created_at),
    'session_id', session_id);
end
$$;
comment on function api.save_draft(uuid, text, text, timestamptz) is
  'Saves your draft of a submission: the working document''s content (and title) — which writes the next document '
  'version when something changed — and the submission''s copy. With session_started_at, also records a writing '
  'session from then to now (for the writing analytics). Returns {submission, document, version, session_id}. '
  'Refusals: 404 not your submission, 409 submitted or graded work (locked until it is returned).';

create or replace function api.submit_submission(submission_id uuid) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  submission app.assignment_submissions;
  assignment app.assignments;
  who text;
  min_words integer;
  max_words integer;
  notification_id uuid;
begin
  select * into submission from app.assignment_submissions s
   where s.id = submit_submission.submission_id and s.id in (select app.my_editable_submission_ids())
   for update;
  if not found then
    raise exception using errcode = 'PT404', detail = 'submission_not_found', message = 'Submission not found among your work.';
  end if;
  if submission.status = 'submitted' then
    raise exception using errcode = 'PT409', detail = 'already_submitted',
      message = pg_catalog.format('You already submitted this work (%s).',
                                  pg_catalog.to_char(submission.submitted_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')),
      hint = 'You can submit again once your educator returns it.';
  end if;
  if submission.status = 'graded' then
    raise exception using errcode = 'PT409', detail = 'already_graded',
      message = 'This work has been graded; it can no longer be submitted.';
  end if;
  select * into assignment from app.assignments a where a.id = submission.assignment_id;
  if pg_catalog.btrim(submission.content) = '' then
    raise exception using errcode = 'PT400', detail = 'empty_submission',
      message = 'There is nothing to submit yet: save a draft first.';
  end if;
  if pg_catalog.jsonb_typeof(assignment.requirements -> 'minWords') = 'number' then
    min_words := (assignment.requirements ->> 'minWords')::numeric::integer;
  end if;
  if pg_catalog.jsonb_typeof(assignment.requirements -> 'maxWords') = 'number' then
    max_words := (assignment.requirements ->> 'maxWords')::numeric::integer;
  end if;
  if submission.word_count < min_words then
    raise exception using errcode = 'PT400', detail = 'too_few_words',
      message = pg_catalog.format('Your work has %s words; this assignment asks for at least %s.', submission.word_count, min_words);
  end if;
  if submission.word_count > max_words then
    raise exception using errcode = 'PT400', detail = 'too_many_words',
      message = pg_catalog.format('Your work has %s words; this assignment allows at most %s.', submission.word_count, max_words);
  end if;
  -- The workflow trigger refuses work past the due date (unless late work is allowed) and sets submitted_at.
  update app.assignment_submissions s set status = 'submitted' where s.id = submission.id returning * into submission;
  update app.documents d set status = 'submitted'
   where d.submission_id = submission.id and d.id in (select app.my_editable_document_ids());
  select coalesce(nullif(pg_catalog.btrim(pg_catalog.concat_ws(' ', p.first_name, p.last_name)), ''), 'A student') into who
    from app.profiles p where p.user_id = auth.uid();
  notification_id := app.notify_submission_party(submission.id, 'educator', 'submission_submitted', 'submission',
    pg_catalog.left(pg_catalog.format('%s submitted "%s"', coalesce(who, 'A student'), assignment.title), 200),
    pg_catalog.format('%s words, submitted %s%s.', submission.word_count,
                      pg_catalog.to_char(submission.submitted_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'),
                      case when submission.submitted_at > assignment.due_at then ' (late)' else '' end),
    pg_catalog.jsonb_build_object('authorId', submission.author_id, 'late', coalesce(submission.submitted_at > assignment.due_at, false)),
    'normal', true);
  return pg_catalog.to_jsonb(submission) || pg_catalog.jsonb_build_object('notification_id', notification_id);
end
$$;
comment on function api.submit_submission(uuid) is
  'Submits your work: status submitted, submitted_at now, the working document marked submitted, and a notification '
  'to the course''s educator — all in one transaction. Returns the submission. Refusals: 404 not your submission, '
  '409 already submitted or graded, 409 past the due date (unless the assignment allows late work), 400 empty or '
  'outside the assignment''s minWords/maxWords.';

create or replace function api.return_submission(submission_id uuid, feedback text default null) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  submission app.assignment_submissions;
  assignment_title text;
  notification_id uuid;
begin
  select * into submission from app.assignment_submissions s
   where s.id = return_submission.submission_id and s.assignment_id in (select app.my_taught_assignment_ids())
   for update;
  if not found then
    raise exception using errcode = 'PT404', detail = 'submission_not_found',
      message = 'Submission not found in the courses you teach.';
  end if;
  if submission.status not in ('submitted', 'graded') then
    raise exception using errcode = 'PT409', detail = 'not_submitted',
      message = pg_catalog.format('Only submitted or graded work can be returned; this submission is %s.',
                                  pg_catalog.replace(submission.status, '_', ' '));
  end if;
  update app.assignment_submissions s
     set status = 'returned', feedback = coalesce(return_submission.feedback, s.feedback)
   where s.id = submission.id
  returning * into submission;
  select a.title into assignment_title from app.assignments a where a.id = submission.assignment_id;
  notification_id := app.notify_submission_party(submission.id, 'author', 'submission_returned', 'feedback',
    pg_catalog.left(pg_catalog.format('"%s" was returned for revision', assignment_title), 200),
    coalesce(pg_catalog.left(return_submission.feedback, 500), 'Your educator returned your work for revision.'),
    '{}', 'high', true);
  return pg_catalog.to_jsonb(submission) || pg_catalog.jsonb_build_object('notification_id', notification_id);
end
$$;
comment on function api.return_submission(uuid, text) is
  'Returns submitted (or graded) work to the student for revision, with optional feedback, and notifies them. '
  'Only the course''s educator. Returns the submission. Refusals: 404 not in your courses, 409 not submitted.';

create or replace function api.grade_submission(
  submission_id uuid,
  rubric_scores jsonb default '[]',
  feedback text default null,
  grade numeric default null
) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  submission app.assignment_submissions;
  assignment app.assignments;
  criteria jsonb;
  problems text[] := '{}';
  scores jsonb := coalesce(grade_submission.rubric_scores, '[]');
  item jsonb;
  criterion jsonb;
  at text;
  i integer := 0;
  seen text[] := '{}';
  normalized jsonb := '[]';
  names text;
  computed numeric;
  final_grade numeric;
  notification_id uuid;
begin
  select * into submission from app.assignment_submissions s
   where s.id = grade_submission.submission_id and s.assignment_id in (select app.my_taught_assignment_ids())
   for update;
  if not found then
    raise exception using errcode = 'PT404', detail = 'submission_not_found',
      message = 'Submission not found in the courses you teach.';
  end if;
  if submission.status not in ('submitted', 'returned', 'graded') then
    raise exception using errcode = 'PT409', detail = 'not_submitted',
      message = pg_catalog.format('This work is %s: it can be graded once the student submits it.',
                                  pg_catalog.replace(submission.status, '_', ' '));
  end if;
  select * into assignment from app.assignments a where a.id = submission.assignment_id;
  criteria := assignment.grading_criteria;
  select pg_catalog.string_agg(pg_catalog.format('"%s"', c ->> 'name'), ', ') into names
    from pg_catalog.jsonb_array_elements(criteria) c;

  -- Validate the scores against the assignment's grading criteria, naming the offending path.
  if pg_catalog.jsonb_typeof(scores) <> 'array' then
    problems := problems || 'rubric_scores must be an array of {criterion, points, comment}'::text;
  else
    for item in select value from pg_catalog.jsonb_array_elements(scores) loop
      at := 'rubric_scores[' || i || ']';
      i := i + 1;
      if pg_catalog.jsonb_typeof(item) <> 'object' then
        problems := problems || (at || ' must be an object {criterion, points, comment}');
        continue;
      end if;
      select c into criterion from pg_catalog.jsonb_array_elements(criteria) c where c -> 'name' = item -> 'criterion';
      if not found then
        problems := problems || (at || '.criterion '
          || case when item ->> 'criterion' is null then 'is missing' else pg_catalog.format('"%s" is unknown', item ->> 'criterion') end
          || case when names is null then ' (this assignment has no grading criteria)'
                  else ' (the grading criteria are ' || names || ')' end);
        continue;
      end if;
      if (item ->> 'criterion') = any (seen) then
        problems := problems || pg_catalog.format('%s.criterion "%s" is scored twice', at, item ->> 'criterion');
        continue;
      end if;
      seen := seen || (item ->> 'criterion');
      if pg_catalog.jsonb_typeof(item -> 'points') is distinct from 'number'
         or (item ->> 'points')::numeric < 0 or (item ->> 'points')::numeric > (criterion ->> 'maxPoints')::numeric then
        problems := problems || pg_catalog.format('%s.points must be a number between 0 and %s (the maxPoints of "%s")',
                                                  at, criterion ->> 'maxPoints', criterion ->> 'name');
        continue;
      end if;
      if item ? 'comment' and pg_catalog.jsonb_typeof(item -> 'comment') not in ('string', 'null') then
        problems := problems || (at || '.comment must be a string');
        continue;
      end if;
      normalized := normalized || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
        'criterion', criterion ->> 'name', 'points', (item ->> 'points')::numeric,
        'maxPoints', (criterion ->> 'maxPoints')::numeric, 'comment', item ->> 'comment'));
    end loop;
    problems := problems || coalesce((
      select pg_catalog.array_agg(pg_catalog.format('rubric_scores has no score for the criterion "%s"', c ->> 'name'))
        from pg_catalog.jsonb_array_elements(criteria) c
       where pg_catalog.cardinality(problems) = 0 and not (c ->> 'name') = any (seen)), '{}');
  end if;
  if grade_submission.grade is not null and grade_submission.grade not between 0 and 100 then
    problems := problems || 'grade must be between 0 and 100'::text;
  end if;
  if pg_catalog.jsonb_array_length(criteria) = 0 and grade_submission.grade is null then
    problems := problems || 'grade is required: this assignment has no grading criteria to compute it from'::text;
  end if;
  perform app.raise_problems(problems);

  -- The grade out of 100: weighted by the criteria's weights when they all have one, else by points.
  if pg_catalog.jsonb_array_length(criteria) > 0 then
    select case when count(*) = count(c -> 'weight') and sum((c ->> 'weight')::numeric) > 0
                then sum((s ->> 'points')::numeric / (c ->> 'maxPoints')::numeric * (c ->> 'weight')::numeric)
                     / sum((c ->> 'weight')::numeric) * 100
                else sum((s ->> 'points')::numeric) / sum((c ->> 'maxPoints')::numeric) * 100 end
      into computed
      from pg_catalog.jsonb_array_elements(criteria) c
      join pg_catalog.jsonb_array_elements(normalized) s on s ->> 'criterion' = c ->> 'name';
  end if;
  final_grade := pg_catalog.round(coalesce(grade_submission.grade, computed), 2);

  -- The workflow trigger checks that the caller is the course's educator and sets graded_at/graded_by.
  update app.assignment_submissions s
     set status = 'graded', grade = final_grade, rubric_scores = normalized,
         feedback = coalesce(grade_submission.feedback, s.feedback)
   where s.id = submission.id
  returning * into submission;
  notification_id := app.notify_submission_party(submission.id, 'author', 'submission_graded', 'feedback',
    pg_catalog.left(pg_catalog.format('"%s" was graded: %s/100', assignment.title, final_grade), 200),
    coalesce(pg_catalog.left(grade_submission.feedback, 500), 'Your educator graded your work.'),
    pg_catalog.jsonb_build_object('grade', final_grade), 'normal', false);
  return pg_catalog.to_jsonb(submission) || pg_catalog.jsonb_build_object('notification_id', notification_id);
end
$$;
comment on function api.grade_submission(uuid, jsonb, text, numeric) is
  'Grades submitted work against the assignment''s grading criteria. rubric_scores: [{criterion, points, comment}], one '
  'per criterion, 0 <= points <= its maxPoints; the grade (out of 100) is computed from them — weighted when every '
  'criterion has a weight — unless grade is given (required when there are no criteria). Notifies the student. '
  'Only the course''s educator. Refusals: 404 not in your courses, 409 not submitted, 400 naming the offending score.';
