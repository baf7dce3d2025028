-- User administration (api.admin_*), called as the admin role with an admin's claims: an admin acts
-- inside their own institution only, cannot demote, ban or delete themselves, and cannot set role
-- or institution through app_metadata; service_role acts anywhere.
select plan(63);

update auth.settings set bcrypt_cost = 4;
insert into app.institutions (id, slug, name, email_domains, self_signup) values
  ('00000000-0000-4000-8000-00000000000a', 'north', 'North College', '{north.edu}', true),
  ('00000000-0000-4000-8000-00000000000b', 'south', 'South Academy', '{south.edu}', false);

create function pg_temp.fx(p_name text) returns uuid language sql stable
  as $$ select current_setting('fx.' || p_name)::uuid $$;
grant execute on function pg_temp.fx(text) to public;
create function pg_temp.claims(p_claims jsonb) returns void language sql
  as $$ select null::void from set_config('request.jwt.claims', coalesce(p_claims::text, ''), true) $$;
create function pg_temp.act_as(p_name text, p_role text, p_institution uuid) returns void language sql
  as $$ select pg_temp.claims(jsonb_build_object('sub', pg_temp.fx(p_name), 'role', p_role,
          'app_metadata', jsonb_build_object('institution_id', p_institution, 'role', p_role))) $$;
-- The SQLSTATE and detail a statement fails with ('no error' when it does not); callable by any role.
create function pg_temp.failure(p_query text) returns text language plpgsql as $$
declare
  state text;
  detail text;
begin
  execute p_query;
  return 'no error';
exception when others then
  get stacked diagnostics state = returned_sqlstate, detail = pg_exception_detail;
  return concat_ws(' ', state, nullif(detail, ''));
end
$$;
grant execute on function pg_temp.failure(text) to public;

do $$
begin
  perform set_config('fx.ann', auth.sign_up('ann@north.edu', 'Passw0rd!', '{"first_name":"Ann"}', null, null, null) #>> '{user,id}', true);
  perform set_config('fx.bea', auth.sign_up('bea@north.edu', 'Passw0rd!', null, null, null, null) #>> '{user,id}', true);
  perform pg_temp.claims('{"role":"service_role"}');
  perform set_config('fx.ada', api.admin_create_user(email => 'ada@north.edu', password => 'Passw0rd!', role => 'admin',
    email_confirm => true, institution_id => '00000000-0000-4000-8000-00000000000a') ->> 'id', true);
  perform set_config('fx.sam', api.admin_create_user(email => 'sam@south.edu', password => 'Passw0rd!',
    email_confirm => true, institution_id => '00000000-0000-4000-8000-00000000000b') ->> 'id', true);
  perform set_config('fx.sid', api.admin_create_user(email => 'sid@south.edu', password => 'Passw0rd!', role => 'admin',
    email_confirm => true, institution_id => '00000000-0000-4000-8000-00000000000b') ->> 'id', true);
  perform pg_temp.claims(null);
  perform auth.verify_one_time_token('signup', (select payload ->> 'token' from app.outbox
                                                 where payload ->> 'to' = 'ann@north.edu'), null, null, null);
end
$$;

-- 1. An admin of North: lists, reads and changes North's users only.
select pg_temp.act_as('ada', 'admin', '00000000-0000-4000-8000-00000000000a');
set local role admin;
create temp table listed as select api.admin_list_users() as answer;
select is((select (answer ->> 'total')::int from listed), 3, 'a North admin counts North''s three users');
select is((select jsonb_array_length(answer -> 'users') from listed), 3, 'and lists all of them');
select is((select array_agg(u ->> 'email' order by u ->> 'email') from listed, jsonb_array_elements(answer -> 'users') u),
          array['ada@north.edu', 'ann@north.edu', 'bea@north.edu'], 'and nobody from South');
select is((select answer ->> 'aud' from listed), 'authenticated', 'in GoTrue''s shape');
select is(jsonb_array_length(api.admin_list_users(page => 2, per_page => 2) -> 'users'), 1, 'paged: the second page of two holds one');
select is((api.admin_list_users(page => 2, per_page => 2) ->> 'total')::int, 3, 'with the same total');
select is(jsonb_array_length(api.admin_list_users(page => -5, per_page => 100000) -> 'users'), 3, 'nonsense paging is clamped');

select is(api.admin_get_user(pg_temp.fx('ann')) ->> 'email', 'ann@north.edu', 'gets a North user');
select is(pg_temp.failure(q), 'PT404 user_not_found', 'cannot reach a South user: ' || q)
  from unnest(array[
    format('select api.admin_get_user(%L)', pg_temp.fx('sam')),
    format('select api.admin_update_user(%L, %L)', pg_temp.fx('sam'), '{"user_metadata": {"x": 1}}'),
    format('select api.admin_set_role(%L, %L)', pg_temp.fx('sam'), 'admin'),
    format('select api.admin_ban_user(%L, %L)', pg_temp.fx('sam'), '24h'),
    format('select api.admin_delete_user(%L)', pg_temp.fx('sam'))]) q;
select is(pg_temp.failure(format('select api.admin_get_user(%L)', gen_random_uuid())), 'PT404 user_not_found',
          'a South user looks exactly like a missing one');
select is(pg_temp.failure($$select api.admin_create_user(email => 'new@south.edu', password => 'Passw0rd!',
                                                          institution_id => '00000000-0000-4000-8000-00000000000b')$$),
          '42501 not_admin', 'cannot create a user in South');

-- Creating in one's own institution; app_metadata cannot name the role or the institution.
create temp table created as
  select api.admin_create_user(email => ' Ed@North.edu', password => 'Passw0rd!', role => 'educator', email_confirm => true,
                               user_metadata => '{"first_name": "Ed"}',
                               app_metadata => '{"role": "admin", "institution_id": "00000000-0000-4000-8000-00000000000b", "plan": "pro"}')
    as answer;
select is((select answer ->> 'email' from created), 'ed@north.edu', 'creates a user in North (address normalised)');
select is((select answer ->> 'role' from created), 'educator', 'with the role asked for');
select is((select (answer -> 'app_metadata') - 'provider' - 'providers' from created),
          '{"role": "educator", "institution_id": "00000000-0000-4000-8000-00000000000a", "plan": "pro"}'::jsonb,
          'app_metadata keeps other keys but not a role or institution of its own');
select is(pg_temp.failure($$select api.admin_create_user(email => 'ann@north.edu', password => 'Passw0rd!')$$),
          'PT422 email_exists', 'an address already registered is refused');
select is(pg_temp.failure($$select api.admin_create_user(email => 'weak@north.edu', password => 'weak')$$),
          'PT422 weak_password', 'so is a weak password');
select is(pg_temp.failure($$select api.admin_create_user(email => 'big@north.edu', user_metadata => jsonb_build_object('bio', repeat('x', 17000)))$$),
          'PT422 validation_failed', 'and oversized user_metadata');
select is(pg_temp.failure($$select api.admin_create_user(email => 'unconfirmed@north.edu')$$), 'no error',
          'a user created without email_confirm ...');
select is(pg_temp.failure($$select api.admin_create_user(email => 'nullconfirm@north.edu', email_confirm => null)$$), 'no error',
          'and one created with email_confirm null ...');
reset role;
select is((select count(*)::int from app.outbox where topic = 'mail.confirm_signup' and payload ->> 'to' = 'unconfirmed@north.edu'), 1,
          '... is sent a confirmation mail');
select is((select count(*)::int from app.outbox where topic = 'mail.confirm_signup' and payload ->> 'to' = 'nullconfirm@north.edu'), 1,
          '... as is the one with email_confirm null');
select results_eq($$select p.role::text, p.institution_id, p.first_name from app.profiles p join auth.users u on u.id = p.user_id
                     where u.email = 'ed@north.edu'$$,
                  $$values ('educator', '00000000-0000-4000-8000-00000000000a'::uuid, 'Ed')$$,
                  'the profile says educator at North');
select is((select app_metadata from auth.users where email = 'ed@north.edu'), '{"plan": "pro"}'::jsonb,
          'auth.users.app_metadata holds only the free keys');

-- Roles: set_role changes the profile and the user document (the next token).
select pg_temp.act_as('ada', 'admin', '00000000-0000-4000-8000-00000000000a');
set local role admin;
create temp table promoted as select api.admin_set_role(pg_temp.fx('ann'), 'educator') as answer;
select is((select answer ->> 'role' from promoted), 'educator', 'set_role answers the user with the new role');
select is((select answer #>> '{app_metadata,role}' from promoted), 'educator', 'in app_metadata too');
select is(pg_temp.failure(format('select api.admin_set_role(%L, %L)', pg_temp.fx('ada'), 'student')),
          'PT409 validation_failed', 'an admin cannot demote themselves');
select is(pg_temp.failure(format('select api.admin_update_user(%L, %L)', pg_temp.fx('ada'), '{"role": "educator"}')),
          'PT409 validation_failed', 'not through admin_update_user either');
select is(pg_temp.failure(format('select api.admin_ban_user(%L, %L)', pg_temp.fx('ada'), '24h')),
          'PT409 validation_failed', 'nor ban themselves');
select is(pg_temp.failure(format('select api.admin_delete_user(%L)', pg_temp.fx('ada'))),
          'PT409 validation_failed', 'nor delete themselves');
select is(api.admin_set_role(pg_temp.fx('ada'), 'admin') ->> 'role', 'admin', 'setting one''s own role to admin is a no-op');
select is(pg_temp.failure(format('select api.admin_set_role(%L, %L)', pg_temp.fx('bea'), 'superuser')), '22P02',
          'an unknown role is refused');
reset role;
select is((select role::text from app.profiles where user_id = pg_temp.fx('ann')), 'educator', 'app.profiles.role has changed');
select is(auth.user_document(pg_temp.fx('ann')) #>> '{app_metadata,role}', 'educator', 'and so has the user document');

-- admin_update_user: app_metadata cannot override role or institution; unknown attributes refused.
select pg_temp.act_as('ada', 'admin', '00000000-0000-4000-8000-00000000000a');
set local role admin;
create temp table updated as
  select api.admin_update_user(pg_temp.fx('bea'),
    '{"app_metadata": {"role": "admin", "institution_id": "00000000-0000-4000-8000-00000000000b", "tier": 2},
      "user_metadata": {"first_name": "Bea"}, "verified": true, "email_confirm": true}') as answer;
select is((select answer #>> '{app_metadata,role}' from updated), 'student', 'app_metadata cannot make anybody admin');
select is((select answer #>> '{app_metadata,institution_id}' from updated), '00000000-0000-4000-8000-00000000000a',
          'nor move them to another institution');
select is((select answer #>> '{app_metadata,tier}' from updated), '2', 'other app_metadata keys are kept');
select is((select answer #>> '{user_metadata,first_name}' from updated), 'Bea', 'user_metadata is merged');
select isnt((select answer ->> 'email_confirmed_at' from updated), null, 'email_confirm confirms the address');
select is(pg_temp.failure(format('select api.admin_update_user(%L, %L)', pg_temp.fx('bea'), '{"institution_id": "00000000-0000-4000-8000-00000000000b"}')),
          'PT422 validation_failed', 'institution_id is not an attribute');
select is(pg_temp.failure(format('select api.admin_update_user(%L, %L)', pg_temp.fx('bea'), '{"email": "ann@north.edu"}')),
          'PT422 email_exists', 'another user''s address is refused');
select is(pg_temp.failure(format('select api.admin_update_user(%L, %L)', pg_temp.fx('bea'), '{"user_metadata": "text"}')),
          'PT422 validation_failed', 'user_metadata must be an object');
select is(pg_temp.failure(format('select api.admin_update_user(%L, %L)', pg_temp.fx('bea'),
                                 jsonb_build_object('user_metadata', jsonb_build_object('bio', repeat('x', 17000))))),
          'PT422 validation_failed', 'oversized user_metadata is refused (not a check violation quoting the row)');
select is(pg_temp.failure(format('select api.admin_update_user(%L, %L)', pg_temp.fx('bea'), '{"ban_duration": "forever"}')),
          'PT400 validation_failed', 'a malformed ban_duration is refused');
reset role;
select results_eq($$select role::text, institution_id, verified from app.profiles where user_id = pg_temp.fx('bea')$$,
                  $$values ('student', '00000000-0000-4000-8000-00000000000a'::uuid, true)$$,
                  'bea is still a North student, now verified');

-- Bans and deletion inside the institution.
select null::void from auth.sign_in_password('bea@north.edu', 'Passw0rd!', null, null);
select pg_temp.act_as('ada', 'admin', '00000000-0000-4000-8000-00000000000a');
set local role admin;
select ok((api.admin_ban_user(pg_temp.fx('bea'), '24h') ->> 'banned_until')::timestamptz > now() + interval '23 hours',
          'an admin bans a North user for 24h');
reset role;
select is_empty(format('select from auth.sessions where user_id = %L', pg_temp.fx('bea')), 'which ends their sessions');
select is(auth.sign_in_password('bea@north.edu', 'Passw0rd!', null, null), '{"outcome": "user_banned"}', 'and keeps them out');
select pg_temp.act_as('ada', 'admin', '00000000-0000-4000-8000-00000000000a');
set local role admin;
select is(api.admin_ban_user(pg_temp.fx('bea'), 'none') ->> 'banned_until', null, '"none" lifts the ban');
select is(api.admin_delete_user(pg_temp.fx('bea')) ->> 'email', 'bea@north.edu', 'an admin deletes a North user');
reset role;
select is_empty(format('select from auth.users where id = %L union all select from app.profiles where user_id = %L',
                       pg_temp.fx('bea'), pg_temp.fx('bea')), 'the user and the profile are gone');

-- 2. An admin token must name an institution; the other institution's admin sees only theirs.
select pg_temp.claims(jsonb_build_object('sub', pg_temp.fx('ada'), 'role', 'admin'));
set local role admin;
select is(pg_temp.failure('select api.admin_list_users()'), '42501', 'an admin token without an institution is refused');
reset role;
select pg_temp.act_as('sid', 'admin', '00000000-0000-4000-8000-00000000000b');
set local role admin;
select is((select array_agg(u ->> 'email' order by u ->> 'email') from jsonb_array_elements(api.admin_list_users() -> 'users') u),
          array['sam@south.edu', 'sid@south.edu'], 'a South admin lists South''s users only');
select is(pg_temp.failure(format('select api.admin_set_role(%L, %L)', pg_temp.fx('ann'), 'student')), 'PT404 user_not_found',
          'and cannot change a North user''s role');
reset role;
select is((select role::text from app.profiles where user_id = pg_temp.fx('ann')), 'educator', 'which is unchanged');

-- 3. service_role acts anywhere, but must name the institution of a new user.
select pg_temp.claims('{"role":"service_role"}');
set local role service_role;
select is((api.admin_list_users() ->> 'total')::int, (select count(*)::int from app.profiles), 'service_role lists every user');
select is(api.admin_get_user(pg_temp.fx('sam')) ->> 'email', 'sam@south.edu', 'and reaches South''s');
select is(pg_temp.failure($$select api.admin_create_user(email => 'nowhere@north.edu', password => 'Passw0rd!')$$),
          'PT422 validation_failed', 'a new user needs an institution');
select is(api.admin_create_user(email => 'sue@south.edu', password => 'Passw0rd!', email_confirm => true,
                                institution_id => '00000000-0000-4000-8000-00000000000b') #>> '{app_metadata,institution_id}',
          '00000000-0000-4000-8000-00000000000b', 'service_role creates users in any institution');
select is(api.admin_set_role(pg_temp.fx('sam'), 'educator') ->> 'role', 'educator', 'and changes anybody''s role');
reset role;

select * from finish();
