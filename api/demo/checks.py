"""Set-based coherence checks run after a demo load, inside its transaction (a failure rolls it back).

The large tables are loaded with session_replication_role = replica, which also skips the foreign-key
triggers; so every foreign key of those tables is checked here in bulk (one anti-join per constraint,
read from the catalog), together with the rules the skipped triggers enforce: capacity, template usage,
JSONB validity (with the database's own validation functions), the submission workflow, version numbering.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

FOREIGN_KEYS = """
select n.nspname, r.relname, c.conname, pn.nspname, p.relname,
       array(select a.attname::text from unnest(c.conkey) with ordinality k(num, i)
               join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.num order by k.i),
       array(select a.attname::text from unnest(c.confkey) with ordinality k(num, i)
               join pg_catalog.pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.num order by k.i)
  from pg_catalog.pg_constraint c
  join pg_catalog.pg_class r on r.oid = c.conrelid join pg_catalog.pg_namespace n on n.oid = r.relnamespace
  join pg_catalog.pg_class p on p.oid = c.confrelid join pg_catalog.pg_namespace pn on pn.oid = p.relnamespace
 where c.contype = 'f' and c.conparentid = 0 and c.conrelid = any(%s::regclass[])
 order by 1, 2, 3
"""

# (what is wrong, a query counting the demo rows where it is wrong; %(demo)s = the demo institutions)
RULES = (
    ("courses whose enrolled_count is not their active enrolments, or exceeds max_students",
     """select count(*) from app.courses c where c.institution_id = any(%(demo)s)
          and (c.enrolled_count > c.max_students or c.enrolled_count <>
               (select count(*) from app.course_enrollments e where e.course_id = c.id and e.status = 'active'))"""),
    ("templates whose usage_count is not the number of assignments made from them",
     """select count(*) from app.assignment_templates t where t.institution_id = any(%(demo)s)
          and t.usage_count <> (select count(*) from app.assignments a where a.template_id = t.id)"""),
    ("assignments with invalid JSONB (app.assignment_design_problems / app.stage_due_dates_problems)",
     """select count(*) from app.assignments a where a.institution_id = any(%(demo)s)
          and cardinality(app.assignment_design_problems(a.requirements, a.writing_stages, a.learning_objectives,
                                                         a.grading_criteria)
                          || app.stage_due_dates_problems(a.stage_due_dates)) > 0"""),
    ("assignments from a template that is neither public nor of their institution",
     """select count(*) from app.assignments a join app.assignment_templates t on t.id = a.template_id
         where a.institution_id = any(%(demo)s) and not t.is_public and t.institution_id <> a.institution_id"""),
    ("assignments taught by someone other than their course's instructor",
     """select count(*) from app.assignments a join app.courses c on c.id = a.course_id
         where a.institution_id = any(%(demo)s) and a.instructor_id <> c.instructor_id"""),
    ("submissions by a student not enrolled in the assignment's course, or to a draft",
     """select count(*) from app.assignment_submissions s join app.assignments a on a.id = s.assignment_id
         where s.institution_id = any(%(demo)s)
           and (a.status = 'draft' or not exists (select from app.course_enrollments e
                                                   where e.course_id = a.course_id and e.student_id = s.author_id))"""),
    ("submissions out of the workflow (late without allow_late_submissions, graded by another, bad timestamps)",
     """select count(*) from app.assignment_submissions s join app.assignments a on a.id = s.assignment_id
          join app.courses c on c.id = a.course_id
         where s.institution_id = any(%(demo)s)
           and ((s.submitted_at > a.due_at and not a.allow_late_submissions)
                or (s.status = 'graded' and s.graded_by is distinct from c.instructor_id)
                or (s.status in ('not_started', 'in_progress') and s.submitted_at is not null)
                or s.graded_at < s.submitted_at or s.returned_at < s.submitted_at or s.submitted_at > now())"""),
    ("documents whose versions are not numbered 1..current_version or whose last version is not their text",
     """with v as (select document_id, count(*) n, min(version_number) lo, max(version_number) hi
                     from app.document_versions where institution_id = any(%(demo)s) group by document_id)
        select count(*) from app.documents d left join v on v.document_id = d.id
          left join app.document_versions last on last.document_id = d.id and last.version_number = d.current_version
         where d.institution_id = any(%(demo)s)
           and (v.n is null or v.lo <> 1 or v.hi <> v.n or d.current_version <> v.n
                or last.content <> d.content or last.word_count <> d.word_count)"""),
    ("comments whose resolution fields disagree, or replies on another submission",
     """select count(*) from app.submission_comments c left join app.submission_comments p on p.id = c.parent_id
         where c.institution_id = any(%(demo)s)
           and (c.is_resolved <> (c.resolved_at is not null)
                or (c.parent_id is not null and p.submission_id is distinct from c.submission_id))"""),
    ("notifications whose read_at disagrees with their status",
     """select count(*) from app.notifications n where n.institution_id = any(%(demo)s)
          and (n.status = 'unread') <> (n.read_at is null)"""),
)  # fmt: skip


def foreign_key_problems(conn: psycopg.Connection, tables: list[str]) -> list[str]:
    problems = []
    for schema, table, name, parent_schema, parent, columns, keys in conn.execute(FOREIGN_KEYS, [tables]).fetchall():
        child_cols = [sql.Identifier("c", column) for column in columns]
        query = sql.SQL("select count(*) from {} c where {} and not exists (select from {} p where {})").format(
            sql.Identifier(schema, table),
            sql.SQL(" and ").join(sql.SQL("{} is not null").format(col) for col in child_cols),
            sql.Identifier(parent_schema, parent),
            sql.SQL(" and ").join(
                sql.SQL("p.{} = {}").format(sql.Identifier(key), col) for key, col in zip(keys, child_cols, strict=True)
            ),
        )
        row = conn.execute(query).fetchone()
        if row and row[0]:
            problems.append(f"{schema}.{table}: {row[0]} row(s) break foreign key {name}")
    return problems


def rule_problems(conn: psycopg.Connection, institution_ids: list[str]) -> list[str]:
    problems = []
    for what, query in RULES:
        row = conn.execute(query, {"demo": institution_ids}).fetchone()
        if row and row[0]:
            problems.append(f"{row[0]} {what}")
    return problems


def problems(conn: psycopg.Connection, institution_ids: list[str], unchecked_tables: list[str]) -> list[str]:
    """Everything wrong with the demo data; empty when it is coherent."""
    return foreign_key_problems(conn, unchecked_tables) + rule_problems(conn, institution_ids)
