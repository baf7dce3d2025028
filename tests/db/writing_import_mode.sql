-- campus.importing = on (what `campus import` sets) and the document version triggers: for the
-- tables' owner an imported document starts at version 0 with no version written, and the
-- importer's version bookkeeping is no edit; with the setting off, or for anybody but the owner
-- (an API role, service_role), the triggers act as always.
insert into app.institutions (id, slug, name) values ('a0000000-0000-4000-8000-000000000001', 'north', 'North College');
insert into auth.users (id, email) values ('b0000000-0000-4000-8000-000000000001', 's1@north.test');
insert into app.profiles (user_id, institution_id, role)
  values ('b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'student');

create function pg_temp.versions(p_document uuid) returns bigint language sql as
  $$ select count(*) from app.document_versions where document_id = p_document $$;
create function pg_temp.new_document(p_id uuid) returns void language sql as $$
  insert into app.documents (id, institution_id, author_id, title, content, updated_at)
  values (p_id, 'a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'Essay', 'one two',
          '2024-01-01 00:00:00+00')
$$;

grant execute on function pg_temp.versions(uuid) to public;

select plan(14);

-- The setting off: version 1 at creation, the next one on each change.
select pg_temp.new_document('d0000000-0000-4000-8000-000000000001');
select is((select current_version from app.documents where id = 'd0000000-0000-4000-8000-000000000001'), 1,
          'without the setting, a new document is version 1');
select is(pg_temp.versions('d0000000-0000-4000-8000-000000000001'), 1::bigint, '... and its version row is written');
set local campus.importing = 'off';
update app.documents set current_version = 9 where id = 'd0000000-0000-4000-8000-000000000001';
select is((select current_version from app.documents where id = 'd0000000-0000-4000-8000-000000000001'), 1,
          'with the setting off, current_version cannot be set by hand');

-- The owner importing.
set local campus.importing = 'on';
select pg_temp.new_document('d0000000-0000-4000-8000-000000000002');
select is((select current_version from app.documents where id = 'd0000000-0000-4000-8000-000000000002'), 0,
          'importing, a new document is version 0');
select is(pg_temp.versions('d0000000-0000-4000-8000-000000000002'), 0::bigint, '... and no version is written');
insert into app.document_versions (institution_id, document_id, version_number, title, content) values
  ('a0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000002', 1, 'Essay', 'one'),
  ('a0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000002', 2, 'Essay', 'one two');
update app.documents set current_version = 2 where id = 'd0000000-0000-4000-8000-000000000002';
select is((select (current_version, updated_at) from app.documents where id = 'd0000000-0000-4000-8000-000000000002'),
          row(2, '2024-01-01 00:00:00+00'::timestamptz),
          'importing, the owner sets current_version to the imported history, and that is no edit');
update app.documents set content = 'one two three' where id = 'd0000000-0000-4000-8000-000000000002';
select is((select current_version from app.documents where id = 'd0000000-0000-4000-8000-000000000002'), 2,
          'importing, newer text keeps the version (its history comes with the import)');
select is(pg_temp.versions('d0000000-0000-4000-8000-000000000002'), 2::bigint, '... and writes no version');

-- The setting on, but not the owner: service_role (a trusted job, not the tables' owner).
set local role service_role;
update app.documents set content = 'one two three four' where id = 'd0000000-0000-4000-8000-000000000002';
select is((select current_version from app.documents where id = 'd0000000-0000-4000-8000-000000000002'), 3,
          'service_role with the setting on: a change is the next version');
select is(pg_temp.versions('d0000000-0000-4000-8000-000000000002'), 3::bigint, '... with its version row');
reset role;

-- The setting on, an API role: the student who owns the document.
select set_config('request.jwt.claims', json_build_object('sub', 'b0000000-0000-4000-8000-000000000001', 'role', 'student',
  'app_metadata', json_build_object('institution_id', 'a0000000-0000-4000-8000-000000000001'))::text, true);
set local role student;
select is(current_setting('campus.importing'), 'on', 'the student''s session has the setting on');
update app.documents set content = 'five' where id = 'd0000000-0000-4000-8000-000000000002';
select is((select current_version from app.documents where id = 'd0000000-0000-4000-8000-000000000002'), 4,
          'a student with the setting on: the change is the next version');
select is(pg_temp.versions('d0000000-0000-4000-8000-000000000002'), 4::bigint, '... and its version is written');
reset role;
set local campus.importing = 'off';
select pg_temp.new_document('d0000000-0000-4000-8000-000000000003');
select is((select current_version from app.documents where id = 'd0000000-0000-4000-8000-000000000003'), 1,
          'the setting off again: a new document is version 1');

select * from finish();
