-- The write benchmark's additions (bench/write_bench.py), loaded after bench/schema.sql.
--   events   10,000 seed rows (ids 1..10,000, the targets of PATCH and bench.bump); inserts append
--   bench.bump(id)            volatile: increments events.n, returns the new value (POST /rpc/bump)
--   bench.article_count(author) stable: how many articles an author wrote (GET /rpc/article_count)
-- Writable by `anon` only through grants, as an exposed PostgREST schema would be.

create table bench.events (
  id bigint generated always as identity primary key,
  name text not null,
  n int not null,
  created_at timestamptz not null default now()
);

insert into bench.events (name, n)
select 'seed-' || i, i from generate_series(1, 10000) as i;

create function bench.bump(id bigint) returns bigint
language sql volatile as $$
  update bench.events as e set n = e.n + 1 where e.id = bump.id returning e.n::bigint
$$;

create function bench.article_count(author bigint) returns bigint
language sql stable as $$
  select pg_catalog.count(*) from bench.articles as a where a.author_id = article_count.author
$$;

grant select, insert, update on bench.events to anon;
grant usage on all sequences in schema bench to anon;
grant execute on function bench.bump(bigint), bench.article_count(bigint) to anon;
