"""Mediators' side of the hand-off: accounts, tickets work, the Telegram group, figures."""
