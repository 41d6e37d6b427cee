"""Tests of the holder wallet (wallet_api)."""
