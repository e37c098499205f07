"""The schools' mails and documents, on a campaign of their own.

`make test` runs this folder as a pytest session of its own, after the main end-to-end session: a fresh
stack and a fresh virtual clock. The main session's files share one clock that only moves forward, and
with these files too they would move it past the registration deadline before the last of them runs.
The fixtures are those of ``tests/e2e/conftest.py``.
"""
