"""Passpro's public messages, routing names and campaign-file model, shared by every service."""
