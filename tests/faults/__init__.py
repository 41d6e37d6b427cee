"""Fault tests (issue 7 §4): kill -9 of the issuer, an unavailable database, a status server
that is down. What each proves, and the production changes they needed: docs/faults.md."""
