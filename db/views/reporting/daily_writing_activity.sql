-- Refreshing the materialized reporting.daily_writing_activity (created by the writing_reporting
-- migration, since a materialized view holds data). A scheduled job calls it as service_role.
-- requires: writing_reporting

create or replace function reporting.refresh_daily_writing_activity() returns void
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  -- Security definer: REFRESH needs the view's owner. CONCURRENTLY keeps the view readable during
  -- the refresh (it uses the unique index daily_writing_activity_key).
  refresh materialized view concurrently reporting.daily_writing_activity;
end
$$;
comment on function reporting.refresh_daily_writing_activity() is
  'Recomputes reporting.daily_writing_activity without blocking its readers (REFRESH ... CONCURRENTLY). '
  'Executable by service_role (the scheduled job).';
