-- Revert campus:identity
-- Drops the identity tables and types. The auth_service role is cluster-wide and stays.

BEGIN;

drop table app.outbox, auth.settings, auth.sign_in_failures, auth.one_time_tokens, auth.refresh_tokens,
  auth.sessions, app.profiles, auth.users, app.institutions cascade;
drop type auth.one_time_token_type, app.user_role cascade;

COMMIT;
