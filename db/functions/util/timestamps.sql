-- Shared trigger: keep updated_at current. Attach as BEFORE UPDATE ... FOR EACH ROW
-- (trigger name `_010_set_updated_at`) on every table with an updated_at column.
-- requires: bootstrap

create or replace function util.tg__set_updated_at() returns trigger
language plpgsql volatile
set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end
$$;
comment on function util.tg__set_updated_at() is
  'BEFORE UPDATE row trigger: sets updated_at to the transaction''s time.';
