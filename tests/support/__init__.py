"""Test support: one throwaway PostgreSQL cluster per run, a migrated template, cheap clones."""
