-- User administration, deliberately exposed: /auth/v1/admin/users calls these, and so may
-- POST /rpc/admin_* through the REST engine. An `admin` acts inside their own institution only;
-- `service_role` (trusted server-side jobs) may act anywhere. Executable by those two roles only.
-- requires: identity

create or replace function auth.admin_scope() returns uuid
language plpgsql stable
set search_path = ''
as $$
begin
  -- The claims come from a verified token; the role claim is the role the request runs as.
  case auth.jwt() ->> 'role'
    when 'service_role' then return null;  -- every institution
    when 'admin' then
      if auth.institution_id() is null then
        raise exception using errcode = '42501', message = 'An administrator token must name an institution.';
      end if;
      return auth.institution_id();
    else
      raise exception using errcode = '42501', detail = 'not_admin', message = 'User not allowed';
  end case;
end
$$;
comment on function auth.admin_scope() is
  'The institution an administrator may manage (null = all, for service_role); raises 42501 for anyone else.';

create or replace function auth.administered_user(p_user_id uuid) returns app.profiles
language plpgsql stable
set search_path = ''
as $$
declare
  scope uuid := auth.admin_scope();
  target app.profiles;
begin
  select * into target from app.profiles where user_id = p_user_id and (scope is null or institution_id = scope);
  if not found then  -- another institution's user looks exactly like a missing one
    raise exception using errcode = 'PT404', detail = 'user_not_found', message = 'User not found';
  end if;
  return target;
end
$$;
comment on function auth.administered_user(uuid) is 'The profile of a user the caller administers; PT404 otherwise.';

create or replace function auth.parse_ban_duration(p_duration text) returns interval
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_duration is null or p_duration = 'none' then
    return null;
  end if;
  -- GoTrue takes Go durations ("24h", "90m", "876000h"); PostgreSQL reads those as intervals too.
  if p_duration !~ '^\s*\d+(\.\d+)?\s*(h|m|s|ms|hours?|minutes?|seconds?|days?)\s*$' then
    raise exception using errcode = 'PT400', detail = 'validation_failed',
      message = format('Invalid ban_duration %L; use e.g. "24h", "90m" or "none".', p_duration);
  end if;
  return p_duration::interval;
end
$$;
comment on function auth.parse_ban_duration(text) is 'A GoTrue ban_duration ("24h", "none") as an interval (null = not banned).';

create or replace function api.admin_create_user(
  email text,
  password text default null,
  role app.user_role default 'student',
  email_confirm boolean default false,
  user_metadata jsonb default '{}',
  app_metadata jsonb default '{}',
  institution_id uuid default null
) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  scope uuid := auth.admin_scope();
  institution uuid := coalesce(admin_create_user.institution_id, scope);
  address text := auth.normalize_email(admin_create_user.email);
  new_id uuid;
  token text;
begin
  if scope is not null and institution <> scope then
    raise exception using errcode = '42501', detail = 'not_admin',
      message = 'Administrators create users in their own institution only.';
  end if;
  if institution is null or not exists (select from app.institutions i where i.id = institution) then
    raise exception using errcode = 'PT422', detail = 'validation_failed', message = 'Unknown institution.';
  end if;
  if exists (select from auth.users u where u.email = address) then
    raise exception using errcode = 'PT422', detail = 'email_exists',
      message = 'A user with this email address has already been registered';
  end if;
  if admin_create_user.password is not null then
    perform auth.check_password(admin_create_user.password);
  end if;
  if jsonb_typeof(coalesce(admin_create_user.app_metadata, '{}')) <> 'object'
     or jsonb_typeof(coalesce(admin_create_user.user_metadata, '{}')) <> 'object' then
    raise exception using errcode = 'PT422', detail = 'validation_failed', message = 'Metadata must be JSON objects.';
  end if;

  insert into auth.users (email, encrypted_password, user_metadata, app_metadata, email_confirmed_at)
  values (address,
          case when admin_create_user.password is not null then auth.hash_password(admin_create_user.password) end,
          auth.checked_user_metadata(coalesce(admin_create_user.user_metadata, '{}')),
          -- institution and role live in the profile; app_metadata never overrides them
          coalesce(admin_create_user.app_metadata, '{}') - 'institution_id' - 'role',
          case when email_confirm then now() end)
  returning id into new_id;
  insert into app.profiles (user_id, institution_id, role, first_name, last_name)
  values (new_id, institution, admin_create_user.role,
          left(coalesce(admin_create_user.user_metadata ->> 'first_name', ''), 100),
          left(coalesce(admin_create_user.user_metadata ->> 'last_name', ''), 100));
  if not coalesce(email_confirm, false) then  -- null means "not confirmed": the address still gets its mail
    token := auth.issue_one_time_token(new_id, 'confirmation', address);
    update auth.users set confirmation_sent_at = now() where id = new_id;
    perform auth.enqueue_mail('confirm_signup', new_id, address, jsonb_build_object('token', token));
  end if;
  return auth.user_document(new_id);
end
$$;
comment on function api.admin_create_user(text, text, app.user_role, boolean, jsonb, jsonb, uuid) is
  'Administrators: create a user (student, educator or admin) in your institution; service_role names the institution. '
  'Without email_confirm a verification mail goes to the outbox.';

create or replace function api.admin_list_users(page integer default 1, per_page integer default 50) returns jsonb
language plpgsql stable security definer
set search_path = ''
as $$
declare
  scope uuid := auth.admin_scope();
  page_size integer := least(greatest(coalesce(per_page, 50), 1), 1000);
begin
  return jsonb_build_object(
    'users', coalesce((
      select jsonb_agg(auth.user_document(listed.u, listed.p) order by (listed.u).created_at, (listed.u).id)
        from (select u, p from auth.users u join app.profiles p on p.user_id = u.id
               where scope is null or p.institution_id = scope
               order by u.created_at, u.id
               offset (greatest(coalesce(page, 1), 1) - 1) * page_size limit page_size) listed), '[]'),
    'total', (select count(*) from app.profiles p where scope is null or p.institution_id = scope),
    'aud', 'authenticated');
end
$$;
comment on function api.admin_list_users(integer, integer) is
  'Administrators: one page of the users of your institution (service_role: all), oldest first, with the total.';

create or replace function api.admin_get_user(user_id uuid) returns jsonb
language sql stable security definer
set search_path = ''
as $$
  select auth.user_document((auth.administered_user(admin_get_user.user_id)).user_id)
$$;
comment on function api.admin_get_user(uuid) is 'Administrators: one user of your institution.';

create or replace function api.admin_update_user(user_id uuid, attributes jsonb) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  target app.profiles := auth.administered_user(admin_update_user.user_id);
  known_keys constant text[] := array['email', 'password', 'role', 'user_metadata', 'app_metadata',
                                      'ban_duration', 'email_confirm', 'verified'];
  unknown text;
  address text;
begin
  if jsonb_typeof(attributes) <> 'object' then
    raise exception using errcode = 'PT422', detail = 'validation_failed', message = 'attributes must be a JSON object.';
  end if;
  select key into unknown from jsonb_object_keys(attributes) key where key <> all (known_keys) limit 1;
  if unknown is not null then
    raise exception using errcode = 'PT422', detail = 'validation_failed',
      message = format('Unknown attribute %L; allowed: %s.', unknown, array_to_string(known_keys, ', '));
  end if;

  if attributes ? 'role' then
    perform api.admin_set_role(target.user_id, (attributes ->> 'role')::app.user_role);
  end if;
  if attributes ? 'ban_duration' then
    perform api.admin_ban_user(target.user_id, attributes ->> 'ban_duration');
  end if;
  if attributes ? 'password' then
    perform auth.check_password(attributes ->> 'password');
    update auth.users set encrypted_password = auth.hash_password(attributes ->> 'password'), updated_at = now()
     where id = target.user_id;
  end if;
  if attributes ? 'email' then
    address := auth.normalize_email(attributes ->> 'email');
    if exists (select from auth.users u where u.email = address and u.id <> target.user_id) then
      raise exception using errcode = 'PT422', detail = 'email_exists',
        message = 'A user with this email address has already been registered';
    end if;
    update auth.users set email = address, updated_at = now() where id = target.user_id;
  end if;
  if (attributes ->> 'email_confirm')::boolean then
    update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()) where id = target.user_id;
  end if;
  if attributes ? 'user_metadata' then
    if jsonb_typeof(attributes -> 'user_metadata') <> 'object' then
      raise exception using errcode = 'PT422', detail = 'validation_failed', message = 'user_metadata must be a JSON object.';
    end if;
    update auth.users
       set user_metadata = auth.checked_user_metadata(auth.merge_metadata(user_metadata, attributes -> 'user_metadata')),
           updated_at = now()
     where id = target.user_id;
  end if;
  if attributes ? 'app_metadata' then
    if jsonb_typeof(attributes -> 'app_metadata') <> 'object' then
      raise exception using errcode = 'PT422', detail = 'validation_failed', message = 'app_metadata must be a JSON object.';
    end if;
    update auth.users
       set app_metadata = auth.merge_metadata(app_metadata, attributes -> 'app_metadata') - 'institution_id' - 'role',
           updated_at = now()
     where id = target.user_id;
  end if;
  if attributes ? 'verified' then
    update app.profiles set verified = (attributes ->> 'verified')::boolean, updated_at = now()
     where app.profiles.user_id = target.user_id;
  end if;
  return auth.user_document(target.user_id);
end
$$;
comment on function api.admin_update_user(uuid, jsonb) is
  'Administrators: change a user of your institution (email, password, role, user_metadata, app_metadata, '
  'ban_duration, email_confirm, verified). Role and institution are never taken from app_metadata.';

create or replace function api.admin_set_role(user_id uuid, role app.user_role) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  target app.profiles := auth.administered_user(admin_set_role.user_id);
begin
  if target.user_id = auth.uid() and admin_set_role.role <> 'admin' then
    raise exception using errcode = 'PT409', detail = 'validation_failed',
      message = 'Administrators cannot remove their own admin role; ask another administrator.';
  end if;
  update app.profiles p set role = admin_set_role.role, updated_at = now() where p.user_id = target.user_id;
  return auth.user_document(target.user_id);
end
$$;
comment on function api.admin_set_role(uuid, app.user_role) is
  'Administrators: make a user of your institution a student, educator or admin. Takes effect at their next token refresh.';

create or replace function api.admin_ban_user(user_id uuid, duration text) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  target app.profiles := auth.administered_user(admin_ban_user.user_id);
  ban interval := auth.parse_ban_duration(duration);
begin
  if target.user_id = auth.uid() and ban is not null then
    raise exception using errcode = 'PT409', detail = 'validation_failed', message = 'Administrators cannot ban themselves.';
  end if;
  update auth.users set banned_until = now() + ban, updated_at = now() where id = target.user_id;
  if ban is not null then
    delete from auth.sessions where auth.sessions.user_id = target.user_id;  -- no refresh for a banned user
  end if;
  return auth.user_document(target.user_id);
end
$$;
comment on function api.admin_ban_user(uuid, text) is
  'Administrators: ban a user of your institution for a duration ("24h"; "none" lifts the ban); ends their sessions.';

create or replace function api.admin_delete_user(user_id uuid) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  target app.profiles := auth.administered_user(admin_delete_user.user_id);
  document jsonb := auth.user_document(target.user_id);
begin
  if target.user_id = auth.uid() then
    raise exception using errcode = 'PT409', detail = 'validation_failed', message = 'Administrators cannot delete themselves.';
  end if;
  delete from auth.users where id = target.user_id;
  return document;
end
$$;
comment on function api.admin_delete_user(uuid) is 'Administrators: delete a user of your institution with their sessions and profile.';
