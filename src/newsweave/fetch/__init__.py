"""Following feeds and pages: safe HTTP fetching, feed reading, and the fetch run."""
