-- Building blocks of the auth rules: the user document in GoTrue's shape, e-mail normalisation,
-- the password policy, opaque tokens and their digests, sessions and the outbox. Private to the
-- auth functions (no grants): none of them is reachable from the API.
-- requires: identity

create or replace function auth.user_document(u auth.users, p app.profiles) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', u.id,
    'aud', 'authenticated',
    'role', p.role,
    'email', u.email,
    'phone', '',
    'email_confirmed_at', u.email_confirmed_at,
    'confirmed_at', u.email_confirmed_at,
    'confirmation_sent_at', u.confirmation_sent_at,
    'recovery_sent_at', u.recovery_sent_at,
    'email_change_sent_at', u.email_change_sent_at,
    'new_email', u.email_change,
    'last_sign_in_at', u.last_sign_in_at,
    'banned_until', u.banned_until,
    'app_metadata', u.app_metadata || jsonb_build_object(
      'provider', 'email', 'providers', jsonb_build_array('email'),
      'institution_id', p.institution_id, 'role', p.role),
    'user_metadata', u.user_metadata,
    'identities', '[]'::jsonb,
    'is_anonymous', false,
    'created_at', u.created_at,
    'updated_at', u.updated_at)
$$;
comment on function auth.user_document(auth.users, app.profiles) is
  'A user as GoTrue shows it; app_metadata carries the institution and role, which tokens copy.';

create or replace function auth.user_document(p_user_id uuid) returns jsonb
language sql stable
set search_path = ''
as $$
  select auth.user_document(u, p)
    from auth.users u join app.profiles p on p.user_id = u.id
   where u.id = p_user_id
$$;
comment on function auth.user_document(uuid) is 'The GoTrue-shaped document of one user, or null.';

create or replace function auth.normalize_email(p_email text) returns text
language plpgsql immutable
set search_path = ''
as $$
declare
  email text := lower(btrim(p_email));
begin
  if email is null or email = '' then
    raise exception using errcode = 'PT400', message = 'An e-mail address is required.',
      detail = 'validation_failed';
  end if;
  if length(email) > 254 or email !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:].]+$' then
    raise exception using errcode = 'PT400', message = 'Unable to validate email address: invalid format',
      detail = 'email_address_invalid';
  end if;
  return email;
end
$$;
comment on function auth.normalize_email(text) is 'Trimmed, lower-case e-mail; raises PT400 email_address_invalid when malformed.';

create or replace function auth.checked_user_metadata(p_metadata jsonb) returns jsonb
language plpgsql immutable
set search_path = ''
as $$
begin
  -- Checked here rather than left to the table's constraint, whose error would quote the whole
  -- auth.users row (password hash included) in its DETAIL.
  if p_metadata is null or jsonb_typeof(p_metadata) <> 'object' or length(p_metadata::text) > 16384 then
    raise exception using errcode = 'PT422', detail = 'validation_failed',
      message = 'User metadata must be a JSON object of at most 16 KiB.';
  end if;
  return p_metadata;
end
$$;
comment on function auth.checked_user_metadata(jsonb) is
  'Its argument, when it is a JSON object of at most 16 KiB (what auth.users.user_metadata holds); raises PT422 validation_failed otherwise.';

create or replace function auth.check_password(p_password text) returns void
language plpgsql stable
set search_path = ''
as $$
declare
  rules auth.settings := (select s from auth.settings s);
  reasons text[] := '{}';
begin
  if p_password is null or length(p_password) < rules.password_min_length then
    reasons := array_append(reasons, 'length');
  end if;
  if rules.password_require_letter and p_password !~ '[[:alpha:]]' then
    reasons := array_append(reasons, 'letters');
  end if;
  if rules.password_require_digit and p_password !~ '[[:digit:]]' then
    reasons := array_append(reasons, 'numbers');
  end if;
  if rules.password_require_symbol and p_password !~ '[^[:alnum:]]' then
    reasons := array_append(reasons, 'characters');
  end if;
  if octet_length(p_password) > 72 then  -- bcrypt ignores what follows byte 72
    raise exception using errcode = 'PT422', message = 'Password cannot be longer than 72 bytes.',
      detail = 'validation_failed';
  end if;
  if cardinality(reasons) > 0 then
    raise exception using errcode = 'PT422',
      message = format('Password should be at least %s characters%s%s%s.', rules.password_min_length,
        case when rules.password_require_letter then ', contain a letter' else '' end,
        case when rules.password_require_digit then ', contain a digit' else '' end,
        case when rules.password_require_symbol then ', contain a symbol' else '' end),
      detail = 'weak_password', hint = array_to_string(reasons, ',');
  end if;
end
$$;
comment on function auth.check_password(text) is
  'Raises PT422 weak_password (hint: the failed rules) unless the password meets auth.settings.';

create or replace function auth.hash_password(p_password text) returns text
language sql volatile
set search_path = ''
as $$
  select public.crypt(p_password, public.gen_salt('bf', (select bcrypt_cost from auth.settings)))
$$;
comment on function auth.hash_password(text) is 'bcrypt hash at the configured cost.';

create or replace function auth.new_secret() returns text
language sql volatile
set search_path = ''
as $$
  -- 33 random bytes are 44 base64 characters without padding; made URL-safe.
  select translate(encode(public.gen_random_bytes(33), 'base64'), '+/', '-_')
$$;
comment on function auth.new_secret() is 'A fresh opaque token (264 random bits, URL-safe).';

create or replace function auth.digest(p_secret text) returns bytea
language sql immutable
set search_path = ''
as $$
  select public.digest(convert_to(p_secret, 'UTF8'), 'sha256')
$$;
comment on function auth.digest(text) is 'SHA-256 of a token: what the tables store instead of the token.';

create or replace function auth.start_session(p_user_id uuid, p_ip inet, p_user_agent text) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  session_id uuid;
  refresh_token text := auth.new_secret();
begin
  insert into auth.sessions (user_id, ip, user_agent)
  values (p_user_id, p_ip, left(p_user_agent, 512))
  returning id into session_id;
  insert into auth.refresh_tokens (token_hash, user_id, session_id)
  values (auth.digest(refresh_token), p_user_id, session_id);
  update auth.users set last_sign_in_at = now() where id = p_user_id;
  return jsonb_build_object('outcome', 'ok', 'user', auth.user_document(p_user_id),
    'session_id', session_id, 'refresh_token', refresh_token);
end
$$;
comment on function auth.start_session(uuid, inet, text) is 'A new session with its first refresh token; the outcome document the sign-in functions return.';

create or replace function auth.issue_one_time_token(
  p_user_id uuid, p_type auth.one_time_token_type, p_address text
) returns text
language plpgsql volatile
set search_path = ''
as $$
declare
  token text := auth.new_secret();
  ttl interval := (select case p_type when 'recovery' then recovery_ttl else confirmation_ttl end from auth.settings);
begin
  -- A new mail supersedes the earlier unused ones of its kind.
  update auth.one_time_tokens set used_at = now()
   where user_id = p_user_id and token_type = p_type and used_at is null;
  insert into auth.one_time_tokens (user_id, token_type, token_hash, relates_to, expires_at)
  values (p_user_id, p_type, auth.digest(token), p_address, now() + ttl);
  return token;
end
$$;
comment on function auth.issue_one_time_token(uuid, auth.one_time_token_type, text) is
  'A single-use mailed token; supersedes the user''s unused tokens of the same kind.';

create or replace function auth.enqueue_mail(p_template text, p_user_id uuid, p_to text, p_data jsonb) returns void
language sql volatile
set search_path = ''
as $$
  insert into app.outbox (topic, payload)
  values ('mail.' || p_template,
          jsonb_build_object('to', p_to, 'user_id', p_user_id, 'template', p_template) || p_data)
$$;
comment on function auth.enqueue_mail(text, uuid, text, jsonb) is 'Writes a mail into the outbox, in the caller''s transaction.';

create or replace function auth.resolve_institution(p_email text, p_slug text) returns uuid
language plpgsql stable
set search_path = ''
as $$
declare
  found uuid;
begin
  if nullif(p_slug, '') is not null then
    select id into found from app.institutions where slug = p_slug and self_signup;
  else
    select id into found from app.institutions
     where self_signup and split_part(p_email, '@', 2) = any (email_domains)
     order by created_at limit 1;
  end if;
  if found is null then
    raise exception using errcode = 'PT422', detail = 'signup_disabled',
      message = 'Signups not allowed for this institution.',
      hint = 'Ask an administrator of your school for an account, or sign up with your school e-mail address.';
  end if;
  return found;
end
$$;
comment on function auth.resolve_institution(text, text) is
  'The institution a self sign-up joins: the named one, else the one owning the e-mail domain; only where self_signup is on.';

create or replace function auth.public_settings() returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'autoconfirm', s.autoconfirm,
    'password_min_length', s.password_min_length,
    'password_required_characters', array_remove(array[
      case when s.password_require_letter then 'letters' end,
      case when s.password_require_digit then 'digits' end,
      case when s.password_require_symbol then 'symbols' end], null))
    from auth.settings s
$$;
comment on function auth.public_settings() is 'What GET /auth/v1/settings may tell anyone about the auth rules.';
