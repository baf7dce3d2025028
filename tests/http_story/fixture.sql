-- The story's world: Story College lets people sign up (story.edu addresses), and a second school
-- (Other Academy) exists to show isolation. One public template with weighted grading criteria.
-- Fast bcrypt for the tests; every other auth rule at its default.
update auth.settings set bcrypt_cost = 4;
insert into app.institutions (id, slug, name, email_domains, self_signup) values
  ('00000000-0000-4000-8000-0000000000c1', 'story', 'Story College', '{story.edu}', true),
  ('00000000-0000-4000-8000-0000000000c2', 'other', 'Other Academy', '{other.edu}', false);
insert into app.assignment_templates (id, institution_id, title, description, instructions, is_public, tags,
                                      requirements, grading_criteria) values
  ('00000000-0000-4000-8000-0000000000e1', '00000000-0000-4000-8000-0000000000c2', 'Persuasive essay',
   'Argue a position with evidence and answer the strongest objection', 'Write 5 to 500 words.', true,
   '{argument,essays}', '{"minWords": 5, "maxWords": 500}',
   '[{"name": "Thesis", "maxPoints": 10, "weight": 40}, {"name": "Evidence", "maxPoints": 20, "weight": 60}]'),
  ('00000000-0000-4000-8000-0000000000e2', '00000000-0000-4000-8000-0000000000c2', 'Private lab report',
   'Report an experiment', '', false, '{science}', '{}', '[]');
