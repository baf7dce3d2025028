-- Two schools: North lets people sign up (north.edu addresses, or by slug), South does not.
-- Fast bcrypt for the tests; every other auth rule at its default.
update auth.settings set bcrypt_cost = 4;
insert into app.institutions (id, slug, name, email_domains, self_signup) values
  ('00000000-0000-4000-8000-00000000000a', 'north', 'North College', '{north.edu}', true),
  ('00000000-0000-4000-8000-00000000000b', 'south', 'South Academy', '{south.edu}', false);
