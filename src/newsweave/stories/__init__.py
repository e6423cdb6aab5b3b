"""Stories: syndicated copies counted once, reports grouped into one story per real-world event."""
