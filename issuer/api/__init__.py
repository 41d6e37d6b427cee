"""HTTP layer of the issuer: thin FastAPI routes over :mod:`issuer.services`.

Build the application with :func:`issuer.api.app.create_app`.
"""
