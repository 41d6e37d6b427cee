"""The holder wallet service (DESIGN §1, issue 4): accounts, OpenID4VCI receipt, presentations
per relying-party profile, live QR, the holder web page and the paper permit.

It talks to issuers only over HTTP (OpenID4VCI) and shares only ``wire`` and ``keys`` with the
other parties, plus the services' common plumbing (``servicekit``). Entry points:
:func:`wallet_api.api.app.create_app` and ``permit serve wallet``
(:func:`wallet_api.cli.serve_wallet`). See docs/wallet.md.
"""
