-- Schema usage and the request helpers' grants. anon reaches only the api schema; signed-in
-- roles also reach app (api views run with the caller's rights) and the auth helpers.
-- requires: bootstrap

grant usage on schema api to anon, authenticated, service_role;
grant usage on schema app, auth, util to authenticated, service_role;
grant usage on schema storage, audit, reporting to service_role;
grant usage on schema reporting to reporting;

grant execute on function auth.jwt(), auth.uid(), auth.role(), auth.institution_id()
  to authenticated, service_role;
