"""The gateway room: what runs the service. The aiohttp server (built in one pass: core,
the channels' senders on its intake, the outbox worker), the runtime record of those parts,
the intake the channels get as their `bot.backend.Backend`, the outbox worker, the spool
kept while the database is down, the periodic upkeep, and the terminal (`aiguillage chat`).

May import every room below it: bot.conversation, bot.store, bot.mediation, bot.inbox,
bot.public, bot.channels (through their registry), and the shared modules at the top of
bot/. Nothing imports the gateway but `bot.__main__` and the conversation runner.
"""
