"""A `Reply` as text for each platform: plain text with numbered choices, GSM-7 SMS bodies
and their segments, and the platform-sized parts the outbox queues one row each.

Pure functions of `bot.messages`; imported by the channels, the store (outbox rows) and
the tools. Imports nothing else of the bot.
"""
