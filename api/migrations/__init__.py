"""Schema migrations: the sqitch plan, applied through yoyo, then the stateless objects."""
