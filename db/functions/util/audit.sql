-- Shared triggers of the audit log: util.tg__audit records a change in audit.changes, and
-- util.tg__append_only refuses UPDATE, DELETE and TRUNCATE on a log table.
--
-- Attach util.tg__audit as an AFTER row trigger; its arguments name the columns to record (none =
-- the whole row), e.g. `execute function util.tg__audit('role')`. It is security definer because no
-- request role may write audit.changes directly; it only inserts the row it is given.
-- requires: writing

create or replace function util.tg__audit() returns trigger
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  old_row jsonb := case when tg_op in ('UPDATE', 'DELETE') then pg_catalog.to_jsonb(old) end;
  new_row jsonb := case when tg_op in ('INSERT', 'UPDATE') then pg_catalog.to_jsonb(new) end;
  any_row jsonb := coalesce(new_row, old_row);
  claims jsonb := coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), ''), '{}')::jsonb;
  columns text[] := tg_argv::text[];
begin
  if pg_catalog.cardinality(columns) > 0 then
    old_row := (select pg_catalog.jsonb_object_agg(key, value) from pg_catalog.jsonb_each(old_row) where key = any (columns));
    new_row := (select pg_catalog.jsonb_object_agg(key, value) from pg_catalog.jsonb_each(new_row) where key = any (columns));
  end if;
  insert into audit.changes (table_name, operation, row_id, institution_id, actor_id, actor_role, old_values, new_values)
  values (tg_table_schema || '.' || tg_table_name, tg_op,
          coalesce(any_row ->> 'id', any_row ->> 'user_id'),
          (any_row ->> 'institution_id')::uuid,
          nullif(claims ->> 'sub', '')::uuid,
          coalesce(claims ->> 'role', nullif(pg_catalog.current_setting('role'), 'none'), session_user::text),
          old_row, new_row);
  return null;
end
$$;
comment on function util.tg__audit() is
  'AFTER row trigger: appends the change (the columns named as trigger arguments, or the whole row) to audit.changes with the acting user and role.';

create or replace function util.tg__append_only() returns trigger
language plpgsql volatile
set search_path = ''
as $$
begin
  raise exception using errcode = '42501',
    message = pg_catalog.format('%s.%s is append-only: %s is not allowed', tg_table_schema, tg_table_name, tg_op);
end
$$;
comment on function util.tg__append_only() is 'BEFORE UPDATE/DELETE/TRUNCATE trigger of log tables: refuses the change.';
