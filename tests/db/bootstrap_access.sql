-- What each request role may reach right after bootstrap: schemas, helpers, default privileges.
select plan(14);

select has_schema(s) from unnest(array['api', 'app', 'auth', 'storage', 'audit', 'reporting', 'util']) as s;

select schema_privs_are('app', 'anon', array[]::text[], 'anon cannot use app');
select schema_privs_are('auth', 'anon', array[]::text[], 'anon cannot use auth');
select schema_privs_are('api', 'anon', array['USAGE'], 'anon can use api (and nothing more)');
select schema_privs_are('app', 'student', array['USAGE'], 'signed-in roles reach app through authenticated');
select schema_privs_are('reporting', 'reporting', array['USAGE'], 'reporting reads the reporting schema');

-- Default privileges: a function the owner creates later is not executable by everybody.
create function api.probe_default_privileges() returns int language sql as 'select 1';
select ok(not has_function_privilege('anon', 'api.probe_default_privileges()', 'execute'),
          'new functions are not executable by PUBLIC');

set local role anon;
select throws_ok('select auth.uid()', '42501', null, 'anon cannot call the auth helpers');
reset role;

select * from finish();
