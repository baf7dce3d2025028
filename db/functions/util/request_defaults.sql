-- Shared trigger: fill the tenant and owner columns of a row inserted through the API, so clients
-- need not send what their token already says. Attach as BEFORE INSERT ... FOR EACH ROW
-- (trigger name `_005_fill_request_defaults`), with the owner column as argument when there is one.
-- requires: bootstrap

create or replace function util.tg__fill_request_defaults() returns trigger
language plpgsql volatile
set search_path = ''
as $$
declare
  owner_column text := tg_argv[0];
  defaults jsonb := pg_catalog.jsonb_build_object('institution_id', coalesce(new.institution_id, auth.institution_id()));
begin
  if owner_column is not null then
    defaults := defaults || pg_catalog.jsonb_build_object(owner_column,
      coalesce(pg_catalog.to_jsonb(new) ->> owner_column, auth.uid()::text));
  end if;
  new := pg_catalog.jsonb_populate_record(new, defaults);
  return new;
end
$$;
comment on function util.tg__fill_request_defaults() is
  'BEFORE INSERT row trigger: a missing institution_id becomes the caller''s institution, and the owner column named by the first argument (e.g. author_id) the caller''s user id.';
