"""Administration: integrations, settings and templates, as the command line and forms use them.

Every function takes a SQLAlchemy session and raises `AdminError` with a message meant for
the user; callers own the transaction.
"""


class AdminError(ValueError):
    """A refused administrative action, with a message for the user."""
