-- The HTTP tests' own schema: the canonical shapes a PostgREST-compatible engine must serve.
-- Loaded into a clone of the migrated template; exposed as the schemas `test` and `test2`.

create schema test;
create schema test2;
comment on schema test is 'Fixture schema for the engine tests.';

create type test.mood as enum ('happy', 'sad', 'meh');

create table test.clients (id int primary key, name text not null);
create table test.projects (id int primary key, name text not null, client_id int references test.clients (id));
create table test.tasks (id int primary key, name text not null, project_id int references test.projects (id),
                         done boolean not null default false);
create table test.people (id int primary key, name text not null, age int, student boolean);
-- many-to-many through a junction whose key holds both foreign keys
create table test.people_tasks (person_id int references test.people (id), task_id int references test.tasks (id),
                                primary key (person_id, task_id));
-- two foreign keys to one table
create table test.addresses (id int primary key, street text not null);
create table test.orders (id int primary key, name text,
                          billing_address_id int constraint billing references test.addresses (id),
                          shipping_address_id int constraint shipping references test.addresses (id));
-- one-to-one: the foreign key is also the primary key
create table test.client_profiles (client_id int primary key references test.clients (id), motto text);
-- self-reference
create table test.family (id int primary key, name text not null, parent_id int references test.family (id));
-- composite and missing primary keys
create table test.composite_keys (a int, b text, note text, primary key (a, b));
create table test.no_pk (x int, y text);
-- partitioned
create table test.readings (id int, taken_on date not null, value numeric(8, 2), primary key (id, taken_on))
  partition by range (taken_on);
create table test.readings_2025 partition of test.readings for values from ('2025-01-01') to ('2026-01-01');
create table test.readings_2026 partition of test.readings for values from ('2026-01-01') to ('2027-01-01');
-- json, jsonb, array, range, tsvector, enum, unicode and space-named columns
create table test.documents (
  id int primary key,
  title text not null,
  body text,
  data jsonb,
  meta json,
  tags text[],
  period daterange,
  search tsvector generated always as (to_tsvector('english', coalesce(title, '') || ' ' || coalesce(body, ''))) stored,
  mood test.mood,
  "Display Name" text,
  "café" text
);
comment on table test.documents is 'Documents with every interesting column type.';
-- a view over a join, projecting the base table's key and foreign key
create view test.project_view as
  select p.id, p.name, p.client_id, c.name as client_name from test.projects p left join test.clients c on c.id = p.client_id;
-- computed field and computed relationship
create function test.label(test.projects) returns text language sql stable as $$ select $1.name || ' #' || $1.id $$;
create function test.open_tasks(test.projects) returns setof test.tasks language sql stable
  as $$ select * from test.tasks where project_id = $1.id and not done $$;
-- fixed instants, to see Prefer: timezone at work
create view test.instants as select 1 as id, timestamptz '2025-01-01 12:00:00+00' as at;
-- a deliberately slow read, for timeouts
create view test.slow as select pg_catalog.pg_sleep(1.5) is not null as done;
-- a computed field that sets response headers and status from SQL
create function test.with_headers(test.clients) returns text language plpgsql stable as $$
begin
  perform set_config('response.headers', '[{"X-Client": "' || $1.id || '"}, {"Set-Cookie": "a=1"}, {"Set-Cookie": "b=2"}]', true);
  perform set_config('response.status', '299', true);
  return 'set';
end $$;
-- the pre-request hook of the configured server: refuses requests carrying `x-block: yes`
create function test.check_request() returns void language plpgsql stable as $$
begin
  if current_setting('request.headers', true)::json->>'x-block' = 'yes' then
    raise sqlstate 'PT403' using message = 'Blocked by the pre-request hook', hint = 'Drop the x-block header';
  end if;
end $$;
-- functions for /rpc: scalars, sets, rows, tables, void, overloads, variadic, raw bodies, errors
create table test.counter (id int primary key, hits int not null default 0);
insert into test.counter values (1, 0);
create function test.add_them(a int, b int default 10) returns int language sql immutable as $$ select a + b $$;
create function test.echo(x int) returns text language sql immutable as $$ select 'int ' || x $$;
create function test.echo(x text) returns text language sql immutable as $$ select 'text ' || x $$;
create function test.plus_one(variadic v int[]) returns setof int language sql immutable as $$ select unnest(v) + 1 $$;
create function test.first_of(arr int[]) returns int language sql immutable as $$ select arr[1] $$;
create function test.projects_of(client int) returns setof test.projects language sql stable
  as $$ select * from test.projects where client_id = client $$;
create function test.project_row(pid int) returns test.projects language sql stable
  as $$ select * from test.projects where id = pid $$;
create function test.squares(upto int) returns table (n int, square int) language sql immutable
  as $$ select g, g * g from generate_series(1, upto) g $$;
create function test.hello() returns text language sql immutable as $$ select 'Hello' $$;
create function test.do_nothing() returns void language sql volatile as $$ select $$;
create function test.bump() returns int language sql volatile
  as $$ update test.counter set hits = hits + 1 where id = 1 returning hits $$;
create function test.sum_json(json) returns int language sql immutable
  as $$ select sum(value::int)::int from json_array_elements_text($1) $$;
create function test.shout(text) returns text language sql immutable as $$ select upper($1) || '!' $$;
create function test.pay() returns void language plpgsql volatile as $$
begin
  raise sqlstate 'PT402' using message = 'Payment Required', detail = 'Quota exceeded', hint = 'Upgrade';
end $$;
create function test.teapot() returns text language plpgsql stable as $$
begin
  perform set_config('response.status', '418', true);
  perform set_config('response.headers', '[{"X-Brew": "earl grey"}]', true);
  return 'short and stout';
end $$;
grant select, update on test.counter to anon;

-- tables the write tests change (each test uses its own ids)
create table test.items (id int primary key, name text not null, qty int not null default 1, client_id int references test.clients (id));
create table test.notes (id int primary key, owner text not null, body text);
alter table test.notes enable row level security;
create policy insert_any on test.notes for insert to anon with check (true);
create policy select_mine on test.notes for select to anon using (owner = 'me');
grant select, insert, update, delete on test.items to anon;
grant select, insert on test.notes to anon;

-- a second schema for profile switching
create table test2.clients (id int primary key, name text not null);

insert into test.clients values (1, 'Microsoft'), (2, 'Apple'), (3, 'Nobody');
insert into test.client_profiles values (1, 'Be what''s next'), (2, 'Think different');
insert into test.projects values (1, 'Windows 7', 1), (2, 'Windows 10', 1), (3, 'IOS', 2), (4, 'OSX', 2), (5, 'Orphan', null);
insert into test.tasks values (1, 'Design w7', 1, true), (2, 'Code w7', 1, false), (3, 'Design w10', 2, false),
  (4, 'Code w10', 2, false), (5, 'Design IOS', 3, true), (6, 'Code IOS', 3, false), (7, 'Design OSX', 4, false),
  (8, 'Code OSX', 4, true);
insert into test.people values (1, 'Angela', 41, false), (2, 'Bo', 17, true), (3, 'Chen', 22, true), (4, 'Dana', null, null);
insert into test.people_tasks values (1, 1), (1, 2), (2, 2), (3, 5), (3, 6), (3, 7);
insert into test.addresses values (1, 'Main St 1'), (2, 'Side St 2');
insert into test.orders values (1, 'first', 1, 2), (2, 'second', 2, 2);
insert into test.family values (1, 'Grandma', null), (2, 'Mum', 1), (3, 'Kid', 2), (4, 'Aunt', 1);
insert into test.composite_keys values (1, 'a', 'one-a'), (1, 'b', 'one-b'), (2, 'a', 'two-a');
insert into test.no_pk values (1, 'x'), (2, null);
insert into test.readings values (1, '2025-06-01', 10.5), (2, '2026-02-01', 20.25);
insert into test.documents (id, title, body, data, meta, tags, period, mood, "Display Name", "café") values
  (1, 'Fat cats', 'The fat cats ate the rats', '{"a": {"b": 1}, "kind": "x", "list": [1, 2]}', '{"n": 1}',
   '{cats,animals}', '[2025-01-01,2025-06-30)', 'happy', 'Über document', 'au lait'),
  (2, 'Lazy dogs', 'A lazy dog sleeps', '{"a": {"b": 2}, "kind": "y"}', '{"n": 2}', '{dogs,animals}',
   '[2025-07-01,2025-12-31)', 'sad', 'Plain', null),
  (3, 'Empty', null, null, null, '{}', null, null, null, null);
insert into test2.clients values (1, 'Second schema client');

-- Privileges: anon reads everything in the fixture.
grant usage on schema test, test2 to anon, authenticated;
grant select on all tables in schema test, test2 to anon, authenticated;
grant execute on all functions in schema test to anon, authenticated;

-- Statistics, so count=planned estimates are close to the truth.
analyze;
