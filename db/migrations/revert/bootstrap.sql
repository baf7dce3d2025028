-- Revert campus:bootstrap
-- Drops what bootstrap created in this database. Roles are cluster-wide and may serve other
-- databases, so they stay.

BEGIN;

alter default privileges grant execute on functions to public;
drop extension if exists pgcrypto;
drop schema util, reporting, audit, storage, auth, app, api cascade;

COMMIT;
