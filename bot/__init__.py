"""Aiguillage: a chat-bot and SMS gateway that points residents to digital help."""

__version__ = "0.1.0"
