"""newsweave: many news reports in, one cited, conflict-aware brief per event out."""
