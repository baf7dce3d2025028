-- The bootstrap's roles: attributes and memberships (DESIGN §2 "Roles").
select plan(17);

select ok(rolcanlogin, 'authenticator can log in') from pg_roles where rolname = 'authenticator';
select ok(not rolinherit, 'authenticator does not inherit the rights of the roles it may switch to')
  from pg_roles where rolname = 'authenticator';
select ok(not rolsuper and not rolcreaterole and not rolcreatedb, 'authenticator has no admin attributes')
  from pg_roles where rolname = 'authenticator';
select is(
  (select array_agg(rolname order by rolname) from pg_roles
    where rolname in ('anon', 'authenticated', 'student', 'educator', 'admin', 'service_role', 'reporting')
      and not rolcanlogin),
  array['admin', 'anon', 'authenticated', 'educator', 'reporting', 'service_role', 'student']::name[],
  'request roles cannot log in');
select ok(rolbypassrls, 'service_role bypasses RLS') from pg_roles where rolname = 'service_role';
select is(
  (select array_agg(rolname order by rolname) from pg_roles where rolbypassrls and not rolsuper),
  array['service_role']::name[],
  'no other non-superuser role bypasses RLS');

select is_member_of('authenticated', 'student');
select is_member_of('authenticated', 'educator');
select is_member_of('authenticated', 'admin');
select is_member_of('anon', 'authenticator');
select is_member_of('authenticated', 'authenticator');
select is_member_of('student', 'authenticator');
select is_member_of('educator', 'authenticator');
select is_member_of('admin', 'authenticator');
select is_member_of('service_role', 'authenticator');
select ok(not pg_has_role('authenticator', 'reporting', 'member'), 'authenticator cannot become reporting');
select ok(not pg_has_role('anon', 'authenticated', 'member'), 'anon is not a member of authenticated');

select * from finish();
