-- Access to the identity tables. auth.* tables are granted to no API role: credentials, sessions
-- and tokens are reached only through the security-definer functions, which auth_service (the
-- /auth/v1 sub-application) may execute. Profiles and institutions are readable under RLS.
-- requires: identity

grant usage on schema auth to auth_service;
grant execute on function
  auth.sign_up(text, text, jsonb, text, inet, text),
  auth.sign_in_password(text, text, inet, text),
  auth.refresh_session(text, inet, text),
  auth.sign_out(uuid, uuid, text),
  auth.session_user(uuid, uuid),
  auth.recover(text),
  auth.verify_one_time_token(text, text, text, inet, text),
  auth.update_user(uuid, text, text, jsonb),
  auth.public_settings()
  to auth_service;

grant execute on function
  api.admin_create_user(text, text, app.user_role, boolean, jsonb, jsonb, uuid),
  api.admin_list_users(integer, integer),
  api.admin_get_user(uuid),
  api.admin_update_user(uuid, jsonb),
  api.admin_set_role(uuid, app.user_role),
  api.admin_ban_user(uuid, text),
  api.admin_delete_user(uuid)
  to admin, service_role;
grant usage on type app.user_role to anon, authenticated, service_role;

-- Institutions: the ones open for sign-up are public; members see their own; admins edit theirs.
drop policy if exists select_self_signup on app.institutions;
create policy select_self_signup on app.institutions for select to anon, authenticated
  using (self_signup);
drop policy if exists select_own on app.institutions;
create policy select_own on app.institutions for select to authenticated
  using (id = (select auth.institution_id()));
drop policy if exists update_own_admin on app.institutions;
create policy update_own_admin on app.institutions for update to admin
  using (id = (select auth.institution_id()))
  with check (id = (select auth.institution_id()));
grant select (id, slug, name, email_domains, self_signup, created_at) on app.institutions to anon, authenticated;
grant update (name, email_domains, self_signup) on app.institutions to admin;
grant select on api.institutions to anon, authenticated;

-- Profiles: every column is public to whoever may see the row; private data stays in auth.users.
drop policy if exists select_own on app.profiles;
create policy select_own on app.profiles for select to authenticated
  using (user_id = (select auth.uid()));
drop policy if exists select_institution_admin on app.profiles;
create policy select_institution_admin on app.profiles for select to admin
  using (institution_id = (select auth.institution_id()));
drop policy if exists update_own on app.profiles;
create policy update_own on app.profiles for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
grant select (user_id, institution_id, role, first_name, last_name, bio, picture_url, verified, created_at, updated_at)
  on app.profiles to authenticated;
grant update (first_name, last_name, bio, picture_url) on app.profiles to authenticated;
grant select, update (first_name, last_name, bio, picture_url) on api.profiles to authenticated;

-- Trusted server-side jobs: read everything public, drain the outbox.
grant select on app.institutions, app.profiles, api.profiles, api.institutions to service_role;
grant select, update (processed_at) on app.outbox to service_role;
