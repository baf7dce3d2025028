-- auth.jwt(), auth.uid(), auth.role(), auth.institution_id() read the request's verified claims.
select plan(7);

select is(auth.jwt(), '{}'::jsonb, 'no claims outside a request');
select is(auth.uid(), null, 'no user outside a request');

select set_config('request.jwt.claims', json_build_object(
  'sub', '6f1c2b8e-1a54-4f5e-9a55-0f2b8d3c1e01', 'role', 'student',
  'app_metadata', json_build_object('institution_id', '0c4d6a0e-5b7f-4c51-8f0e-2a4b9d7e3f10'))::text, true);

select is(auth.uid(), '6f1c2b8e-1a54-4f5e-9a55-0f2b8d3c1e01'::uuid, 'uid is the sub claim');
select is(auth.role(), 'student', 'role is the role claim');
select is(auth.institution_id(), '0c4d6a0e-5b7f-4c51-8f0e-2a4b9d7e3f10'::uuid, 'institution from app_metadata');

set local role student;
select is(auth.uid(), '6f1c2b8e-1a54-4f5e-9a55-0f2b8d3c1e01'::uuid, 'a signed-in role can call the helpers');
reset role;

select is(
  (select provolatile from pg_proc where oid = 'auth.uid()'::regprocedure), 's'::"char",
  'auth.uid() is stable, so (select auth.uid()) is evaluated once per statement');

select * from finish();
