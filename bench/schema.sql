-- The read benchmark's data: a schema `bench` loaded into a migrated throwaway database.
--   authors   10,000 rows
--   articles 100,000 rows; `author_id` (to-one → authors) and `category` (5,000 distinct values,
--            exactly 20 articles each) are indexed
--   comments 300,000 rows, 3 per article (to-many ← articles), `article_id` indexed
-- Deterministic (no random()), so every run reads the same rows. Readable by `anon` only through
-- grants, as an exposed PostgREST schema would be.

create schema bench;
comment on schema bench is 'Read benchmark data (bench/read_bench.py).';

create table bench.authors (
  id int primary key,
  name text not null,
  email text not null,
  bio text not null,
  created_at timestamptz not null
);

create table bench.articles (
  id int primary key,
  author_id int not null references bench.authors (id),
  category text not null,
  title text not null,
  body text not null,
  published_at timestamptz not null,
  views int not null
);
create index articles_author_id_idx on bench.articles (author_id);
create index articles_category_idx on bench.articles (category);

create table bench.comments (
  id int primary key,
  article_id int not null references bench.articles (id),
  author_name text not null,
  body text not null,
  created_at timestamptz not null
);
create index comments_article_id_idx on bench.comments (article_id);

insert into bench.authors (id, name, email, bio, created_at)
select i,
       'Author ' || i,
       'author' || i || '@example.edu',
       'Writes about topic ' || (i % 97) || '. ' || md5(i::text),
       timestamptz '2020-01-01 00:00:00+00' + make_interval(mins => i)
from generate_series(1, 10000) as i;

insert into bench.articles (id, author_id, category, title, body, published_at, views)
select i,
       1 + (i * 7919) % 10000,
       'cat-' || lpad((i % 5000)::text, 4, '0'),
       'Article number ' || i,
       repeat(md5(i::text), 3),
       timestamptz '2021-01-01 00:00:00+00' + make_interval(mins => i * 3),
       (i * 31) % 5000
from generate_series(1, 100000) as i;

insert into bench.comments (id, article_id, author_name, body, created_at)
select i,
       1 + (i - 1) / 3,
       'Reader ' || (i % 1000),
       'Comment ' || i || ': ' || md5((i * 13)::text),
       timestamptz '2021-01-01 00:00:00+00' + make_interval(mins => i)
from generate_series(1, 300000) as i;

grant usage on schema bench to anon;
grant select on bench.authors, bench.articles, bench.comments to anon;
