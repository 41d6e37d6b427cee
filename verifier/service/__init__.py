"""The verifier service (``permit serve verifier``): HTTP API, verifier-bound requests, page.

Build it with :func:`verifier.service.app.create_app`; see ``docs/verifier.md``.
"""
