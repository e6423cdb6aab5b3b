"""newsweave's benchmarks: the product and its peers scored side by side on public data."""
