-- Revert campus:writing_reporting
-- Drops the materialized daily writing activity and its refresh function (a stateless object that
-- would otherwise outlive it).

BEGIN;

drop function if exists reporting.refresh_daily_writing_activity();
drop materialized view reporting.daily_writing_activity;

COMMIT;
