"""Whole conversations played through the gateway and checked against their expectations.

`script` reads and validates a conversation file, `player` plays one conversation on a
fresh database through intake, engine, outbox and the mediators' group, `checks` judges
each turn as `shared/eval/conversations/README.md` defines it, `cli` is
`aiguillage eval-conversations`.
"""
