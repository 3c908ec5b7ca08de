"""Channel adapters. Each turns its platform's requests into `InboundMessage`s for the
core, through the `bot.backend.Backend` it is given, and delivers outbox rows through its
`bot.delivery.Sender`; none knows content, handlers, the engine or the store.

May import: bot.messages, bot.backend, bot.delivery, bot.rendering, bot.config, bot.logs,
bot.metrics, bot.outage, and the platform's client library. Nothing imports a channel module
but the registry (the server mounts them through it; the mediation reads their address
formats through it).
"""
