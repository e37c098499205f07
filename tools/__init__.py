"""Developers' tools that drive the whole stack from outside: the fault-injection run."""
