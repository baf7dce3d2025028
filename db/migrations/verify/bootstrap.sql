-- Verify campus:bootstrap
-- Fails (raises) unless the roles, schemas and extension exist.

BEGIN;

select 1 / count(*) from pg_catalog.pg_roles where rolname = 'authenticator' and rolcanlogin and not rolinherit;
select 1 / (count(*) = 8)::int from pg_catalog.pg_roles
 where rolname in ('authenticator', 'anon', 'authenticated', 'student', 'educator', 'admin', 'service_role', 'reporting');
select 1 / (count(*) = 7)::int from pg_catalog.pg_namespace
 where nspname in ('api', 'app', 'auth', 'storage', 'audit', 'reporting', 'util');
select 1 / count(*) from pg_catalog.pg_extension where extname = 'pgcrypto';

ROLLBACK;
