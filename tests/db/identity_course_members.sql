-- Profiles are visible to the people one shares a course with, and to nobody else.
select plan(7);

update auth.settings set bcrypt_cost = 4;
insert into app.institutions (id, slug, name, self_signup) values
  ('00000000-0000-4000-8000-0000000000a1', 'north', 'North', true),
  ('00000000-0000-4000-8000-0000000000b1', 'south', 'South', true);
select null::void from set_config('request.jwt.claims', '{"role":"service_role"}', true);
create temporary table people (name text primary key, id uuid, institution uuid) on commit drop;
insert into people
select name, (api.admin_create_user(email => name || '@x.edu', role => role::app.user_role, email_confirm => true,
                                    institution_id => institution) ->> 'id')::uuid, institution
  from (values ('teacher', 'educator', '00000000-0000-4000-8000-0000000000a1'::uuid),
               ('ann', 'student', '00000000-0000-4000-8000-0000000000a1'),
               ('bob', 'student', '00000000-0000-4000-8000-0000000000a1'),
               ('loner', 'student', '00000000-0000-4000-8000-0000000000a1'),
               ('dropped', 'student', '00000000-0000-4000-8000-0000000000a1'),
               ('southie', 'student', '00000000-0000-4000-8000-0000000000b1')) as p(name, role, institution);
grant select on people to student, educator;

insert into app.courses (id, institution_id, instructor_id, title)
values ('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000a1',
        (select id from people where name = 'teacher'), 'Essay writing');
insert into app.course_enrollments (institution_id, course_id, student_id, status)
select '00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000c1', id,
       case name when 'dropped' then 'dropped' else 'active' end
  from people where name in ('ann', 'bob', 'dropped');

create function pg_temp.act_as(who text, role text) returns void language sql as $$
  select set_config('request.jwt.claims', json_build_object('sub', p.id, 'role', role,
           'app_metadata', json_build_object('institution_id', p.institution))::text, true)
    from people p where p.name = who
$$;

select pg_temp.act_as('ann', 'student');
set local role student;
select set_eq($$select (select name from people where id = user_id) from api.profiles$$,
              array['ann', 'bob', 'teacher'], 'a student sees herself, her classmates and the teacher');
select is_empty($$select 1 from api.profiles where user_id = (select id from people where name = 'dropped')$$,
                'not a student who dropped the course');
select is_empty($$select 1 from api.profiles where user_id = (select id from people where name = 'southie')$$,
                'not anybody in another institution');
reset role;

select pg_temp.act_as('teacher', 'educator');
set local role educator;
select set_eq($$select (select name from people where id = user_id) from api.profiles$$,
              array['ann', 'bob', 'teacher'], 'the teacher sees the class');
reset role;

select pg_temp.act_as('loner', 'student');
set local role student;
select set_eq($$select (select name from people where id = user_id) from api.profiles$$,
              array['loner'], 'someone in no course sees only themselves');
select throws_ok($$select email from auth.users$$, '42501', null, 'and never the private account data');
reset role;

select pg_temp.act_as('southie', 'student');
set local role student;
select set_eq($$select (select name from people where id = user_id) from api.profiles$$,
              array['southie'], 'another institution sees none of North');
reset role;

select * from finish();
