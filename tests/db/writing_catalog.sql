-- Catalog rules of the writing platform (acceptance 1 and 6 of issue 6), asked of pg_catalog so a
-- new table, view, function or role is covered without editing this file:
--   every foreign key has an index whose leading columns find its rows (see fk_unindexed below),
--   every column a policy filters on (USING) is in an index, GIN on tags and search, fillfactor 80;
--   every view, materialized view and function in api and reporting has a comment;
--   reporting objects are readable by the reporting role and by no other role of the cluster.

select plan(14);

-- A foreign key is covered by an index whose first k columns are FK columns that, on the referenced
-- side, contain a unique key: e.g. (course_id) covers (course_id, institution_id) -> courses (id,
-- institution_id), because courses.id alone is unique, so the rows found by course_id are exactly
-- the referencing ones. Deleting a parent or joining child to parent then uses that index.
create view pg_temp.fk_unindexed as
select con.conrelid::regclass::text as table_name, con.conname::text collate "default" as constraint_name
  from pg_constraint con
 where con.contype = 'f' and con.connamespace in ('app'::regnamespace, 'audit'::regnamespace)
   and not exists (
     select from pg_index i cross join lateral generate_series(1, i.indnkeyatts) k
      where i.indrelid = con.conrelid and i.indpred is null
        and (i.indkey::int2[])[0:k - 1] <@ con.conkey
        and exists (
          select from pg_index u
           where u.indrelid = con.confrelid and u.indisunique and u.indpred is null
             and (u.indkey::int2[])[0:u.indnkeyatts - 1] <@ array(
                   select con.confkey[p] from generate_subscripts(con.conkey, 1) p
                    where con.conkey[p] = any ((i.indkey::int2[])[0:k - 1]))));

select is_empty('select * from pg_temp.fk_unindexed', 'every foreign key of app and audit has an index that finds its rows');

-- The check itself: a table with an unindexed composite foreign key is reported, and an index fixes it.
create table app.zz_fk_probe (id int primary key, course_id uuid, institution_id uuid,
  foreign key (course_id, institution_id) references app.courses (id, institution_id));
select results_eq('select constraint_name from pg_temp.fk_unindexed', array['zz_fk_probe_course_id_institution_id_fkey'],
  'the foreign-key check reports a missing index');
create index on app.zz_fk_probe (institution_id);
select results_eq('select constraint_name from pg_temp.fk_unindexed', array['zz_fk_probe_course_id_institution_id_fkey'],
  'an index on the tenancy column alone does not cover it (institution_id is not unique in courses)');
create index on app.zz_fk_probe (course_id);
select is_empty('select * from pg_temp.fk_unindexed', 'an index on course_id covers it');
drop table app.zz_fk_probe;

-- Columns of the policy's own table named in its USING expression (qualified names belong to
-- subqueries over other tables) must be key columns or the predicate of some index of the table.
-- Asked of the writing tables (app.institutions, of the identity module, is a handful of rows).
create view pg_temp.policy_columns_unindexed as
select format('%s.%s (%s)', pol.polrelid::regclass, pol.polname, a.attname) collate "default" as policy_column
  from pg_policy pol
  join pg_class c on c.oid = pol.polrelid
  join pg_attribute a on a.attrelid = pol.polrelid and a.attnum > 0 and not a.attisdropped
 where c.relnamespace = 'app'::regnamespace and c.relname not in ('institutions') and pol.polqual is not null
   and pg_get_expr(pol.polqual, pol.polrelid) ~ ('(^|[^.\w])' || a.attname || '($|[^\w(])')
   and not exists (select from pg_index i
                    where i.indrelid = pol.polrelid
                      and (a.attnum = any ((i.indkey::int2[])[0:i.indnkeyatts - 1])
                           or pg_get_expr(i.indpred, i.indrelid) ~ ('(^|[^.\w])' || a.attname || '($|[^\w])')));
select is_empty('select * from pg_temp.policy_columns_unindexed', 'every column a policy filters on is in an index');
create table app.zz_policy_probe (id int primary key, owner_id uuid, institution_id uuid);
create policy select_probe on app.zz_policy_probe for select using (owner_id = (select auth.uid()) and id > 0);
select results_eq('select * from pg_temp.policy_columns_unindexed', array['app.zz_policy_probe.select_probe (owner_id)'],
  'the policy-column check reports an unindexed policy column (and not the primary key)');
drop table app.zz_policy_probe;

select is_empty($$
  select t from unnest(array['app.courses', 'app.assignment_templates']) t
   where not exists (select from pg_index i join pg_am am on am.oid = (select relam from pg_class where oid = i.indexrelid)
                      where i.indrelid = t::regclass and am.amname = 'gin'
                        and i.indkey[0] = (select attnum from pg_attribute where attrelid = t::regclass and attname = 'tags'))
  union all
  select 'app.assignment_templates.search' where not exists (
    select from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_am am on am.oid = ic.relam
     where i.indrelid = 'app.assignment_templates'::regclass and am.amname = 'gin'
       and i.indkey[0] = (select attnum from pg_attribute where attrelid = i.indrelid and attname = 'search'))
$$, 'GIN indexes on the tags of courses and templates and on the template search vector');

select is_empty($$
  select c.oid::regclass::text from pg_class c
   where c.oid in ('app.documents'::regclass, 'app.document_versions'::regclass)
      or c.oid in (select inhrelid from pg_inherits where inhparent = 'app.writing_sessions'::regclass)
  except
  select c.oid::regclass::text from pg_class c where 'fillfactor=80' = any (c.reloptions)
$$, 'fillfactor 80 on documents, document_versions and every writing_sessions partition');
select is((select provolatile::text || array_to_string(proconfig, ',') from pg_proc
            where oid = 'app.create_writing_session_partitions(integer, integer)'::regprocedure),
  'vsearch_path=""', 'the monthly partition function exists (volatile, search_path pinned)');

-- Comments on everything exposed.
select is_empty($$
  select format('%s %s', case c.relkind when 'v' then 'view' when 'm' then 'materialized view' else 'table' end, c.oid::regclass)
    from pg_class c
   where c.relnamespace in ('api'::regnamespace, 'reporting'::regnamespace) and c.relkind in ('r', 'p', 'v', 'm')
     and coalesce(obj_description(c.oid, 'pg_class'), '') = ''
  union all
  select format('function %s', p.oid::regprocedure) from pg_proc p
   where p.pronamespace in ('api'::regnamespace, 'reporting'::regnamespace)
     and coalesce(obj_description(p.oid, 'pg_proc'), '') = ''
$$, 'every view, materialized view and function in api and reporting has a comment');

-- Every constraint a written row can break carries the message a client gets (the engine puts the
-- comment in `message`, db/functions/app/writing_messages.sql). Unique keys that contain the primary
-- key (the (id, institution_id) targets of the tenancy foreign keys) can never be broken.
select is_empty($$
  select format('%s %s', con.conrelid::regclass, con.conname)
    from pg_constraint con join pg_class c on c.oid = con.conrelid
   where con.connamespace = 'app'::regnamespace and con.contype in ('c', 'u', 'f', 'x') and not c.relispartition
     and c.relname not in ('institutions', 'profiles', 'outbox')
     and coalesce(obj_description(con.oid, 'pg_constraint'), '') = ''
     and not (con.contype = 'u' and exists (select from pg_constraint pk
                                             where pk.conrelid = con.conrelid and pk.contype = 'p' and pk.conkey <@ con.conkey))
$$, 'every check, unique and foreign-key constraint of the writing tables has a message (comment on constraint)');

-- Reporting: every relation of the schema against every role of the cluster but superusers
-- (the owner) and PostgreSQL's own pg_* roles. Privileges are asked as each role would use them:
-- has_table_privilege follows membership, so a role granted reporting (a BI login) counts as reporting.
select is_empty($$
  select format('%s can read %s', r.rolname, c.oid::regclass)
    from pg_class c cross join pg_roles r
   where c.relnamespace = 'reporting'::regnamespace and c.relkind in ('v', 'm', 'r', 'p')
     and not r.rolsuper and r.rolname !~ '^pg_' and not pg_has_role(r.oid, 'reporting', 'member')
     and (has_table_privilege(r.oid, c.oid, 'select') or has_schema_privilege(r.oid, 'reporting', 'create'))
$$, 'no role but reporting (and its members) reads a reporting view');
select is_empty($$
  select c.oid::regclass::text from pg_class c
   where c.relnamespace = 'reporting'::regnamespace and c.relkind in ('v', 'm')
     and not (has_table_privilege('reporting', c.oid, 'select') and has_schema_privilege('reporting', 'reporting', 'usage'))
$$, 'the reporting role reads every reporting view');
select is_empty($$
  select format('reporting can %s %s', p, c.oid::regclass)
    from pg_class c cross join unnest(array['select', 'insert', 'update', 'delete']) p
   where c.relnamespace in (select oid from pg_namespace where nspname in ('app', 'api', 'auth', 'audit', 'storage', 'util'))
     and c.relkind in ('r', 'p', 'v', 'm') and has_table_privilege('reporting', c.oid, p)
  union all
  select format('reporting can %s %s', p, c.oid::regclass)
    from pg_class c cross join unnest(array['insert', 'update', 'delete', 'truncate']) p
   where c.relnamespace = 'reporting'::regnamespace and c.relkind in ('v', 'm', 'r', 'p') and has_table_privilege('reporting', c.oid, p)
$$, 'the reporting role reads nothing outside reporting and writes nothing');

select * from finish();
