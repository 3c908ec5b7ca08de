"""Residents' rights and data hygiene: erasure, retention purge, export, key rotation."""
