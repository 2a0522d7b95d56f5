"""Tests of the bookkeeping: sessions to the ledger, the writer, prices, full cars."""
