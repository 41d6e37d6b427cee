"""Wallet services: keyword-only functions that work inside the caller's transaction."""
