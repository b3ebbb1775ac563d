"""Business rules as plain Python. Nothing here imports reflex.

Each function takes a database session (and, where it matters, the acting
principal) and returns plain data or raises a ServiceError with a message fit
to show a person.
"""
