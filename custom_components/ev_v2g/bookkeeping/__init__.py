"""Sessions to the ledger: who may charge, the session book, its writer, prices, full cars."""
