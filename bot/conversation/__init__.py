"""The conversation room: one resident's turn. The engine stores a message and runs its
turn: the rules in order (bot.conversation.pipeline: opt-out, limits, open ticket...),
then the route to a handler (bot.conversation.routing and the intent table of
handlers/__init__.py), then the outcome applied: dialogue state, memory of places, the
hand-off (bot.conversation.handoff) and the replies queued in the outbox rows.

May import: handlers, the store, bot.mediation (tickets), bot.public.store (counts), the
understanding, the content, and the shared modules (messages, turn, intents, metrics,
spoken). Never the gateway, the channels or aiohttp.
"""
