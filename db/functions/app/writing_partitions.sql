-- Monthly partitions of app.writing_sessions. A scheduled job (the worker, or pg_cron) calls
-- app.create_writing_session_partitions(3) every day; it is idempotent. A month whose rows had
-- landed in writing_sessions_default (no partition yet) gets them moved into its new partition,
-- so no insert ever fails and no row stays in the default partition once its month exists.
-- requires: writing

create or replace function app.create_writing_session_partitions(months_ahead integer, months_back integer default 0)
returns setof text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  this_month timestamptz := pg_catalog.date_trunc('month', pg_catalog.now(), 'UTC');
  month_start timestamptz;
  month_end timestamptz;
  partition_name text;
  moved bigint;
  columns text := (select pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' order by a.attnum)
                     from pg_catalog.pg_attribute a
                    where a.attrelid = 'app.writing_sessions'::regclass and a.attnum > 0
                      and not a.attisdropped and a.attgenerated = '');
begin
  if months_ahead is null or months_ahead not between 0 and 120 or months_back is null or months_back not between 0 and 120 then
    raise exception using errcode = 'PT400', message = 'months_ahead and months_back must be between 0 and 120.';
  end if;
  -- One maintenance run at a time (two would race to create the same partition).
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('app.create_writing_session_partitions'));
  for offset_months in -months_back..months_ahead loop
    month_start := this_month + pg_catalog.make_interval(months => offset_months);
    month_end := month_start + interval '1 month';
    partition_name := 'writing_sessions_' || pg_catalog.to_char(month_start at time zone 'UTC', 'YYYY_MM');
    continue when pg_catalog.to_regclass('app.' || pg_catalog.quote_ident(partition_name)) is not null;

    -- Built detached, filled with the month's rows from the default partition, then attached
    -- (attaching checks the default partition holds none of the month any more).
    execute pg_catalog.format(
      'create table app.%I (like app.writing_sessions including defaults including constraints including generated) with (fillfactor = 80)',
      partition_name);
    execute pg_catalog.format(
      'with gone as (delete from app.writing_sessions_default where started_at >= $1 and started_at < $2 returning *)'
      ' insert into app.%I (%s) select %2$s from gone', partition_name, columns)
      using month_start, month_end;
    get diagnostics moved = row_count;
    execute pg_catalog.format('alter table app.writing_sessions attach partition app.%I for values from (%L) to (%L)',
                              partition_name, month_start, month_end);
    execute pg_catalog.format('alter table app.%I enable row level security', partition_name);
    execute pg_catalog.format('comment on table app.%I is %L', partition_name,
                              'Writing sessions started in ' || pg_catalog.to_char(month_start at time zone 'UTC', 'YYYY-MM') || ' (UTC).');
    return next partition_name || case when moved > 0 then pg_catalog.format(' (%s rows moved from the default partition)', moved) else '' end;
  end loop;
end
$$;
comment on function app.create_writing_session_partitions(integer, integer) is
  'Creates the missing monthly partitions of app.writing_sessions from months_back months ago to months_ahead months ahead (UTC months), moving rows out of the default partition; returns the partitions created.';
