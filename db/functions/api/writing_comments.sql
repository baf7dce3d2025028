-- Comment workflows on submissions: comment, reply, resolve; and marking notifications read.
-- Security invoker: a comment can be written only on a submission the caller can see (their own
-- work, work shared with them, or work in a course they teach), by row-level security. The
-- notification to the other party goes through app.notify_submission_party.
-- requires: writing

create or replace function api.add_comment(
  submission_id uuid,
  content text,
  type text default 'general',
  highlighted_text text default null,
  "position" jsonb default null,
  parent_id uuid default null
) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  submission app.assignment_submissions;
  parent app.submission_comments;
  created app.submission_comments;
  on_own_work boolean;
  notification_id uuid;
begin
  select * into submission from app.assignment_submissions s where s.id = add_comment.submission_id;
  if not found then
    raise exception using errcode = 'PT404', detail = 'submission_not_found',
      message = 'Submission not found (you can comment on your own work, work shared with you, or work in a course you teach).';
  end if;
  if add_comment.content is null or pg_catalog.btrim(add_comment.content) = '' then
    raise exception using errcode = 'PT400', detail = 'content_required', message = 'A comment needs some text.';
  end if;
  if pg_catalog.length(add_comment.content) > 10000 then
    raise exception using errcode = 'PT400', detail = 'content_too_long', message = 'A comment may have at most 10000 characters.';
  end if;
  if coalesce(add_comment.type, '') not in ('general', 'inline', 'suggestion', 'question', 'praise') then
    raise exception using errcode = 'PT400', detail = 'invalid_type',
      message = pg_catalog.format('Unknown comment type %L: use general, inline, suggestion, question or praise.', add_comment.type);
  end if;
  if add_comment."position" is not null and pg_catalog.jsonb_typeof(add_comment."position") <> 'object' then
    raise exception using errcode = 'PT400', detail = 'invalid_position',
      message = 'position must be an object such as {"start": 10, "end": 42}.';
  end if;
  if add_comment.parent_id is not null then
    select * into parent from app.submission_comments c
     where c.id = add_comment.parent_id and c.submission_id = submission.id;
    if not found then
      raise exception using errcode = 'PT404', detail = 'parent_not_found',
        message = 'The comment you are replying to is not on this submission.';
    end if;
  end if;
  insert into app.submission_comments (institution_id, submission_id, author_id, parent_id, type, content,
                                       highlighted_text, "position")
  values (submission.institution_id, submission.id, auth.uid(), add_comment.parent_id, add_comment.type,
          add_comment.content, add_comment.highlighted_text, add_comment."position")
  returning * into created;
  on_own_work := submission.author_id = auth.uid()
                 or submission.id in (select app.my_submission_ids());
  notification_id := app.notify_submission_party(submission.id, case when on_own_work then 'educator' else 'author' end,
    'comment_added', 'feedback',
    case when add_comment.parent_id is null then 'New comment on your work' else 'New reply to a comment' end
      || case when on_own_work then ' from a student' else '' end,
    pg_catalog.left(add_comment.content, 500),
    pg_catalog.jsonb_build_object('commentId', created.id, 'parentId', created.parent_id));
  return pg_catalog.to_jsonb(created) || pg_catalog.jsonb_build_object('notification_id', notification_id);
end
$$;
comment on function api.add_comment(uuid, text, text, text, jsonb, uuid) is
  'Comments on a submission you can see (type general, inline, suggestion, question or praise; inline comments carry '
  'the highlighted text and its position {start, end}); with parent_id, replies in a thread. Notifies the other party '
  '(the student, or the educator when the student comments). Returns the comment. Refusals: 404 a submission you '
  'cannot see or a parent on another submission, 400 empty text or unknown type.';

create or replace function api.reply_to_comment(comment_id uuid, content text) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  parent app.submission_comments;
begin
  select * into parent from app.submission_comments c where c.id = reply_to_comment.comment_id;
  if not found then
    raise exception using errcode = 'PT404', detail = 'comment_not_found', message = 'Comment not found.';
  end if;
  return api.add_comment(parent.submission_id, reply_to_comment.content, 'general', null, null, parent.id);
end
$$;
comment on function api.reply_to_comment(uuid, text) is
  'Replies to a comment (in the same thread, on the same submission). Returns the reply. 404 for a comment you cannot see.';

create or replace function api.resolve_comment(comment_id uuid, resolved boolean default true) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  comment app.submission_comments;
begin
  select * into comment from app.submission_comments c where c.id = resolve_comment.comment_id;
  if not found then
    raise exception using errcode = 'PT404', detail = 'comment_not_found', message = 'Comment not found.';
  end if;
  update app.submission_comments c set is_resolved = coalesce(resolve_comment.resolved, true)
   where c.id = comment.id
  returning * into comment;
  if not found then
    raise exception using errcode = '42501', detail = 'not_allowed',
      message = 'Only the student and the educator of a submission can resolve its comments.';
  end if;
  return pg_catalog.to_jsonb(comment);
end
$$;
comment on function api.resolve_comment(uuid, boolean) is
  'Marks a comment resolved (records who and when) or, with resolved = false, open again. Returns the comment. '
  '404 for a comment you cannot see.';

create or replace function api.mark_notifications_read(notification_ids uuid[] default null) returns integer
language plpgsql volatile
set search_path = ''
as $$
declare
  changed integer;
begin
  update app.notifications n set status = 'read'
   where n.recipient_id = auth.uid() and n.status = 'unread'
     and (mark_notifications_read.notification_ids is null or n.id = any (mark_notifications_read.notification_ids));
  get diagnostics changed = row_count;
  return changed;
end
$$;
comment on function api.mark_notifications_read(uuid[]) is
  'Marks your unread notifications read — those listed, or all of them when notification_ids is omitted. '
  'Returns how many changed (others'' notifications and read ones are left alone).';
