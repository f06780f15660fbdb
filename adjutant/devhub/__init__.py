"""Development hub: a koji-hub-compatible XML-RPC hub for tests, benchmarks and the demo.

Not for production (use a real koji hub). See docs/devhub.md for what it implements and
where it differs from the real hub; `adjutant devhub` runs and seeds it.
"""
