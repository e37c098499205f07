"""Plumbing shared by the five services: no domain words live here."""
