"""The HTTP alert listener: routes, authentication and limits. Knows nothing of Qt."""

from console.listener.server import Listener

__all__ = ["Listener"]
