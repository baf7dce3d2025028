-- The reusable lints hold on the whole database, and they do catch a violation.
select plan(4);

select is_empty('select * from util.lint_tables_without_rls()', 'every table has row-level security enabled');
select is_empty('select * from util.lint_definer_functions_without_search_path()',
                'every security definer function pins search_path');

create table app.lint_probe (id int);
select results_eq('select table_name from util.lint_tables_without_rls()', array['lint_probe']::name[],
                  'a table without RLS is reported');

create function app.lint_probe_definer() returns int language sql security definer as 'select 1';
select results_eq('select function_name from util.lint_definer_functions_without_search_path()',
                  array['app.lint_probe_definer()'], 'a security definer function without search_path is reported');

select * from finish();
