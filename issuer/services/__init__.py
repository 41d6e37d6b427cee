"""Domain services: keyword-only functions that run inside the caller's transaction.

Routes parse and call; services check authorisation (:mod:`issuer.authz`), apply the lifecycle
(:mod:`issuer.lifecycle`), write rows and audit events, and never commit. The request session
(:mod:`issuer.api.deps`) or :func:`issuer.db.session_scope` commits once the whole unit of work
succeeded, so a state move, its transition row and its audit event are stored together or not
at all.
"""
