"""The stages run in order: files to a brief, feeds into the library, workers, backfill."""
