"""Tests of the ledger against SQLite and a PostgreSQL server the tests start."""
