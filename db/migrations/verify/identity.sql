-- Verify campus:identity
-- Fails (raises) unless the identity tables exist with row-level security on, and the settings row is there.

BEGIN;

select 1 / (count(*) = 9)::int from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where c.relrowsecurity and (n.nspname, c.relname) in (
   ('app', 'institutions'), ('auth', 'users'), ('app', 'profiles'), ('auth', 'sessions'), ('auth', 'refresh_tokens'),
   ('auth', 'one_time_tokens'), ('auth', 'sign_in_failures'), ('auth', 'settings'), ('app', 'outbox'));
select 1 / count(*) from auth.settings;
select 1 / count(*) from pg_catalog.pg_roles where rolname = 'auth_service';

ROLLBACK;
