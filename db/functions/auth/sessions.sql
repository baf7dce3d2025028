-- Sessions: password sign-in with lockout, refresh-token rotation with reuse detection, sign-out
-- and the session check behind GET /user. The sign-in and refresh functions report failures as an
-- outcome instead of raising, so what they record (failed attempts, a revoked token family) is
-- committed with the request that failed.
-- requires: identity

create or replace function auth.sign_in_password(p_email text, p_password text, p_ip inet, p_user_agent text)
returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  rules auth.settings := (select s from auth.settings s);
  address text := lower(btrim(coalesce(p_email, '')));
  failures integer;
  oldest_failure timestamptz;
  account auth.users;
  stored_hash text;
  password_matches boolean;
begin
  select count(*), min(failed_at) into failures, oldest_failure
    from (select failed_at from auth.sign_in_failures
           where email = address and failed_at > now() - rules.lockout_window
           order by failed_at desc limit rules.lockout_threshold) recent;
  if failures >= rules.lockout_threshold then
    return jsonb_build_object('outcome', 'locked',
      'retry_after', ceil(extract(epoch from oldest_failure + rules.lockout_window - now())));
  end if;

  select * into account from auth.users where email = address;
  -- Unknown e-mails are checked against a throw-away hash of the same cost: same time, same answer.
  stored_hash := coalesce(account.encrypted_password, public.gen_salt('bf', rules.bcrypt_cost));
  -- Sign-up refuses passwords over bcrypt's 72 bytes, so a longer one cannot be right (bcrypt would
  -- ignore its tail and accept any password sharing the first 72 bytes).
  password_matches := public.crypt(coalesce(p_password, ''), stored_hash) = stored_hash
                      and octet_length(coalesce(p_password, '')) <= 72;
  if account.id is null or account.encrypted_password is null or not password_matches then
    insert into auth.sign_in_failures (email, ip) values (left(address, 254), p_ip);
    return jsonb_build_object('outcome', 'invalid_credentials');
  end if;

  delete from auth.sign_in_failures where email = address;
  if account.banned_until > now() then
    return jsonb_build_object('outcome', 'user_banned');
  end if;
  if account.email_confirmed_at is null then
    return jsonb_build_object('outcome', 'email_not_confirmed');
  end if;
  if account.encrypted_password ~ '^\$2[aby]\$[0-9]{2}\$'  -- bcrypt ('$2a$10$…') at another cost: rehash
     and substr(account.encrypted_password, 5, 2)::integer <> rules.bcrypt_cost then
    update auth.users set encrypted_password = auth.hash_password(p_password) where id = account.id;
  end if;
  return auth.start_session(account.id, p_ip, p_user_agent);
end
$$;
comment on function auth.sign_in_password(text, text, inet, text) is
  'Password sign-in. Outcome ok (user, session_id, refresh_token), invalid_credentials, locked (retry_after '
  'seconds), user_banned or email_not_confirmed. Failed attempts count toward the lockout, known e-mail or not.';

create or replace function auth.refresh_session(p_refresh_token text, p_ip inet, p_user_agent text) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  rules auth.settings := (select s from auth.settings s);
  presented auth.refresh_tokens;
  family auth.sessions;
  active auth.refresh_tokens;
  decision text;
  next_token text := auth.new_secret();
begin
  select * into presented from auth.refresh_tokens where token_hash = auth.digest(coalesce(p_refresh_token, ''));
  if not found then
    return jsonb_build_object('outcome', 'not_found');
  end if;
  -- One refresh at a time per session: concurrent refreshes of one family queue here.
  select * into family from auth.sessions where id = presented.session_id for update;
  if not found then
    return jsonb_build_object('outcome', 'not_found');
  end if;
  select * into presented from auth.refresh_tokens where id = presented.id;

  if not presented.revoked then
    decision := 'rotated';
  else
    select * into active from auth.refresh_tokens
     where session_id = family.id and not revoked order by id desc limit 1;
    if active.parent_id = presented.id then
      decision := 'active_parent';  -- the client lost the answer to its last refresh
    elsif presented.updated_at > now() - rules.refresh_reuse_interval then
      decision := 'reuse_window';   -- e.g. two tabs refreshing at once
    else
      delete from auth.sessions where id = family.id;  -- the whole family goes, with the session
      return jsonb_build_object('outcome', 'already_used');
    end if;
  end if;

  if (select banned_until > now() from auth.users where id = presented.user_id) then
    return jsonb_build_object('outcome', 'user_banned');
  end if;
  -- The parent-of-active case replaces the active token (its value is not stored, only its digest).
  update auth.refresh_tokens set revoked = true, updated_at = now()
   where id = case decision when 'active_parent' then active.id else presented.id end and not revoked;
  insert into auth.refresh_tokens (token_hash, user_id, session_id, parent_id)
  values (auth.digest(next_token), presented.user_id, family.id,
          case decision when 'active_parent' then active.id else presented.id end);
  update auth.sessions set refreshed_at = now(), updated_at = now(), ip = coalesce(p_ip, ip),
         user_agent = coalesce(left(p_user_agent, 512), user_agent)
   where id = family.id;
  return jsonb_build_object('outcome', 'ok', 'decision', decision, 'user', auth.user_document(presented.user_id),
    'session_id', family.id, 'refresh_token', next_token);
end
$$;
comment on function auth.refresh_session(text, inet, text) is
  'Rotates a refresh token. A revoked token is accepted when it is the parent of the active one or was revoked '
  'within auth.settings.refresh_reuse_interval; any other reuse deletes the session with its whole token family '
  '(outcome already_used). Outcomes: ok (decision rotated|active_parent|reuse_window), not_found, already_used, user_banned.';

create or replace function auth.sign_out(p_user_id uuid, p_session_id uuid, p_scope text) returns void
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  case coalesce(p_scope, 'global')
    when 'local' then
      delete from auth.sessions where user_id = p_user_id and id = p_session_id;
    when 'others' then
      delete from auth.sessions where user_id = p_user_id and id is distinct from p_session_id;
    when 'global' then
      delete from auth.sessions where user_id = p_user_id;
    else
      raise exception using errcode = 'PT400', detail = 'validation_failed',
        message = format('Unsupported logout scope %L; use global, local or others.', p_scope);
  end case;
end
$$;
comment on function auth.sign_out(uuid, uuid, text) is
  'Ends sessions (and their refresh tokens): local = this one, others = all but this one, global = all.';

create or replace function auth.session_user(p_user_id uuid, p_session_id uuid) returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select auth.user_document(p_user_id)
   where exists (select from auth.sessions where id = p_session_id and user_id = p_user_id)
$$;
comment on function auth.session_user(uuid, uuid) is
  'The user document when the token''s session still exists (null after logout or family revocation).';
