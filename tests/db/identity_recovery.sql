-- Recovery (the same answer whether the address exists or not), one-time tokens (single use,
-- expiring, bound to their address and type) and a user changing their own account.
select plan(49);

update auth.settings set bcrypt_cost = 4;
insert into app.institutions (id, slug, name, email_domains, self_signup) values
  ('00000000-0000-4000-8000-00000000000a', 'north', 'North College', '{north.edu}', true);

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
create function pg_temp.mails(p_to text, p_topic text) returns integer language sql stable
  as $$ select count(*)::integer from app.outbox where topic = p_topic and payload ->> 'to' = p_to $$;
create function pg_temp.mailed_token(p_to text, p_topic text) returns text language sql stable
  as $$ select payload ->> 'token' from app.outbox where topic = p_topic and payload ->> 'to' = p_to order by id desc limit 1 $$;
create function pg_temp.uid(p_email text) returns uuid language sql stable
  as $$ select id from auth.users where email = p_email $$;

-- ann: signed up and confirmed; bea: signed up, never confirmed.
select null::void from auth.sign_up('ann@north.edu', 'Passw0rd!', '{"first_name":"Ann","theme":"dark","lang":"en"}', null, null, null);
select null::void from auth.sign_up('bea@north.edu', 'Passw0rd!', null, null, null, null);
select null::void from auth.verify_one_time_token('signup', pg_temp.mailed_token('ann@north.edu', 'mail.confirm_signup'),
                                                   'ann@north.edu', null, null);

-- 1. Recover: the same (void) answer for any address; only a real one writes a mail, at most once a while.
select is(pg_typeof(auth.recover('nobody@north.edu'))::text, 'void', 'recover answers void for an unknown address');
select is(pg_typeof(auth.recover(' Ann@North.edu '))::text, 'void', 'and void for a known one');
select is_empty($$select from app.outbox where payload ->> 'to' = 'nobody@north.edu'$$, 'nothing is mailed to an unknown address');
select is(pg_temp.mails('ann@north.edu', 'mail.reset_password'), 1, 'one reset mail to the known address');
select ok((select payload ? 'token' and payload ->> 'user_id' = pg_temp.uid('ann@north.edu')::text
             from app.outbox where topic = 'mail.reset_password'), 'the mail carries the token and the user');
select isnt((select recovery_sent_at from auth.users where email = 'ann@north.edu'), null, 'recovery_sent_at is set');
select lives_ok($$select auth.recover('ann@north.edu')$$, 'a second request within mail_resend_interval ...');
select is(pg_temp.mails('ann@north.edu', 'mail.reset_password'), 1, '... mails nothing');
select is((select count(*)::int from auth.one_time_tokens where user_id = pg_temp.uid('ann@north.edu') and token_type = 'recovery'), 1,
          'and issues no token');
select is(pg_temp.failure($$select auth.recover('not an address')$$), 'PT400 email_address_invalid',
          'a malformed address is refused (whoever asks)');

-- 2. The recovery token: single use, bound to its address, expiring.
select null::void from set_config('fx.recovery', pg_temp.mailed_token('ann@north.edu', 'mail.reset_password'), true);
select is_empty($$select from auth.one_time_tokens where token_hash = convert_to(current_setting('fx.recovery'), 'UTF8')$$,
                'one-time tokens are stored as digests only');
select is(auth.verify_one_time_token('recovery', current_setting('fx.recovery'), 'bea@north.edu', null, null),
          '{"outcome": "invalid"}', 'with another user''s address: invalid');
select is(auth.verify_one_time_token('signup', current_setting('fx.recovery'), 'ann@north.edu', null, null),
          '{"outcome": "invalid"}', 'as another type of token: invalid');
select is(pg_temp.failure(format('select auth.verify_one_time_token(%L, %L, null, null, null)', 'magiclink', current_setting('fx.recovery'))),
          'PT400 validation_failed', 'an unsupported type is refused');
select is(auth.verify_one_time_token('recovery', 'x' || current_setting('fx.recovery'), 'ann@north.edu', null, null),
          '{"outcome": "invalid"}', 'a wrong token: invalid');
create temp table answers (name text primary key, answer jsonb);
insert into answers values ('recovered', auth.verify_one_time_token('recovery', current_setting('fx.recovery'), ' ANN@north.edu', null, 'pgTAP'));
select is((select answer ->> 'outcome' from answers where name = 'recovered'), 'ok', 'the right token and address: ok');
select is((select answer ->> 'method' from answers where name = 'recovered'), 'recovery', 'as a recovery');
select ok(exists (select from auth.sessions where id = (select (answer ->> 'session_id')::uuid from answers where name = 'recovered')
                                            and user_id = pg_temp.uid('ann@north.edu')),
          'with a session for the user');
select is(auth.verify_one_time_token('recovery', current_setting('fx.recovery'), 'ann@north.edu', null, null),
          '{"outcome": "invalid"}', 'used a second time: invalid');

update auth.users set recovery_sent_at = now() - interval '2 minutes' where email = 'ann@north.edu';
select null::void from auth.recover('ann@north.edu');
select is(pg_temp.mails('ann@north.edu', 'mail.reset_password'), 2, 'after mail_resend_interval a new reset mail goes out');
update auth.one_time_tokens set created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'
 where token_hash = auth.digest(pg_temp.mailed_token('ann@north.edu', 'mail.reset_password'));
select is(auth.verify_one_time_token('recovery', pg_temp.mailed_token('ann@north.edu', 'mail.reset_password'), 'ann@north.edu', null, null),
          '{"outcome": "invalid"}', 'an expired token: invalid');

-- Following a recovery link proves the address of an unconfirmed account.
select null::void from auth.recover('bea@north.edu');
select is(auth.verify_one_time_token('recovery', pg_temp.mailed_token('bea@north.edu', 'mail.reset_password'), null, null, null) ->> 'outcome',
          'ok', 'bea recovers (the token alone suffices)');
select isnt((select email_confirmed_at from auth.users where email = 'bea@north.edu'), null, 'and her address is confirmed');

-- A banned user gets no reset mail.
update auth.users set banned_until = now() + interval '1 day', recovery_sent_at = null where email = 'bea@north.edu';
select null::void from auth.recover('bea@north.edu');
select is(pg_temp.mails('bea@north.edu', 'mail.reset_password'), 1, 'a banned user gets no reset mail');
update auth.users set banned_until = null where email = 'bea@north.edu';

-- 3. Changing one's password.
select is(pg_temp.failure(format('select auth.update_user(%L, null, %L, null)', pg_temp.uid('ann@north.edu'), 'Passw0rd!')),
          'PT422 same_password', 'the same password again is refused');
select is(pg_temp.failure(format('select auth.update_user(%L, null, %L, null)', pg_temp.uid('ann@north.edu'), 'short')),
          'PT422 weak_password', 'a weak password is refused');
select is(pg_temp.failure(format('select auth.update_user(%L, null, %L, null)', gen_random_uuid(), 'N3w-password')),
          'PT404 user_not_found', 'an unknown user id is refused');
select is(auth.update_user(pg_temp.uid('ann@north.edu'), null, 'N3w-password', null) ->> 'email', 'ann@north.edu',
          'a new password is taken; the answer is the user document');
select is(pg_temp.mails('ann@north.edu', 'mail.password_changed'), 1, 'and a "your password changed" mail is written');
select is(auth.sign_in_password('ann@north.edu', 'N3w-password', null, null) ->> 'outcome', 'ok', 'the new password signs in');
select is(auth.sign_in_password('ann@north.edu', 'Passw0rd!', null, null), '{"outcome": "invalid_credentials"}',
          'the old one does not');

-- 4. Changing one's e-mail: a token to the new address; the change applies when it is verified.
select is(pg_temp.failure(format('select auth.update_user(%L, %L, null, null)', pg_temp.uid('ann@north.edu'), 'bea@north.edu')),
          'PT422 email_exists', 'another user''s address is refused');
select is(pg_temp.failure(format('select auth.update_user(%L, %L, null, null)', pg_temp.uid('ann@north.edu'), 'ann@')),
          'PT400 email_address_invalid', 'a malformed address is refused');
select is(auth.update_user(pg_temp.uid('ann@north.edu'), ' Ann.Smith@North.edu', null, null) ->> 'new_email', 'ann.smith@north.edu',
          'the new address waits for confirmation');
select is((select email from auth.users where id = pg_temp.uid('ann@north.edu')), 'ann@north.edu', 'the address is unchanged so far');
select is(pg_temp.mails('ann.smith@north.edu', 'mail.email_change'), 1, 'a confirmation mail goes to the new address');
select is(auth.verify_one_time_token('email_change', pg_temp.mailed_token('ann.smith@north.edu', 'mail.email_change'),
                                     'ann@north.edu', null, null),
          '{"outcome": "invalid"}', 'verified with the old address: invalid');
select is(auth.verify_one_time_token('email_change', pg_temp.mailed_token('ann.smith@north.edu', 'mail.email_change'),
                                     'ann.smith@north.edu', null, null) ->> 'outcome',
          'ok', 'verified with the new address: ok');
select results_eq($$select email, email_change from auth.users where id = pg_temp.uid('ann.smith@north.edu')$$,
                  $$values ('ann.smith@north.edu', null::text)$$, 'the address has changed');
select is(auth.sign_in_password('ann.smith@north.edu', 'N3w-password', null, null) ->> 'outcome', 'ok', 'and signs in');

-- An e-mail change superseded by a later one cannot be applied.
select null::void from auth.update_user(pg_temp.uid('bea@north.edu'), 'bea.one@north.edu', null, null);
select null::void from set_config('fx.first_change', pg_temp.mailed_token('bea.one@north.edu', 'mail.email_change'), true);
select null::void from auth.update_user(pg_temp.uid('bea@north.edu'), 'bea.two@north.edu', null, null);
select is(auth.verify_one_time_token('email_change', current_setting('fx.first_change'), null, null, null),
          '{"outcome": "invalid"}', 'the token of a superseded e-mail change is invalid');
select is((select email from auth.users where id = pg_temp.uid('bea@north.edu')), 'bea@north.edu', 'and changed nothing');
select null::void from auth.sign_up('bea.two@north.edu', 'Passw0rd!', null, null, null, null);
select is(pg_temp.failure(format('select auth.verify_one_time_token(%L, %L, null, null, null)', 'email_change',
                                 pg_temp.mailed_token('bea.two@north.edu', 'mail.email_change'))),
          'PT422 email_exists', 'an address registered by somebody else in the meantime cannot be taken');

-- 5. user_metadata: merged; a key set to null is removed; role and institution stay out of reach.
select is(auth.update_user(pg_temp.uid('ann.smith@north.edu'), null, null, '{"theme": null, "lang": "fr", "pronouns": "she"}')
            -> 'user_metadata',
          '{"first_name": "Ann", "lang": "fr", "pronouns": "she"}'::jsonb, 'metadata is merged and null removes a key');
select is(pg_temp.failure(format('select auth.update_user(%L, null, null, %L)', pg_temp.uid('ann.smith@north.edu'), '"text"')),
          'PT422 validation_failed', 'metadata must be an object');
select is(pg_temp.failure(format('select auth.update_user(%L, null, null, %L)', pg_temp.uid('ann.smith@north.edu'),
                                 jsonb_build_object('bio', repeat('x', 17000)))),
          'PT422 validation_failed', 'oversized metadata is refused with a clear error');
select null::void from auth.update_user(pg_temp.uid('ann.smith@north.edu'), null, null,
                                        '{"role": "admin", "institution_id": "00000000-0000-4000-8000-00000000000b"}');
select results_eq($$select role::text, institution_id from app.profiles where user_id = pg_temp.uid('ann.smith@north.edu')$$,
                  $$values ('student', '00000000-0000-4000-8000-00000000000a'::uuid)$$,
                  'role and institution in user_metadata change nothing');
select is((select app_metadata from auth.users where id = pg_temp.uid('ann.smith@north.edu')), '{}'::jsonb,
          'and app_metadata stays empty');
select is(auth.user_document(pg_temp.uid('ann.smith@north.edu')) #>> '{app_metadata,role}', 'student',
          'the user document (hence the next token) still says student');

select * from finish();
