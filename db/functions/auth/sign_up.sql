-- Sign-up: a student account in an institution that allows self sign-up, a verification mail in
-- the outbox (or an immediate session when auth.settings.autoconfirm), and faux data for an address
-- that is already registered, so the answer does not reveal which addresses exist.
-- requires: identity

create or replace function auth.sign_up(
  p_email text, p_password text, p_user_metadata jsonb, p_institution text, p_ip inet, p_user_agent text
) returns jsonb
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  address text := auth.normalize_email(p_email);
  metadata jsonb := coalesce(p_user_metadata, '{}');
  rules auth.settings := (select s from auth.settings s);
  institution uuid;
  existing auth.users;
  new_user auth.users;
  faux_user auth.users;
  faux_profile app.profiles;
  token text;
begin
  if jsonb_typeof(metadata) <> 'object' or length(metadata::text) > 16384 then
    raise exception using errcode = 'PT422', detail = 'validation_failed',
      message = 'User metadata must be a JSON object of at most 16 KiB.';
  end if;
  perform auth.check_password(p_password);
  institution := auth.resolve_institution(address, p_institution);

  select * into existing from auth.users u where u.email = address for update;
  if found then
    if rules.autoconfirm then
      raise exception using errcode = 'PT422', detail = 'user_already_exists', message = 'User already registered';
    end if;
    perform public.crypt(p_password, public.gen_salt('bf', rules.bcrypt_cost));  -- as long as a real sign-up
    if existing.email_confirmed_at is null
       and coalesce(existing.confirmation_sent_at, '-infinity') < now() - rules.mail_resend_interval then
      token := auth.issue_one_time_token(existing.id, 'confirmation', existing.email);
      update auth.users set confirmation_sent_at = now() where id = existing.id;
      perform auth.enqueue_mail('confirm_signup', existing.id, existing.email, jsonb_build_object('token', token));
    end if;
    -- Faux data: exactly what a fresh, unconfirmed sign-up returns, with an id that exists nowhere.
    faux_user := row(gen_random_uuid(), address, null, null, now(), null, null, null, null, null,
                     '{}', metadata, now(), now());
    faux_profile := row(faux_user.id, institution, 'student', '', '', '', null, false, now(), now());
    return jsonb_build_object('user', auth.user_document(faux_user, faux_profile));
  end if;

  insert into auth.users (email, encrypted_password, user_metadata, email_confirmed_at, confirmation_sent_at)
  values (address, auth.hash_password(p_password), metadata,
          case when rules.autoconfirm then now() end, case when not rules.autoconfirm then now() end)
  returning * into new_user;
  insert into app.profiles (user_id, institution_id, role, first_name, last_name)
  values (new_user.id, institution, 'student',
          left(coalesce(metadata ->> 'first_name', ''), 100), left(coalesce(metadata ->> 'last_name', ''), 100));

  if rules.autoconfirm then
    return auth.start_session(new_user.id, p_ip, p_user_agent);
  end if;
  token := auth.issue_one_time_token(new_user.id, 'confirmation', address);
  perform auth.enqueue_mail('confirm_signup', new_user.id, address, jsonb_build_object('token', token));
  return jsonb_build_object('user', auth.user_document(new_user.id));
end
$$;
comment on function auth.sign_up(text, text, jsonb, text, inet, text) is
  'Registers a student (institution by slug or e-mail domain, self_signup only). Returns {user} and, with '
  'autoconfirm, a session ({outcome, session_id, refresh_token}). Faux {user} for a registered address.';
