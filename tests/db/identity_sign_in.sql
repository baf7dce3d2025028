-- Sign-up and password sign-in: e-mail normalisation and validation, the password policy, bcrypt,
-- institutions that allow self sign-up, no self-promotion, faux answers for registered addresses,
-- confirmation, failures recorded for known and unknown addresses alike, lockout, bans.
select plan(80);

update auth.settings set bcrypt_cost = 4;
insert into app.institutions (id, slug, name, email_domains, self_signup) values
  ('00000000-0000-4000-8000-00000000000a', 'north', 'North College', '{north.edu}', true),
  ('00000000-0000-4000-8000-00000000000b', 'south', 'South Academy', '{south.edu}', false);

-- The SQLSTATE and detail (and hint, when asked) a statement fails with ('no error' when it does not).
create function pg_temp.failure(p_query text, p_with_hint boolean default false) returns text language plpgsql as $$
declare
  state text;
  detail text;
  hint text;
begin
  execute p_query;
  return 'no error';
exception when others then
  get stacked diagnostics state = returned_sqlstate, detail = pg_exception_detail, hint = pg_exception_hint;
  return concat_ws(' ', state, nullif(detail, ''), case when p_with_hint then '(' || nullif(hint, '') || ')' end);
end
$$;
create function pg_temp.keys(p_document jsonb) returns text[] language sql immutable
  as $$ select array(select jsonb_object_keys(p_document) order by 1) $$;
create function pg_temp.mailed_token(p_to text, p_topic text) returns text language sql stable
  as $$ select payload ->> 'token' from app.outbox where topic = p_topic and payload ->> 'to' = p_to order by id desc limit 1 $$;
create function pg_temp.failures(p_email text) returns integer language sql stable
  as $$ select count(*)::integer from auth.sign_in_failures where email = p_email $$;
create temp table answers (name text primary key, answer jsonb);

-- 1. Sign-up: the address is normalised and validated, the password checked and hashed.
insert into answers values
  ('ann', auth.sign_up(' Ann@North.EDU ', 'Passw0rd!', '{"first_name":"Ann"}', null, '10.0.0.1', 'pgTAP'));
select is((select answer #>> '{user,email}' from answers where name = 'ann'), 'ann@north.edu',
          'the e-mail is trimmed and lower-cased');
select is((select count(*)::int from auth.users where email = 'ann@north.edu'), 1, 'and stored that way');
select is((select institution_id from app.profiles where user_id = (select id from auth.users where email = 'ann@north.edu')),
          '00000000-0000-4000-8000-00000000000a'::uuid, 'the e-mail domain picks the institution');
select is((select first_name from app.profiles p join auth.users u on u.id = p.user_id where u.email = 'ann@north.edu'),
          'Ann', 'the first name comes from the sign-up data');
select is((select answer -> 'user' ->> 'role' from answers where name = 'ann'), 'student', 'a sign-up makes a student');
select ok((select not (answer ? 'refresh_token') and not (answer ? 'session_id') from answers where name = 'ann'),
          'without autoconfirm a sign-up starts no session');

select matches((select encrypted_password from auth.users where email = 'ann@north.edu'), '^\$2[ab]\$04\$.{53}$',
               'the password is stored as a bcrypt hash at the configured cost');
select ok((select encrypted_password = public.crypt('Passw0rd!', encrypted_password) and position('Passw0rd!' in encrypted_password) = 0
             from auth.users where email = 'ann@north.edu'), 'the hash verifies the password and does not contain it');

select is(pg_temp.failure(format('select auth.sign_up(%L, %L, null, null, null, null)', e, 'Passw0rd!')),
          'PT400 email_address_invalid', format('malformed e-mail %L is refused', e))
  from unnest(array['not-an-email', 'ann@north', '@north.edu', 'ann@@north.edu', 'ann smith@north.edu',
                    repeat('a', 250) || '@north.edu']) e;
select is(pg_temp.failure($$select auth.sign_up('  ', 'Passw0rd!', null, null, null, null)$$),
          'PT400 validation_failed', 'a blank e-mail is refused');

select is(pg_temp.failure(format('select auth.sign_up(%L, %L, null, null, null, null)', 'pw@north.edu', pw), true),
          expected, format('password %s is refused', why))
  from (values ('short1', 'PT422 weak_password (length)', 'too short'),
               ('passwordonly', 'PT422 weak_password (numbers)', 'without a digit'),
               ('12345678', 'PT422 weak_password (letters)', 'without a letter'),
               (null, 'PT422 weak_password (length)', 'missing'),
               (repeat('a1', 36) || 'b', 'PT422 validation_failed', 'longer than 72 bytes'),
               (repeat('é', 36) || '1', 'PT422 validation_failed', 'of 37 characters but 73 bytes')) as t(pw, expected, why);
select is(pg_temp.failure(format('select auth.sign_up(%L, %L, null, null, null, null)', 'pw@north.edu', repeat('a1', 36))),
          'no error', 'a password of exactly 72 bytes is fine');
select is(pg_temp.failure($$select auth.sign_up('big@north.edu', 'Passw0rd!', jsonb_build_object('bio', repeat('x', 17000)), null, null, null)$$),
          'PT422 validation_failed', 'oversized sign-up data is refused');
select is(pg_temp.failure($$select auth.sign_up('arr@north.edu', 'Passw0rd!', '[1, 2]', null, null, null)$$),
          'PT422 validation_failed', 'sign-up data must be an object');

-- 2. Institutions: only those with self_signup, by slug or by e-mail domain.
select is(pg_temp.failure($$select auth.sign_up('sam@south.edu', 'Passw0rd!', null, 'south', null, null)$$),
          'PT422 signup_disabled', 'no sign-up into an institution without self_signup (by slug)');
select is(pg_temp.failure($$select auth.sign_up('sam@south.edu', 'Passw0rd!', null, null, null, null)$$),
          'PT422 signup_disabled', 'nor by its e-mail domain');
select is(pg_temp.failure($$select auth.sign_up('joe@gmail.com', 'Passw0rd!', null, null, null, null)$$),
          'PT422 signup_disabled', 'nor from a domain no institution owns');
select is(pg_temp.failure($$select auth.sign_up('joe@gmail.com', 'Passw0rd!', null, 'nowhere', null, null)$$),
          'PT422 signup_disabled', 'nor into an unknown institution');
select is_empty($$select from auth.users where email in ('sam@south.edu', 'joe@gmail.com')$$, 'none of those created a user');
select is(auth.sign_up('joe@gmail.com', 'Passw0rd!', null, 'north', null, null) -> 'user' -> 'app_metadata' ->> 'institution_id',
          '00000000-0000-4000-8000-00000000000a', 'naming an open institution by slug works from any domain');

-- 3. Nobody signs themselves up into admin or into another institution.
insert into answers values ('mal', auth.sign_up('mal@north.edu', 'Passw0rd!',
  '{"role": "admin", "institution_id": "00000000-0000-4000-8000-00000000000b", "app_metadata": {"role": "admin"}}',
  null, null, null));
select results_eq($$select p.role::text, p.institution_id from app.profiles p join auth.users u on u.id = p.user_id
                     where u.email = 'mal@north.edu'$$,
                  $$values ('student', '00000000-0000-4000-8000-00000000000a'::uuid)$$,
                  'sign-up data naming admin and South still makes a North student');
select is((select app_metadata from auth.users where email = 'mal@north.edu'), '{}'::jsonb,
          'nothing of the sign-up data reaches app_metadata');
select is((select answer -> 'user' -> 'app_metadata' from answers where name = 'mal'),
          '{"provider": "email", "providers": ["email"], "role": "student",
            "institution_id": "00000000-0000-4000-8000-00000000000a"}'::jsonb,
          'the user document''s app_metadata carries the real role and institution');
select is((select answer -> 'user' ->> 'role' from answers where name = 'mal'), 'student', 'and so does its role');

-- 4. A registered address gets a faux answer of the same shape, and nothing is created.
insert into answers values ('ann again', auth.sign_up('ann@north.edu', 'Other-pass1', '{"first_name":"Impostor"}', null, null, null));
select is(pg_temp.keys(a.answer), pg_temp.keys(b.answer), 'the faux answer has the keys of a real one')
  from answers a, answers b where a.name = 'ann' and b.name = 'ann again';
select is(pg_temp.keys(a.answer -> 'user'), pg_temp.keys(b.answer -> 'user'), 'its user document too')
  from answers a, answers b where a.name = 'ann' and b.name = 'ann again';
select is(pg_temp.keys(a.answer #> '{user,app_metadata}'), pg_temp.keys(b.answer #> '{user,app_metadata}'), 'and its app_metadata')
  from answers a, answers b where a.name = 'ann' and b.name = 'ann again';
select isnt(a.answer #>> '{user,id}', b.answer #>> '{user,id}', 'with another id')
  from answers a, answers b where a.name = 'ann' and b.name = 'ann again';
select is_empty($$select from auth.users where id = (select (answer #>> '{user,id}')::uuid from answers where name = 'ann again')$$,
                'an id that exists nowhere');
select is((select count(*)::int from auth.users where email = 'ann@north.edu'), 1, 'no second user');
select is((select first_name from app.profiles p join auth.users u on u.id = p.user_id where u.email = 'ann@north.edu'),
          'Ann', 'and the first user is untouched');
select ok((select encrypted_password = public.crypt('Passw0rd!', encrypted_password) from auth.users where email = 'ann@north.edu'),
          'the first password still holds');
select is((select count(*)::int from app.outbox where topic = 'mail.confirm_signup' and payload ->> 'to' = 'ann@north.edu'), 1,
          'within mail_resend_interval no second confirmation mail goes out');

-- 5. Confirmation: unconfirmed accounts cannot sign in; the mailed token confirms.
select is(auth.sign_in_password('ann@north.edu', 'Passw0rd!', null, null), '{"outcome": "email_not_confirmed"}',
          'an unconfirmed user with the right password: email_not_confirmed');
select is(auth.sign_in_password('ann@north.edu', 'wrong-Passw0rd', null, null), '{"outcome": "invalid_credentials"}',
          'with a wrong password: invalid_credentials (nothing about confirmation)');
update auth.users set confirmation_sent_at = now() - interval '2 minutes' where email = 'ann@north.edu';
select null::void from set_config('fx.first_token', pg_temp.mailed_token('ann@north.edu', 'mail.confirm_signup'), true);
select lives_ok($$select auth.sign_up('ann@north.edu', 'Passw0rd!', null, null, null, null)$$,
                'signing up again after mail_resend_interval ...');
select is((select count(*)::int from app.outbox where topic = 'mail.confirm_signup' and payload ->> 'to' = 'ann@north.edu'), 2,
          '... mails a new confirmation');
select is(auth.verify_one_time_token('signup', current_setting('fx.first_token'), 'ann@north.edu', null, null),
          '{"outcome": "invalid"}', 'which supersedes the first token');
select is(auth.verify_one_time_token('signup', pg_temp.mailed_token('ann@north.edu', 'mail.confirm_signup'), 'ann@north.edu', null, null)
            ->> 'outcome', 'ok', 'the mailed token confirms the address');
select isnt((select email_confirmed_at from auth.users where email = 'ann@north.edu'), null, 'email_confirmed_at is set');
select is((select count(*)::int from app.outbox where topic = 'mail.confirm_signup' and payload ->> 'to' = 'ann@north.edu'), 2,
          'a registered, confirmed address gets no mail on another sign-up');
select lives_ok($$select auth.sign_up('ann@north.edu', 'Passw0rd!', null, null, null, null)$$, 'even after the resend interval');

-- 6. Sign-in.
insert into answers values ('ann signed in', auth.sign_in_password(' ANN@north.edu', 'Passw0rd!', '10.0.0.2', 'pgTAP'));
select is((select answer ->> 'outcome' from answers where name = 'ann signed in'), 'ok', 'the right password signs in');
select is((select pg_temp.keys(answer) from answers where name = 'ann signed in'),
          array['outcome', 'refresh_token', 'session_id', 'user'], 'with a session, a refresh token and the user');
select ok(exists (select from auth.sessions s join auth.refresh_tokens t on t.session_id = s.id
                   where s.id = (select (answer ->> 'session_id')::uuid from answers where name = 'ann signed in')
                     and t.token_hash = auth.digest((select answer ->> 'refresh_token' from answers where name = 'ann signed in'))
                     and s.ip = '10.0.0.2'),
          'the session exists and holds the refresh token''s digest');
select isnt((select last_sign_in_at from auth.users where email = 'ann@north.edu'), null, 'last_sign_in_at is set');

select is(auth.sign_in_password('ann@north.edu', 'wrong-Passw0rd', '10.0.0.3', null), '{"outcome": "invalid_credentials"}',
          'a wrong password: invalid_credentials');
select is(pg_temp.failures('ann@north.edu'), 1, 'and a failure row');
select is(auth.sign_in_password('nobody@north.edu', 'Passw0rd!', null, null), '{"outcome": "invalid_credentials"}',
          'an unknown e-mail gets the very same answer');
select is(pg_temp.failures('nobody@north.edu'), 1, 'and a failure row too');
select is(auth.sign_in_password('ann@north.edu', 'Passw0rd!', null, null) ->> 'outcome', 'ok', 'the right password again');
select is(pg_temp.failures('ann@north.edu'), 0, 'a successful sign-in clears the failures');

-- 7. Lockout after lockout_threshold failures in lockout_window, for known and unknown addresses alike.
select is(count(*)::int, (select lockout_threshold from auth.settings), 'lockout_threshold wrong passwords, each invalid_credentials')
  from generate_series(1, (select lockout_threshold from auth.settings))
 where auth.sign_in_password('ann@north.edu', 'wrong-Passw0rd', null, null) = '{"outcome": "invalid_credentials"}';
insert into answers values ('ann locked', auth.sign_in_password('ann@north.edu', 'Passw0rd!', null, null));
select is((select answer ->> 'outcome' from answers where name = 'ann locked'), 'locked', 'then even the right password is locked out');
select ok((select (answer ->> 'retry_after')::numeric between 1 and 900 from answers where name = 'ann locked'),
          'with retry_after in seconds');
select is(count(*)::int, 4, 'an unknown address is locked out the same way')
  from generate_series(1, 4) where auth.sign_in_password('nobody@north.edu', 'x', null, null) = '{"outcome": "invalid_credentials"}';
select is(auth.sign_in_password('nobody@north.edu', 'x', null, null) - 'retry_after', '{"outcome": "locked"}', 'locked');
update auth.sign_in_failures set failed_at = now() - interval '16 minutes' where email = 'ann@north.edu';
select is(auth.sign_in_password('ann@north.edu', 'Passw0rd!', null, null) ->> 'outcome', 'ok',
          'failures older than lockout_window no longer count');

-- 8. Bans, accounts without a password, a changed bcrypt cost.
select null::void from set_config('request.jwt.claims', '{"role":"service_role"}', true);
select lives_ok(format('select api.admin_ban_user(%L, %L)', (select id from auth.users where email = 'ann@north.edu'), '24h'),
                'service_role bans ann');
select is(auth.sign_in_password('ann@north.edu', 'Passw0rd!', null, null), '{"outcome": "user_banned"}',
          'a banned user: user_banned');
select is(auth.sign_in_password('ann@north.edu', 'wrong-Passw0rd', null, null), '{"outcome": "invalid_credentials"}',
          'a banned user with a wrong password learns nothing about the ban');
select lives_ok(format('select api.admin_ban_user(%L, %L)', (select id from auth.users where email = 'ann@north.edu'), 'none'),
                'lifting the ban ...');
select is(auth.sign_in_password('ann@north.edu', 'Passw0rd!', null, null) ->> 'outcome', 'ok', '... lets ann in again');

select lives_ok($$select api.admin_create_user(email => 'nopw@north.edu', email_confirm => true,
                                                   institution_id => '00000000-0000-4000-8000-00000000000a')$$, 'an account without a password');
select is(auth.sign_in_password('nopw@north.edu', '', null, null), '{"outcome": "invalid_credentials"}',
          'cannot be signed into with an empty password');
select null::void from set_config('request.jwt.claims', '', true);

update auth.settings set bcrypt_cost = 5;
select is(auth.sign_in_password('ann@north.edu', 'Passw0rd!', null, null) ->> 'outcome', 'ok', 'after the bcrypt cost changes');
select matches((select encrypted_password from auth.users where email = 'ann@north.edu'), '^\$2[ab]\$05\$',
               'a sign-in rehashes the password at the new cost');

-- bcrypt reads only 72 bytes: a longer password sharing them is still wrong.
update auth.users set encrypted_password = public.crypt(repeat('a1', 36), public.gen_salt('bf', 4))
 where email = 'ann@north.edu';
select is(auth.sign_in_password('ann@north.edu', repeat('a1', 36) || 'tail', null, null) ->> 'outcome',
          'invalid_credentials', 'a password over 72 bytes never matches, though bcrypt would ignore its tail');
-- A hash that is not bcrypt (say, imported from elsewhere) is refused, not an error.
update auth.users set encrypted_password = 'plain:unknown-scheme' where email = 'ann@north.edu';
select lives_ok($$select auth.sign_in_password('ann@north.edu', 'Passw0rd!', null, null)$$, 'a foreign hash does not raise');
select is(auth.sign_in_password('ann@north.edu', 'Passw0rd!', null, null) ->> 'outcome', 'invalid_credentials',
          '... and does not let anybody in');

select * from finish();
