"""The adversarial verifier suite (issue 7 §1): a catalogue of attacks as data, one runner.

Why data: a table of cases shows at a glance what is covered and what is missing, a new attack
costs one line, and the same case runs unchanged against every way a presentation reaches the
verifier. docs/verifier.md ("Adversarial suite") lists the categories with their counts, and
``test_harness.py`` keeps that table equal to the catalogue.

Structure

* ``world.py`` — the deployment every case runs against, built once per session: two trusted
  issuers (Shanghai with an ES256 and an Ed25519 key, Suzhou), a loopback status server, the
  trust-list file, verifier accounts, credentials. ``World.ctx()`` gives each verification its
  own :class:`~tests.adversarial.world.Ctx`: a fresh nonce and a status-list path no other
  verification uses, so no cache can make one case depend on another.
* ``case.py`` — :class:`~tests.adversarial.case.Case`: ``id``, ``category``, the expected DESIGN
  §6 ``reason`` (None: a *control* that must verify — the accepted neighbour of a boundary),
  the ``build`` function ``Ctx -> presentation text``, and options: ``profile`` (``bank`` is
  verifier-bound: audience and nonce come from the verifier), ``surfaces``, ``fetch`` (whether
  the case's status list is fetched; by default only when the verification reaches the status
  step), ``prime`` (verified first and accepted: the case is a replay of it, available to the
  builder as ``ctx.primed``) and ``http`` (the service's HTTP layer answers first).
* ``builders.py`` — one-line builders: ``header(alg="none")``, ``payload(exp=...)``,
  ``kb(aud=...)``, ``issuer_bytes(transform)``, ``extra_disclosures([...])``, ... Everything is
  signed by the *trusted* issuer key through :class:`tests.hostile.HostileIssuer` (arbitrary
  header and payload bytes), so each attack reaches the check it targets.
* ``cases_*.py`` — the catalogue by theme (header, signature, holder binding, payload times and
  sizes, disclosures and profiles, strict encoding, status lists and SSRF, QR transport,
  images); ``catalogue.py`` collects them.
* ``surfaces.py`` — the pipeline (``wire.verify.check_presentation``), the service (FastAPI
  ``TestClient``, including the verifier-bound request flow; with two instances sharing Redis,
  the ``workers`` surface for replays) and the CLI (``permit verify --json`` via ``CliRunner``).
* ``netguard.py`` — an audit hook that records (and refuses) every outbound connection;
  ``conftest.py``'s ``observe`` adds the status server's request log and every log record.
* ``test_catalogue.py`` / ``test_images.py`` — the runners, parametrized with the case ids (a
  failure names the attack and the surface); :func:`tests.adversarial.test_catalogue.check`
  holds the invariants: exact code, no exception or 5xx, CLI exit status 1, ``claims == {}``,
  no connection but the case's own status list, no personal data or nonce in any answer or log.

Adding a case

Append one :class:`~tests.adversarial.case.Case` to the list of its category in a ``cases_*``
module, e.g. in ``cases_header.py``::

    Case("alg-ES256-with-bom", "alg", "unsupported_alg", header(alg="\\ufeffES256")),

The expected code comes from DESIGN §6 and docs/reason-codes.md, never from what the code
happens to answer; if they disagree, the code has a bug. Then update the count of its category
in docs/verifier.md (``test_harness.py`` says which). A new category also needs a line in
``catalogue.CATEGORIES`` and in that table.
"""
