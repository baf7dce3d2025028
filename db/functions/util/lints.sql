-- Lints a DBA (and the pgTAP suite) can run at any time: each returns the offending objects,
-- so an empty result means the database follows the rule.
-- requires: bootstrap

create or replace function util.lint_tables_without_rls()
returns table (schema_name name, table_name name)
language sql stable
as $$
  select n.nspname, c.relname
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p')
     and not c.relrowsecurity
     and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'yoyo', 'sqitch')
     and n.nspname not like 'pg_temp%'
     and not exists (  -- tables that belong to an extension are the extension's business
       select from pg_catalog.pg_depend d
        where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
   order by 1, 2
$$;
comment on function util.lint_tables_without_rls() is
  'Tables (in any schema but the catalogs and migration registries) that have row-level security disabled.';

create or replace function util.lint_definer_functions_without_search_path()
returns table (function_name text)
language sql stable
as $$
  select p.oid::regprocedure::text
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
   where p.prosecdef
     and n.nspname not in ('pg_catalog', 'information_schema')
     and not exists (
       select from unnest(coalesce(p.proconfig, '{}')) as setting where setting like 'search_path=%')
     and not exists (
       select from pg_catalog.pg_depend d
        where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
   order by 1
$$;
comment on function util.lint_definer_functions_without_search_path() is
  'security definer functions that do not pin search_path (they could be hijacked through it).';
