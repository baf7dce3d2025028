-- A signed-in user changing their own account: password (mail "your password changed"), e-mail
-- (a confirmation mail to the new address) and user_metadata (merged; null removes a key).
-- app_metadata, role and institution are not theirs to change.
-- requires: identity

create or replace function auth.merge_metadata(p_current jsonb, p_changes jsonb) returns jsonb
language sql immutable
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(key, value) filter (where value <> 'null'::jsonb), '{}')
    from jsonb_each(p_current || p_changes)
$$;
comment on function auth.merge_metadata(jsonb, jsonb) is 'p_current with p_changes'' keys replaced; keys set to null are removed.';

create or replace function auth.update_user(
  p_user_id uuid, p_email text, p_password text, p_user_metadata jsonb
) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  rules auth.settings := (select s from auth.settings s);
  account auth.users;
  new_address text;
  token text;
begin
  select * into account from auth.users where id = p_user_id for update;
  if not found then
    raise exception using errcode = 'PT404', detail = 'user_not_found', message = 'User not found';
  end if;

  if p_user_metadata is not null then
    if jsonb_typeof(p_user_metadata) <> 'object' then
      raise exception using errcode = 'PT422', detail = 'validation_failed', message = 'data must be a JSON object.';
    end if;
    update auth.users
       set user_metadata = auth.checked_user_metadata(auth.merge_metadata(user_metadata, p_user_metadata)), updated_at = now()
     where id = account.id;
  end if;

  if p_password is not null then
    perform auth.check_password(p_password);
    if public.crypt(p_password, account.encrypted_password) = account.encrypted_password then
      raise exception using errcode = 'PT422', detail = 'same_password',
        message = 'New password should be different from the old password.';
    end if;
    update auth.users set encrypted_password = auth.hash_password(p_password), updated_at = now()
     where id = account.id;
    perform auth.enqueue_mail('password_changed', account.id, account.email, '{}');
  end if;

  if p_email is not null then
    new_address := auth.normalize_email(p_email);
    if new_address <> account.email then
      if exists (select from auth.users where email = new_address) then
        raise exception using errcode = 'PT422', detail = 'email_exists',
          message = 'A user with this email address has already been registered';
      end if;
      if rules.autoconfirm then
        update auth.users set email = new_address, updated_at = now() where id = account.id;
      else
        token := auth.issue_one_time_token(account.id, 'email_change', new_address);
        update auth.users set email_change = new_address, email_change_sent_at = now(), updated_at = now()
         where id = account.id;
        perform auth.enqueue_mail('email_change', account.id, new_address, jsonb_build_object('token', token));
      end if;
    end if;
  end if;
  return auth.user_document(account.id);
end
$$;
comment on function auth.update_user(uuid, text, text, jsonb) is
  'Changes the caller''s password, e-mail (confirmed by a mail to the new address unless autoconfirm) and '
  'user_metadata (merged). Any argument may be null to leave that part alone.';
