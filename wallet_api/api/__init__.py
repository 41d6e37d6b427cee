"""The wallet's HTTP layer: thin routes over :mod:`wallet_api.services`."""
