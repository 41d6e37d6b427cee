"""Tests of :mod:`servicekit`, the service plumbing shared by the issuer, wallet and verifier."""
