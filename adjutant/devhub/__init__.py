"""Development hub: a koji-hub-compatible XML-RPC hub for tests, benchmarks and the demo.

Not for production (use a real koji hub). Work in progress: the store (db), method registry
and dispatch with koji's marshalling and faults (rpc), sessions (sessions) and fault
injection (faults) exist; the HTTP/TLS server and the hub API are not written yet (issue 4).
"""
