"""Rasa store classes named in endpoints.production.yml: the lock store and the tracker store."""
