-- Refresh-token rotation with reuse detection (reuse window, parent-of-active, family revocation),
-- sign-out scopes and the session check behind GET /user.
-- Note: the whole file is one transaction, so now() does not move; "within the reuse window" is
-- therefore always true until refresh_reuse_interval is set to 0.
select plan(52);

update auth.settings set bcrypt_cost = 4, autoconfirm = true;
insert into app.institutions (id, slug, name, email_domains, self_signup) values
  ('00000000-0000-4000-8000-00000000000a', 'north', 'North College', '{north.edu}', true);

-- Refresh tokens by name: tokens.<name> holds the token an answer handed out.
create temp table tokens (name text primary key, token text, answer jsonb);
create function pg_temp.refresh(p_from text, p_to text) returns jsonb language plpgsql as $$
declare
  answer jsonb := auth.refresh_session((select token from tokens where name = p_from), '10.0.0.9', 'pgTAP refresh');
begin
  if p_to is not null then
    insert into tokens values (p_to, answer ->> 'refresh_token', answer);
  end if;
  return answer - 'user' - 'refresh_token' - 'session_id';
end
$$;
create function pg_temp.failure_state(p_query text) returns text language plpgsql as $$
begin
  execute p_query;
  return 'no error';
exception when others then
  return sqlstate;
end
$$;
create function pg_temp.session_of(p_name text) returns uuid language sql stable
  as $$ select (answer ->> 'session_id')::uuid from tokens where name = p_name $$;
create function pg_temp.sign_in(p_name text) returns void language sql as $$
  insert into tokens select p_name, answer ->> 'refresh_token', answer
    from auth.sign_in_password('ann@north.edu', 'Passw0rd!', null, 'pgTAP') answer
$$;

-- ann (autoconfirm: a session at once) and bob, whose sessions must survive ann's sign-outs.
insert into tokens select 'A', answer ->> 'refresh_token', answer
  from auth.sign_up('ann@north.edu', 'Passw0rd!', null, null, '10.0.0.1', 'pgTAP') answer;
insert into tokens select 'bob', answer ->> 'refresh_token', answer
  from auth.sign_up('bob@north.edu', 'Passw0rd!', null, null, null, null) answer;
select is((select answer ->> 'outcome' from tokens where name = 'A'), 'ok', 'with autoconfirm a sign-up signs in');
select is(pg_temp.failure_state($$select auth.sign_up('ann@north.edu', 'Passw0rd!', null, null, null, null)$$), 'PT422',
          'with autoconfirm a registered address is refused (user_already_exists), as GoTrue does');
select ok((select length(token) = 44 and token ~ '^[A-Za-z0-9_-]+$' from tokens where name = 'A'),
          'a refresh token is 44 URL-safe characters');
select is_empty($$select from auth.refresh_tokens r, tokens t where t.name = 'A' and r.token_hash = convert_to(t.token, 'UTF8')$$,
                'refresh tokens are not stored as such');
select is((select count(*)::int from auth.refresh_tokens r, tokens t where t.name = 'A' and r.token_hash = auth.digest(t.token)), 1,
          'but as their SHA-256 digest');

-- 1. Rotation: A -> B; B works; the session stays the same.
select is(pg_temp.refresh('A', 'B'), '{"outcome": "ok", "decision": "rotated"}', 'A rotates to B');
select is(pg_temp.session_of('B'), pg_temp.session_of('A'), 'in the same session');
select isnt((select token from tokens where name = 'B'), (select token from tokens where name = 'A'), 'B is a new token');
select ok((select revoked from auth.refresh_tokens where token_hash = auth.digest((select token from tokens where name = 'A'))),
          'A is revoked');
select is((select parent_id from auth.refresh_tokens where token_hash = auth.digest((select token from tokens where name = 'B'))),
          (select id from auth.refresh_tokens where token_hash = auth.digest((select token from tokens where name = 'A'))),
          'B''s parent is A');
select is((select answer #>> '{user,email}' from tokens where name = 'B'), 'ann@north.edu', 'the answer carries the user');
select isnt((select refreshed_at from auth.sessions where id = pg_temp.session_of('A')), null, 'the session records the refresh');
select is((select ip from auth.sessions where id = pg_temp.session_of('A')), '10.0.0.9'::inet, 'and the latest address');

-- 2. A right away (the client lost B): A is the parent of the active token.
select is(pg_temp.refresh('A', 'A2'), '{"outcome": "ok", "decision": "active_parent"}',
          'reusing A at once is allowed: A is the parent of the active token');
select ok((select revoked from auth.refresh_tokens where token_hash = auth.digest((select token from tokens where name = 'B'))),
          'the answer replaces the active token B');
select is((select parent_id from auth.refresh_tokens where token_hash = auth.digest((select token from tokens where name = 'A2'))),
          (select id from auth.refresh_tokens where token_hash = auth.digest((select token from tokens where name = 'B'))),
          'with a child of B, so the family stays one line');
select is(pg_temp.refresh('A', 'A3'), '{"outcome": "ok", "decision": "reuse_window"}',
          'A once more (no longer the parent of the active token) falls within the reuse window');
select is(pg_temp.refresh('A3', 'C'), '{"outcome": "ok", "decision": "rotated"}', 'A3 rotates to C');
select is(pg_temp.refresh('A3', 'C2'), '{"outcome": "ok", "decision": "active_parent"}',
          'presenting the parent of the active token again: active_parent');
select is((select count(*)::int from auth.refresh_tokens where session_id = pg_temp.session_of('A')), 6,
          'every token is kept in the family (A, B, A2, A3, C, C2)');

-- 3. Past the reuse window, a revoked token that is not the parent of the active one revokes the family.
update auth.settings set refresh_reuse_interval = '0';
select is(pg_temp.refresh('A', null), '{"outcome": "already_used"}', 'A again, after the reuse window: already_used');
select is_empty(format('select from auth.sessions where id = %L', pg_temp.session_of('A')), 'the session is gone');
select is_empty(format('select from auth.refresh_tokens where session_id = %L', pg_temp.session_of('A')),
                'with every token of its family');
select is(pg_temp.refresh('C2', null), '{"outcome": "not_found"}', 'the active token C2 no longer works');
select is(pg_temp.refresh('A2', null), '{"outcome": "not_found"}', 'nor does A2');
select is(auth.session_user((select (answer #>> '{user,id}')::uuid from tokens where name = 'B'), pg_temp.session_of('B')), null,
          'and the access token''s session check fails');
select is(pg_temp.refresh('bob', 'bob2') ->> 'outcome', 'ok', 'another user''s session is untouched');

select is(auth.refresh_session('not-a-token', null, null), '{"outcome": "not_found"}', 'an unknown token: not_found');
select is(auth.refresh_session(null, null, null), '{"outcome": "not_found"}', 'no token: not_found');
select is(auth.refresh_session('', null, null), '{"outcome": "not_found"}', 'an empty token: not_found');

-- Reuse detection on a fresh session with interval 0: the parent-of-active exception still holds.
select pg_temp.sign_in('D');
select is(pg_temp.refresh('D', 'E'), '{"outcome": "ok", "decision": "rotated"}', 'D rotates to E');
select is(pg_temp.refresh('E', 'F'), '{"outcome": "ok", "decision": "rotated"}', 'E rotates to F');
select is(pg_temp.refresh('E', 'F2'), '{"outcome": "ok", "decision": "active_parent"}',
          'with no reuse window, the parent of the active token is still accepted');
select is(pg_temp.refresh('D', null), '{"outcome": "already_used"}', 'but D, two rotations back, is reuse');
select is(pg_temp.refresh('F2', null), '{"outcome": "not_found"}', 'and the family is gone');

-- A banned user cannot refresh (the ban ends the sessions).
update auth.settings set refresh_reuse_interval = '10 seconds';
select pg_temp.sign_in('G');
select null::void from set_config('request.jwt.claims', '{"role":"service_role"}', true);
select lives_ok(format('select api.admin_ban_user(%L, %L)', (select id from auth.users where email = 'ann@north.edu'), '1h'),
                'ann is banned');
select null::void from set_config('request.jwt.claims', '', true);
select is(pg_temp.refresh('G', null), '{"outcome": "not_found"}', 'her refresh tokens died with her sessions');
update auth.users set banned_until = null where email = 'ann@north.edu';

-- 4. Sign-out: local, others, global.
select pg_temp.sign_in(s) from unnest(array['S1', 'S2', 'S3']) s;
select set_eq($$select id from auth.sessions where user_id = (select id from auth.users where email = 'ann@north.edu')$$,
              $$select pg_temp.session_of(s) from unnest(array['S1', 'S2', 'S3']) s$$, 'ann has three sessions');
select isnt(auth.session_user((select (answer #>> '{user,id}')::uuid from tokens where name = 'S1'), pg_temp.session_of('S1')), null,
            'session_user finds a live session');
select is(auth.session_user((select (answer #>> '{user,id}')::uuid from tokens where name = 'bob'), pg_temp.session_of('S1')), null,
          'but not for somebody else''s user id');

select is(pg_temp.failure_state(format('select auth.sign_out(%L, %L, %L)',
            (select id from auth.users where email = 'ann@north.edu'), pg_temp.session_of('S1'), 'everything')),
          'PT400', 'an unknown scope is refused');
select lives_ok(format('select auth.sign_out(%L, %L, %L)',
                  (select id from auth.users where email = 'ann@north.edu'), pg_temp.session_of('bob2'), 'local'),
                'signing out locally with somebody else''s session id ...');
select is(pg_temp.refresh('bob2', 'bob3') ->> 'outcome', 'ok', '... ends nothing of theirs');

select lives_ok(format('select auth.sign_out(%L, %L, %L)',
                  (select id from auth.users where email = 'ann@north.edu'), pg_temp.session_of('S1'), 'others'),
                'scope others');
select set_eq($$select id from auth.sessions where user_id = (select id from auth.users where email = 'ann@north.edu')$$,
              $$select pg_temp.session_of('S1')$$, 'ends every session but this one');
select is(pg_temp.refresh('S2', null), '{"outcome": "not_found"}', 'and their refresh tokens');

select pg_temp.sign_in(s) from unnest(array['S4', 'S5']) s;
select lives_ok(format('select auth.sign_out(%L, %L, %L)',
                  (select id from auth.users where email = 'ann@north.edu'), pg_temp.session_of('S4'), 'local'),
                'scope local');
select set_eq($$select id from auth.sessions where user_id = (select id from auth.users where email = 'ann@north.edu')$$,
              $$select pg_temp.session_of(s) from unnest(array['S1', 'S5']) s$$, 'ends only this session');
select is(auth.session_user((select (answer #>> '{user,id}')::uuid from tokens where name = 'S4'), pg_temp.session_of('S4')), null,
          'session_user returns null after logout');

select lives_ok(format('select auth.sign_out(%L, %L, null)',
                  (select id from auth.users where email = 'ann@north.edu'), pg_temp.session_of('S5')),
                'scope global (the default)');
select is_empty($$select from auth.sessions where user_id = (select id from auth.users where email = 'ann@north.edu')$$,
                'ends every session of the user');
select is(pg_temp.refresh('bob3', null) ->> 'outcome', 'ok', 'and none of anybody else''s');

select * from finish();
