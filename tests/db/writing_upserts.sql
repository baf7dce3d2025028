-- Upserts into enrolments must not count a course place twice. BEFORE INSERT row triggers fire
-- even for a row that then meets ON CONFLICT (DO NOTHING skips it, DO UPDATE updates the old row
-- instead), so seats are counted by AFTER triggers, which fire only for rows really written.
-- Covers the HTTP upserts of api.course_enrollments (on_conflict= with merge- or ignore-duplicates),
-- the owner/service_role path, and api.enroll_with_code called twice.
-- fixture: writing (two institutions, their people, courses, work; see tests/db/fixtures/writing.sql)

select plan(14);

create function pg_temp.seats(p_course uuid) returns int language sql security definer as
  $$select enrolled_count from app.courses where id = p_course$$;
grant execute on function pg_temp.seats(uuid) to public;
select is(pg_temp.seats('c0000000-0000-4000-8000-000000000001'), 2, 'fixture: c1 counts its two students');

-- Educator e1 re-posts enrolments that exist (what a client retry or a roster re-sync does).
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select lives_ok($$insert into api.course_enrollments (course_id, student_id, status)
                  values ('c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'active')
                  on conflict (course_id, student_id) do nothing$$,
  'educator: ignore-duplicates upsert of an existing enrolment');
select is(pg_temp.seats('c0000000-0000-4000-8000-000000000001'), 2, 'ignore-duplicates: no place taken for a skipped row');
select lives_ok($$insert into api.course_enrollments (course_id, student_id, status)
                  values ('c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'active'),
                         ('c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 'active')
                  on conflict (course_id, student_id) do update set status = excluded.status$$,
  'educator: merge-duplicates upsert of existing active enrolments');
select is(pg_temp.seats('c0000000-0000-4000-8000-000000000001'), 2, 'merge-duplicates: unchanged enrolments take no place');
select throws_ok($$insert into api.course_enrollments (course_id, student_id, status)
                   values ('c0000000-0000-4000-8000-000000000004', 'b0000000-0000-4000-8000-000000000001', 'active')
                   on conflict (course_id, student_id) do nothing$$,
  '42501', null, 'educator: an upsert into a colleague''s course is refused by the policy');
reset role;
select is(pg_temp.seats('c0000000-0000-4000-8000-000000000004'), 0, 'a refused row takes no place');

-- merge-duplicates that does change a status still counts: dropped → active takes a place, and back.
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
update api.course_enrollments set status = 'dropped' where student_id = 'b0000000-0000-4000-8000-000000000002'
   and course_id = 'c0000000-0000-4000-8000-000000000001';
select is(pg_temp.seats('c0000000-0000-4000-8000-000000000001'), 1, 'dropping gives the place back');
insert into api.course_enrollments (course_id, student_id, status)
values ('c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 'active')
on conflict (course_id, student_id) do update set status = excluded.status;
select is(pg_temp.seats('c0000000-0000-4000-8000-000000000001'), 2, 'merge-duplicates reactivating a dropped enrolment takes one place');
reset role;

-- The trusted path (owner, importer, service_role) re-running the same rows.
set local role service_role;
insert into app.course_enrollments (institution_id, course_id, student_id)
values ('a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001'),
       ('a0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002')
on conflict (course_id, student_id) do nothing;
reset role;
select is(pg_temp.seats('c0000000-0000-4000-8000-000000000001'), 2, 'service_role: a re-run insert … on conflict do nothing counts nothing');

-- A full course still refuses a real newcomer through an upsert (the AFTER trigger raises).
select pg_temp.act_as('e0000000-0000-4000-8000-000000000001');
select throws_ok($$insert into api.course_enrollments (course_id, student_id, status)
                   values ('c0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000001', 'active'),
                          ('c0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002', 'active')
                   on conflict (course_id, student_id) do nothing$$,
  'PT409', 'Course "Open Poetry" is full: all 1 places are taken.', 'an upsert past capacity is refused whole');
reset role;
select is(pg_temp.seats('c0000000-0000-4000-8000-000000000002'), 0, 'the refused upsert took no place');

-- enroll_with_code twice: the second call is a 409 and the count is unchanged.
update app.courses set max_students = 5 where id = 'c0000000-0000-4000-8000-000000000004';
select pg_temp.act_as('b0000000-0000-4000-8000-000000000001');
select api.enroll_with_code('RHET0001');
select throws_ok($$select api.enroll_with_code('rhet0001')$$, 'PT409', 'You are already enrolled in "Rhetoric".',
  'enroll_with_code a second time: 409 already enrolled');
reset role;
select is(pg_temp.seats('c0000000-0000-4000-8000-000000000004'), 1, 'enroll_with_code twice takes one place');

select * from finish();
