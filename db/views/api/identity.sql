-- The identity tables as the API shows them: public profile fields and institutions. Both views run
-- with the caller's rights (security_invoker), so the policies on app.profiles and app.institutions apply.
-- requires: identity

create or replace view api.profiles with (security_invoker = on) as
  select user_id, institution_id, role, first_name, last_name, bio, picture_url, verified, created_at, updated_at
    from app.profiles;
comment on view api.profiles is
  'People: your own profile, the people you share a course with, and (for admins) everyone in your institution.';
comment on column api.profiles.role is 'student, educator or admin.';
comment on column api.profiles.verified is 'Confirmed by an administrator of the institution.';

create or replace view api.institutions with (security_invoker = on) as
  select id, slug, name, email_domains, self_signup, created_at
    from app.institutions;
comment on view api.institutions is 'Schools: those open for self sign-up, and your own.';
comment on column api.institutions.self_signup is 'Whether people may register themselves (as students).';
