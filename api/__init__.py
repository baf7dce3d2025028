"""Campus: a PostgreSQL-centric backend that speaks PostgREST's HTTP dialect."""
