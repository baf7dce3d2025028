-- Mailed tokens: requesting a password reset (the same answer whether the address exists or not)
-- and redeeming sign-up, recovery and e-mail-change tokens for a session.
-- requires: identity

create or replace function auth.recover(p_email text) returns void
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  rules auth.settings := (select s from auth.settings s);
  account auth.users;
  token text;
begin
  select * into account from auth.users where email = auth.normalize_email(p_email) for update;
  -- Unknown, banned or recently mailed: nothing happens, and the caller cannot tell.
  if not found or account.banned_until > now()
     or account.recovery_sent_at > now() - rules.mail_resend_interval then
    return;
  end if;
  token := auth.issue_one_time_token(account.id, 'recovery', account.email);
  update auth.users set recovery_sent_at = now() where id = account.id;
  perform auth.enqueue_mail('reset_password', account.id, account.email, jsonb_build_object('token', token));
end
$$;
comment on function auth.recover(text) is
  'Puts a password-reset mail with a one-time token into the outbox when the address belongs to an active user '
  '(at most once per mail_resend_interval); silent otherwise.';

create or replace function auth.verify_one_time_token(
  p_type text, p_token text, p_email text, p_ip inet, p_user_agent text
) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  kind auth.one_time_token_type;
  redeemed auth.one_time_tokens;
  account auth.users;
begin
  kind := case p_type
            when 'signup' then 'confirmation' when 'email' then 'confirmation' when 'invite' then 'confirmation'
            when 'recovery' then 'recovery' when 'email_change' then 'email_change' end;
  if kind is null then
    raise exception using errcode = 'PT400', detail = 'validation_failed',
      message = format('Unsupported verification type %L; use signup, email, recovery or email_change.', p_type);
  end if;

  update auth.one_time_tokens t set used_at = now()
   where t.token_hash = auth.digest(coalesce(p_token, '')) and t.token_type = kind and t.used_at is null
     and t.expires_at > now() and (p_email is null or t.relates_to = lower(btrim(p_email)))
  returning * into redeemed;
  if not found then
    return jsonb_build_object('outcome', 'invalid');
  end if;

  select * into account from auth.users where id = redeemed.user_id for update;
  if account.banned_until > now() then
    return jsonb_build_object('outcome', 'user_banned');
  end if;
  if kind = 'email_change' then
    if account.email_change is distinct from redeemed.relates_to then
      return jsonb_build_object('outcome', 'invalid');  -- superseded by a later change request
    end if;
    if exists (select from auth.users where email = redeemed.relates_to) then
      raise exception using errcode = 'PT422', detail = 'email_exists',
        message = 'A user with this email address has already been registered';
    end if;
    update auth.users set email = email_change, email_change = null, email_change_sent_at = null,
                          email_confirmed_at = now(), updated_at = now()
     where id = account.id;
  else
    -- Following a recovery link proves the address too.
    update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now()
     where id = account.id;
  end if;
  return auth.start_session(account.id, p_ip, p_user_agent)
         || jsonb_build_object('method', case kind when 'recovery' then 'recovery' else 'otp' end);
end
$$;
comment on function auth.verify_one_time_token(text, text, text, inet, text) is
  'Redeems a mailed token (types signup/email/invite, recovery, email_change; the e-mail must match when given): '
  'confirms the address or applies the new one and starts a session. Outcomes ok, invalid (unknown, used, '
  'expired), user_banned.';
