-- Declarative state of the foundation: roles, schemas, extensions, default privileges.
-- Kept equal to what db/migrations deploys (tests/migrations checks the two catalogs match).
-- Roles are cluster-wide: only the missing ones are created.

do $bootstrap$
declare
  wanted record;
begin
  for wanted in
    select * from (values
      ('authenticator', 'login noinherit'),
      ('anon',          'nologin'),
      ('authenticated', 'nologin'),
      ('student',       'nologin'),
      ('educator',      'nologin'),
      ('admin',         'nologin'),
      ('service_role',  'nologin bypassrls'),
      ('reporting',     'nologin')
    ) as roles(name, attributes)
  loop
    if not exists (select from pg_catalog.pg_roles where rolname = wanted.name) then
      execute format('create role %I %s', wanted.name, wanted.attributes);
    end if;
  end loop;
end
$bootstrap$;

grant authenticated to student, educator, admin;
grant anon, authenticated, student, educator, admin, service_role to authenticator;

create schema api;
comment on schema api is 'The public contract: views and functions served over HTTP.';
create schema app;
comment on schema app is 'Tables of the application; reached through api views and functions.';
create schema auth;
comment on schema auth is 'Credentials, sessions and tokens, plus the request helpers auth.uid(), auth.jwt(), auth.role().';
create schema storage;
comment on schema storage is 'File buckets and object metadata; the bytes live outside the database.';
create schema audit;
comment on schema audit is 'Append-only change log written by a shared trigger.';
create schema reporting;
comment on schema reporting is 'Read models for BI tools, read by the reporting role.';
create schema util;
comment on schema util is 'Shared trigger functions, helpers and lints.';

create extension if not exists pgcrypto with schema public;

alter default privileges revoke execute on functions from public;
