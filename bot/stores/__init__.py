"""Rasa store classes named in endpoints.production.yml (lock store; see lock_store.py)."""
