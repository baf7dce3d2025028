-- Deploy campus:identity
-- Institutions (tenants), users and their credentials, profiles, sessions, refresh tokens,
-- one-time tokens, failed sign-ins, the auth settings row and the outbox for mail-worthy events.
-- No API role is granted anything here; the grants live in db/policies.

BEGIN;

-- The auth service's database role: the /auth/v1 sub-application switches to it and may only
-- execute the auth.* rule functions (all security definer). Cluster-wide, so created if missing.
do $roles$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'auth_service') then
    create role auth_service nologin;
  end if;
end
$roles$;
grant auth_service to authenticator;

create type app.user_role as enum ('student', 'educator', 'admin');
comment on type app.user_role is 'What a user may do inside an institution; also the JWT role claim.';

create table app.institutions (
  id            uuid primary key default gen_random_uuid(),
  slug          text not null unique
                check (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
  name          text not null check (length(btrim(name)) between 1 and 200),
  email_domains text[] not null default '{}'
                check (array_position(email_domains, null) is null),
  self_signup   boolean not null default false,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);
comment on table app.institutions is 'Tenants: schools and colleges. Every tenant-owned row carries institution_id.';
comment on column app.institutions.slug is 'Short unique name used in URLs and at sign-up.';
comment on column app.institutions.email_domains is 'Sign-ups from these e-mail domains join this institution (when self_signup).';
comment on column app.institutions.self_signup is 'Whether people may register themselves (as students); otherwise admins create accounts.';
create index institutions_email_domains_idx on app.institutions using gin (email_domains);

create table auth.users (
  id                   uuid primary key default gen_random_uuid(),
  email                text not null unique
                       check (email = lower(btrim(email)) and length(email) between 3 and 254),
  encrypted_password   text,
  email_confirmed_at   timestamptz,
  confirmation_sent_at timestamptz,
  recovery_sent_at     timestamptz,
  email_change         text check (email_change = lower(btrim(email_change))),
  email_change_sent_at timestamptz,
  banned_until         timestamptz,
  last_sign_in_at      timestamptz,
  app_metadata         jsonb not null default '{}' check (jsonb_typeof(app_metadata) = 'object'),
  user_metadata        jsonb not null default '{}'
                       check (jsonb_typeof(user_metadata) = 'object' and length(user_metadata::text) <= 16384),
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now()
);
comment on table auth.users is 'Accounts and their credentials. Readable by no API role; reached through auth.* functions.';
comment on column auth.users.email is 'Normalised: trimmed and lower-case; unique across institutions.';
comment on column auth.users.encrypted_password is 'bcrypt hash (pgcrypto crypt with gen_salt(''bf'', cost)).';
comment on column auth.users.app_metadata is 'Written only by the system and admins; may drive authorisation.';
comment on column auth.users.user_metadata is 'Written by the user; never used for authorisation.';
comment on column auth.users.banned_until is 'Sign-in and refresh are refused until this time.';

create table app.profiles (
  user_id        uuid primary key references auth.users (id) on delete cascade,
  institution_id uuid not null references app.institutions (id) on delete restrict,
  role           app.user_role not null default 'student',
  first_name     text not null default '' check (length(first_name) <= 100),
  last_name      text not null default '' check (length(last_name) <= 100),
  bio            text not null default '' check (length(bio) <= 2000),
  picture_url    text check (picture_url ~ '^https?://' and length(picture_url) <= 2048),
  verified       boolean not null default false,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now()
);
comment on table app.profiles is 'The public face of a user: names, role and institution. One per auth.users row.';
comment on column app.profiles.role is 'student, educator or admin; changed only by an admin of the institution.';
comment on column app.profiles.verified is 'Set by an admin once the person is known to the institution.';
create index profiles_institution_id_role_idx on app.profiles (institution_id, role);

create table auth.sessions (
  id           uuid primary key default gen_random_uuid(),
  user_id      uuid not null references auth.users (id) on delete cascade,
  aal          text not null default 'aal1' check (aal in ('aal1', 'aal2')),
  user_agent   text check (length(user_agent) <= 512),
  ip           inet,
  created_at   timestamptz not null default now(),
  refreshed_at timestamptz,
  updated_at   timestamptz not null default now()
);
comment on table auth.sessions is 'One per sign-in; its refresh tokens form one family. Deleted on logout.';
create index sessions_user_id_idx on auth.sessions (user_id);

create table auth.refresh_tokens (
  id         bigint generated always as identity primary key,
  token_hash bytea not null unique check (length(token_hash) = 32),
  user_id    uuid not null references auth.users (id) on delete cascade,
  session_id uuid not null references auth.sessions (id) on delete cascade,
  parent_id  bigint references auth.refresh_tokens (id) on delete cascade,
  revoked    boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table auth.refresh_tokens is 'Refresh tokens, stored as SHA-256 digests; each rotation revokes the token and adds a child.';
create index refresh_tokens_session_id_idx on auth.refresh_tokens (session_id);
create index refresh_tokens_user_id_idx on auth.refresh_tokens (user_id);
create index refresh_tokens_parent_id_idx on auth.refresh_tokens (parent_id);

create type auth.one_time_token_type as enum ('confirmation', 'recovery', 'email_change');
comment on type auth.one_time_token_type is 'What a mailed token proves: a sign-up address, a password reset, a new address.';

create table auth.one_time_tokens (
  id         uuid primary key default gen_random_uuid(),
  user_id    uuid not null references auth.users (id) on delete cascade,
  token_type auth.one_time_token_type not null,
  token_hash bytea not null unique check (length(token_hash) = 32),
  relates_to text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at    timestamptz,
  check (expires_at > created_at)
);
comment on table auth.one_time_tokens is 'Mailed single-use tokens (SHA-256 digests) for e-mail verification, recovery and e-mail change.';
comment on column auth.one_time_tokens.relates_to is 'The e-mail address the token was sent to.';
create index one_time_tokens_user_id_type_idx on auth.one_time_tokens (user_id, token_type);

create table auth.sign_in_failures (
  id        bigint generated always as identity primary key,
  email     text not null,
  ip        inet,
  failed_at timestamptz not null default now()
);
comment on table auth.sign_in_failures is 'Failed password sign-ins, known e-mails or not; drives the lockout.';
create index sign_in_failures_email_failed_at_idx on auth.sign_in_failures (email, failed_at);

create table auth.settings (
  id                        boolean primary key default true check (id),
  password_min_length       integer not null default 8 check (password_min_length between 6 and 72),
  password_require_letter   boolean not null default true,
  password_require_digit    boolean not null default true,
  password_require_symbol   boolean not null default false,
  bcrypt_cost               integer not null default 10 check (bcrypt_cost between 4 and 15),
  lockout_threshold         integer not null default 5 check (lockout_threshold > 0),
  lockout_window            interval not null default '15 minutes' check (lockout_window > '0'),
  refresh_reuse_interval    interval not null default '10 seconds' check (refresh_reuse_interval >= '0'),
  confirmation_ttl          interval not null default '24 hours' check (confirmation_ttl > '0'),
  recovery_ttl              interval not null default '1 hour' check (recovery_ttl > '0'),
  mail_resend_interval      interval not null default '60 seconds' check (mail_resend_interval >= '0'),
  autoconfirm               boolean not null default false
);
comment on table auth.settings is 'The auth rules'' knobs, one row. Change with UPDATE; takes effect at once.';
comment on column auth.settings.autoconfirm is 'Sign-ups are confirmed at once (no verification mail); for development.';
comment on column auth.settings.mail_resend_interval is 'Recovery and confirmation mails to one user are sent at most this often.';
insert into auth.settings default values;

create table app.outbox (
  id           bigint generated always as identity primary key,
  topic        text not null check (topic ~ '^[a-z_]+(\.[a-z_]+)*$'),
  payload      jsonb not null,
  created_at   timestamptz not null default now(),
  processed_at timestamptz
);
comment on table app.outbox is 'Events written in the transaction that caused them (e.g. mail.reset_password); a worker sends them.';
create index outbox_unprocessed_idx on app.outbox (id) where processed_at is null;

alter table app.institutions enable row level security;
alter table auth.users enable row level security;
alter table app.profiles enable row level security;
alter table auth.sessions enable row level security;
alter table auth.refresh_tokens enable row level security;
alter table auth.one_time_tokens enable row level security;
alter table auth.sign_in_failures enable row level security;
alter table auth.settings enable row level security;
alter table app.outbox enable row level security;

COMMIT;
