"""Storage: the library's database (SQLite or PostgreSQL), its migrations, queries and jobs."""
