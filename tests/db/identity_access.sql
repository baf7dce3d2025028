-- Who may reach what in the identity module, tried as each role: no API role reads credentials,
-- sessions, tokens, failures or the settings row; auth_service runs the rule functions and nothing
-- else; only admins and service_role run api.admin_*; profiles and institutions under RLS.
select plan(128);

update auth.settings set bcrypt_cost = 4;
insert into app.institutions (id, slug, name, email_domains, self_signup) values
  ('00000000-0000-4000-8000-00000000000a', 'north', 'North College', '{north.edu}', true),
  ('00000000-0000-4000-8000-00000000000b', 'south', 'South Academy', '{south.edu}', false);

-- fx.<name> holds each fixture user's id; pg_temp.fx(name) reads it back as any role.
create function pg_temp.fx(p_name text) returns uuid language sql stable
  as $$ select current_setting('fx.' || p_name)::uuid $$;
grant execute on function pg_temp.fx(text) to public;
-- The claims a verified token of that user would carry (set before `set local role`).
create function pg_temp.act_as(p_name text, p_role text, p_institution uuid) returns void language sql
  as $$ select null::void from set_config('request.jwt.claims', json_build_object(
          'sub', pg_temp.fx(p_name), 'role', p_role,
          'app_metadata', json_build_object('institution_id', p_institution, 'role', p_role))::text, true) $$;

create function pg_temp.claims(p_claims jsonb) returns void language sql
  as $$ select null::void from set_config('request.jwt.claims', coalesce(p_claims::text, ''), true) $$;

do $$
begin
  -- ann and bea sign up at North; the others are created by a trusted job.
  perform set_config('fx.ann', auth.sign_up('ann@north.edu', 'password1', '{"first_name":"Ann"}', null, null, null) #>> '{user,id}', true);
  perform set_config('fx.bea', auth.sign_up('bea@north.edu', 'password1', '{"first_name":"Bea"}', null, null, null) #>> '{user,id}', true);
  perform set_config('request.jwt.claims', '{"role":"service_role"}', true);
  perform set_config('fx.eve', api.admin_create_user(email => 'eve@north.edu', password => 'password1', role => 'educator',
    email_confirm => true, institution_id => '00000000-0000-4000-8000-00000000000a') ->> 'id', true);
  perform set_config('fx.ada', api.admin_create_user(email => 'ada@north.edu', password => 'password1', role => 'admin',
    email_confirm => true, institution_id => '00000000-0000-4000-8000-00000000000a') ->> 'id', true);
  perform set_config('fx.sam', api.admin_create_user(email => 'sam@south.edu', password => 'password1',
    email_confirm => true, user_metadata => '{"first_name":"Sam"}', institution_id => '00000000-0000-4000-8000-00000000000b') ->> 'id', true);
  perform set_config('fx.sid', api.admin_create_user(email => 'sid@south.edu', password => 'password1', role => 'admin',
    email_confirm => true, institution_id => '00000000-0000-4000-8000-00000000000b') ->> 'id', true);
  perform set_config('request.jwt.claims', '', true);
  -- A session, a refresh token and a failure exist, so an empty answer would not mean an empty table.
  perform auth.sign_in_password('eve@north.edu', 'password1', null, null);
  perform auth.sign_in_password('eve@north.edu', 'wrong-password1', null, null);
end
$$;

-- 1. Credentials, sessions, tokens, failures, settings and the outbox: no role may read them.
set local role anon;
select throws_ok(format('select * from %s', t), '42501', null, format('anon cannot read %s', t))
  from unnest(array['auth.users', 'auth.refresh_tokens', 'auth.one_time_tokens', 'auth.sessions',
                    'auth.sign_in_failures', 'auth.settings', 'app.outbox']) t;
reset role;

select pg_temp.act_as('ann', 'authenticated', '00000000-0000-4000-8000-00000000000a');
set local role authenticated;
select throws_ok(format('select * from %s', t), '42501', null, format('authenticated cannot read %s', t))
  from unnest(array['auth.users', 'auth.refresh_tokens', 'auth.one_time_tokens', 'auth.sessions',
                    'auth.sign_in_failures', 'auth.settings', 'app.outbox']) t;
reset role;

select pg_temp.act_as('ann', 'student', '00000000-0000-4000-8000-00000000000a');
set local role student;
select throws_ok(format('select * from %s', t), '42501', null, format('a student cannot read %s', t))
  from unnest(array['auth.users', 'auth.refresh_tokens', 'auth.one_time_tokens', 'auth.sessions',
                    'auth.sign_in_failures', 'auth.settings', 'app.outbox']) t;
select throws_ok($$select email from auth.users where id = auth.uid()$$, '42501', null,
                 'a student cannot read even their own auth.users row');
reset role;

select pg_temp.act_as('eve', 'educator', '00000000-0000-4000-8000-00000000000a');
set local role educator;
select throws_ok(format('select * from %s', t), '42501', null, format('an educator cannot read %s', t))
  from unnest(array['auth.users', 'auth.refresh_tokens', 'auth.one_time_tokens', 'auth.sessions',
                    'auth.sign_in_failures', 'auth.settings', 'app.outbox']) t;
reset role;

select pg_temp.act_as('ada', 'admin', '00000000-0000-4000-8000-00000000000a');
set local role admin;
select throws_ok(format('select * from %s', t), '42501', null, format('an admin cannot read %s', t))
  from unnest(array['auth.users', 'auth.refresh_tokens', 'auth.one_time_tokens', 'auth.sessions',
                    'auth.sign_in_failures', 'auth.settings', 'app.outbox']) t;
reset role;

select pg_temp.claims('{"role":"service_role"}');
set local role service_role;
select throws_ok(format('select * from %s', t), '42501', null, format('service_role cannot read %s', t))
  from unnest(array['auth.users', 'auth.refresh_tokens', 'auth.one_time_tokens', 'auth.sessions',
                    'auth.sign_in_failures', 'auth.settings']) t;
select lives_ok('select id, topic, payload from app.outbox', 'service_role reads the outbox (the worker drains it)');
select throws_ok('delete from app.outbox', '42501', null, 'service_role cannot delete from the outbox');
reset role;

select pg_temp.claims(null);
set local role reporting;
select throws_ok(format('select * from %s', t), '42501', null, format('reporting cannot read %s', t))
  from unnest(array['auth.users', 'auth.refresh_tokens', 'auth.one_time_tokens', 'auth.sessions',
                    'auth.sign_in_failures', 'auth.settings', 'app.outbox']) t;
reset role;

set local role auth_service;
select throws_ok(format('select * from %s', t), '42501', null, format('auth_service cannot read %s', t))
  from unnest(array['auth.users', 'auth.refresh_tokens', 'auth.one_time_tokens', 'auth.sessions',
                    'auth.sign_in_failures', 'auth.settings', 'app.outbox']) t;
reset role;

-- ... nor write them, nor hold any privilege on them at all (inherited ones included).
select is_empty($$
  select r, t
    from unnest(array['anon', 'authenticated', 'student', 'educator', 'admin', 'service_role', 'reporting',
                      'auth_service']) r,
         unnest(array['auth.users', 'auth.refresh_tokens', 'auth.one_time_tokens', 'auth.sessions',
                      'auth.sign_in_failures', 'auth.settings']) t
   where has_table_privilege(r, t, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
      or has_any_column_privilege(r, t, 'SELECT, INSERT, UPDATE, REFERENCES')
$$, 'no API role holds any privilege on the auth tables');

-- 2. Functions in auth: auth_service runs exactly the rule functions; the API roles only the helpers.
select set_eq($$select p.oid::regprocedure::text from pg_proc p
                 where p.pronamespace = 'auth'::regnamespace and has_function_privilege('auth_service', p.oid, 'execute')$$,
  array['auth.sign_up(text,text,jsonb,text,inet,text)', 'auth.sign_in_password(text,text,inet,text)',
        'auth.refresh_session(text,inet,text)', 'auth.sign_out(uuid,uuid,text)', 'auth."session_user"(uuid,uuid)',
        'auth.recover(text)', 'auth.verify_one_time_token(text,text,text,inet,text)',
        'auth.update_user(uuid,text,text,jsonb)', 'auth.public_settings()'],
  'auth_service may execute exactly the auth rule functions');
select set_eq($$select distinct p.oid::regprocedure::text
                  from pg_proc p, unnest(array['authenticated', 'student', 'educator', 'admin', 'service_role']) r
                 where p.pronamespace = 'auth'::regnamespace and has_function_privilege(r, p.oid, 'execute')$$,
  array['auth.jwt()', 'auth.uid()', 'auth.role()', 'auth.institution_id()'],
  'the request roles may execute only the claim helpers in auth');
select is_empty($$select p.oid::regprocedure from pg_proc p
                   where p.pronamespace = 'auth'::regnamespace
                     and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('reporting', p.oid, 'execute'))$$,
  'anon and reporting may execute nothing in auth');
select set_eq($$select p.oid::regprocedure::text from pg_proc p
                 where p.pronamespace = 'api'::regnamespace and p.proname like 'admin\_%'
                   and has_function_privilege('admin', p.oid, 'execute') and has_function_privilege('service_role', p.oid, 'execute')$$,
  array['api.admin_create_user(text,text,app.user_role,boolean,jsonb,jsonb,uuid)', 'api.admin_list_users(integer,integer)',
        'api.admin_get_user(uuid)', 'api.admin_update_user(uuid,jsonb)', 'api.admin_set_role(uuid,app.user_role)',
        'api.admin_ban_user(uuid,text)', 'api.admin_delete_user(uuid)'],
  'admins and service_role may execute every api.admin_* function');

set local role auth_service;
select lives_ok($$select auth.public_settings()$$, 'auth_service reads the public settings');
select is(auth.sign_in_password('eve@north.edu', 'password1', '10.0.0.1', 'pgTAP') ->> 'outcome', 'ok',
          'auth_service signs a user in');
select is(auth.sign_up('cat@north.edu', 'password1', null, null, null, null) #>> '{user,email}', 'cat@north.edu',
          'auth_service signs a user up');
select lives_ok($$select auth.recover('cat@north.edu')$$, 'auth_service requests a password reset');
select throws_ok($$select auth.hash_password('password1')$$, '42501', null, 'auth_service cannot call the internals (hash_password)');
select throws_ok($$select auth.start_session(gen_random_uuid(), null, null)$$, '42501', null,
                 'auth_service cannot start a session without a password (start_session)');
select throws_ok($$select auth.user_document(gen_random_uuid())$$, '42501', null, 'auth_service cannot read user documents directly');
select throws_ok($$select api.admin_list_users()$$, '42501', null, 'auth_service cannot list users (api.admin_list_users)');
select throws_ok($$select api.admin_create_user('mal@north.edu', 'password1', 'admin')$$, '42501', null,
                 'auth_service cannot create users (api.admin_create_user)');
reset role;

-- Signed-in users cannot call the rule functions themselves (they go through /auth/v1).
select pg_temp.act_as('ann', 'student', '00000000-0000-4000-8000-00000000000a');
set local role student;
select throws_ok($$select auth.sign_in_password('bea@north.edu', 'password1', null, null)$$, '42501', null,
                 'a student cannot call auth.sign_in_password');
select throws_ok(format('select auth.update_user(%L, null, %L, null)', pg_temp.fx('bea'), 'password2'), '42501', null,
                 'a student cannot call auth.update_user for anybody');
reset role;

-- 3. api.admin_*: students and educators are refused, whatever they pass.
select pg_temp.act_as('ann', 'student', '00000000-0000-4000-8000-00000000000a');
set local role student;
select throws_ok(q, '42501', null, 'a student cannot run ' || q)
  from unnest(array[
    $$select api.admin_create_user('mal@north.edu', 'password1', 'admin')$$,
    $$select api.admin_list_users()$$,
    $$select api.admin_get_user(auth.uid())$$,
    $$select api.admin_update_user(auth.uid(), '{"role":"admin"}')$$,
    $$select api.admin_set_role(auth.uid(), 'admin')$$,
    $$select api.admin_ban_user(auth.uid(), 'none')$$,
    $$select api.admin_delete_user(auth.uid())$$]) q;
reset role;

select pg_temp.act_as('eve', 'educator', '00000000-0000-4000-8000-00000000000a');
set local role educator;
select throws_ok(q, '42501', null, 'an educator cannot run ' || q)
  from unnest(array[
    $$select api.admin_create_user('mal@north.edu', 'password1', 'admin')$$,
    $$select api.admin_list_users()$$,
    $$select api.admin_get_user(auth.uid())$$,
    $$select api.admin_update_user(auth.uid(), '{"role":"admin"}')$$,
    $$select api.admin_set_role(auth.uid(), 'admin')$$,
    $$select api.admin_ban_user(auth.uid(), 'none')$$,
    $$select api.admin_delete_user(auth.uid())$$]) q;
reset role;

select pg_temp.claims(null);
set local role anon;
select throws_ok($$select api.admin_list_users()$$, '42501', null, 'anon cannot list users');
reset role;

-- The function body checks the claims too: an admin-role caller whose token says student is refused.
select pg_temp.act_as('ann', 'student', '00000000-0000-4000-8000-00000000000a');
set local role admin;
select throws_ok($$select api.admin_list_users()$$, '42501', 'User not allowed',
                 'api.admin_* refuse claims that do not name admin or service_role');
reset role;

-- 4. Institutions: anon sees those open for sign-up; members see their own too.
set local role anon;
select results_eq($$select slug from api.institutions where slug in ('north', 'south') order by slug$$,
                  array['north'], 'anon sees the self-signup institution, not the closed one');
select is_empty($$select from api.institutions where not self_signup$$, 'anon sees no closed institution');
select throws_ok($$select * from app.institutions$$, '42501', null, 'anon cannot use the app schema');
select throws_ok($$select * from api.profiles$$, '42501', null, 'anon cannot read profiles');
reset role;

select pg_temp.act_as('sam', 'student', '00000000-0000-4000-8000-00000000000b');
set local role student;
select results_eq($$select slug from api.institutions where slug in ('north', 'south') order by slug$$,
                  array['north', 'south'], 'a South student sees their own (closed) institution as well');
select throws_ok($$update app.institutions set self_signup = true$$, '42501', null, 'a student cannot edit institutions');
reset role;

-- 5. Profiles: your own; admins their institution's; nobody another institution's.
select pg_temp.act_as('ann', 'student', '00000000-0000-4000-8000-00000000000a');
set local role student;
select results_eq($$select user_id from api.profiles$$, array[pg_temp.fx('ann')],
                  'a student sees only their own profile through api.profiles');
select results_eq($$select user_id from app.profiles$$, array[pg_temp.fx('ann')],
                  'and only their own row of app.profiles');
select is_empty(format('select from api.profiles where user_id in (%L, %L)', pg_temp.fx('bea'), pg_temp.fx('sam')),
                'not a classmate''s profile, not another institution''s');

select throws_ok(format('update api.profiles set role = %L where user_id = %L', 'admin', pg_temp.fx('ann')),
                 '42501', null, 'a student cannot make themselves admin (api.profiles.role)');
select throws_ok(format('update app.profiles set role = %L where user_id = %L', 'admin', pg_temp.fx('ann')),
                 '42501', null, 'a student cannot make themselves admin (app.profiles.role)');
select throws_ok(format('update api.profiles set verified = true where user_id = %L', pg_temp.fx('ann')),
                 '42501', null, 'a student cannot verify themselves');
select throws_ok(format('update app.profiles set institution_id = %L where user_id = %L',
                        '00000000-0000-4000-8000-00000000000b', pg_temp.fx('ann')),
                 '42501', null, 'a student cannot move to another institution');
select throws_ok(format('update app.profiles set user_id = %L where user_id = %L', pg_temp.fx('bea'), pg_temp.fx('ann')),
                 '42501', null, 'a student cannot take over another user id');
select throws_ok(format('insert into app.profiles (user_id, institution_id) values (%L, %L)',
                        gen_random_uuid(), '00000000-0000-4000-8000-00000000000a'),
                 '42501', null, 'a student cannot insert profiles');
select throws_ok(format('delete from app.profiles where user_id = %L', pg_temp.fx('ann')),
                 '42501', null, 'a student cannot delete profiles');

select lives_ok(format('update api.profiles set first_name = %L, bio = %L where user_id = %L', 'Annie', 'Hi', pg_temp.fx('ann')),
                'a student updates their own first name through api.profiles');
select lives_ok(format('update app.profiles set last_name = %L where user_id = %L', 'North', pg_temp.fx('ann')),
                'and their last name in app.profiles');
select lives_ok(format('update api.profiles set first_name = %L where user_id in (%L, %L)', 'Hacked', pg_temp.fx('bea'), pg_temp.fx('sam')),
                'updating other people''s profiles is not an error ...');
select throws_ok(format('update api.profiles set picture_url = %L where user_id = %L', 'javascript:alert(1)', pg_temp.fx('ann')),
                 '23514', null, 'a picture URL must be http(s)');
reset role;

select results_eq(format('select first_name, last_name, bio from app.profiles where user_id = %L', pg_temp.fx('ann')),
                  $$values ('Annie', 'North', 'Hi')$$, 'the student''s own changes are stored');
select results_eq(format('select first_name from app.profiles where user_id in (%L, %L) order by first_name',
                         pg_temp.fx('bea'), pg_temp.fx('sam')),
                  array['Bea', 'Sam'], '... but changes 0 rows');

select pg_temp.act_as('eve', 'educator', '00000000-0000-4000-8000-00000000000a');
set local role educator;
select results_eq($$select user_id from api.profiles$$, array[pg_temp.fx('eve')],
                  'an educator (sharing no course yet) sees only their own profile');
reset role;

select is(set_config('fx.north_profiles', string_agg(user_id::text, ','), true) is not null and count(*) = 5, true,
          'North has five profiles (ann, bea, eve, ada, cat)')
  from app.profiles where institution_id = '00000000-0000-4000-8000-00000000000a';
select pg_temp.act_as('ada', 'admin', '00000000-0000-4000-8000-00000000000a');
set local role admin;
select set_eq($$select user_id from api.profiles$$,
              string_to_array(current_setting('fx.north_profiles'), ',')::uuid[],
              'a North admin sees every North profile');
select is_empty(format('select from api.profiles where institution_id = %L', '00000000-0000-4000-8000-00000000000b'),
                'and none of South''s');
select throws_ok(format('update app.profiles set role = %L where user_id = %L', 'admin', pg_temp.fx('ann')),
                 '42501', null, 'an admin cannot change roles through the table (api.admin_set_role does it)');
select lives_ok(format('update app.profiles set first_name = %L where user_id = %L', 'Changed', pg_temp.fx('bea')),
                'an admin updating a student''s profile directly ...');
reset role;
select is((select first_name from app.profiles where user_id = pg_temp.fx('bea')), 'Bea', '... changes nothing');

select pg_temp.act_as('sid', 'admin', '00000000-0000-4000-8000-00000000000b');
set local role admin;
select set_eq($$select user_id from api.profiles$$, array[pg_temp.fx('sam'), pg_temp.fx('sid')],
              'a South admin sees exactly South''s profiles');
select lives_ok($$update app.institutions set name = 'South Academy of Arts', self_signup = true$$,
                'a South admin edits institutions ...');
select throws_ok($$update app.institutions set slug = 'taken'$$, '42501', null, 'but not their slug');
reset role;
select results_eq($$select slug, name from app.institutions where slug in ('north', 'south') order by slug$$,
                  $$values ('north', 'North College'), ('south', 'South Academy of Arts')$$,
                  '... which changes their own institution only');

-- A token naming another institution than the profile's gets that institution's admin view at most;
-- a forged institution claim is the API's to refuse, so here: no institution, no rows.
select pg_temp.claims(jsonb_build_object('sub', pg_temp.fx('ada'), 'role', 'admin'));
set local role admin;
select results_eq($$select user_id from api.profiles$$, array[pg_temp.fx('ada')],
                  'an admin token without an institution sees only its own profile');
reset role;

select pg_temp.claims('{"role":"service_role"}');
set local role service_role;
select ok((select count(*) from api.profiles) >= 7, 'service_role sees profiles of every institution');
select throws_ok(format('update app.profiles set role = %L where user_id = %L', 'admin', pg_temp.fx('ann')),
                 '42501', null, 'service_role cannot update profiles directly');
reset role;

-- 6. The reusable lints hold with the identity module in.
select is_empty('select * from util.lint_tables_without_rls()', 'every identity table has row-level security enabled');
select is_empty('select * from util.lint_definer_functions_without_search_path()',
                'every security definer function pins search_path');

select * from finish();
