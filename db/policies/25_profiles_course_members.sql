-- Profiles of the people one shares a course with: the instructors and fellow students of a
-- user's courses. Only the public profile columns are granted (db/policies/10_identity.sql).
-- requires: identity writing

drop policy if exists select_course_member on app.profiles;
create policy select_course_member on app.profiles for select to authenticated
  using (user_id in (select app.course_member_ids()));
