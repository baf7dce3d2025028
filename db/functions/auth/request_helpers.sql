-- Request helpers: read the verified JWT claims the API layer sets for each transaction
-- (`request.jwt.claims`). Policies call them wrapped as `(select auth.uid())` so they run once
-- per statement, not once per row.
-- requires: bootstrap

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;
comment on function auth.jwt() is 'The verified JWT claims of the current request, or {} outside a request.';

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select nullif(auth.jwt() ->> 'sub', '')::uuid
$$;
comment on function auth.uid() is 'The signed-in user''s id (the JWT sub claim), or null for anonymous requests.';

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(auth.jwt() ->> 'role', current_user)
$$;
comment on function auth.role() is 'The role the request runs as (the JWT role claim).';

create or replace function auth.institution_id() returns uuid
language sql stable
as $$
  select nullif(auth.jwt() -> 'app_metadata' ->> 'institution_id', '')::uuid
$$;
comment on function auth.institution_id() is
  'The tenant of the signed-in user (app_metadata.institution_id, set only by the system), or null.';
