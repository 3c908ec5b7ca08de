"""The intents, named once. The understanding's model labels (bot.content.language.INTENTS)
must be exactly these: `aiguillage content check` and the loader say so otherwise."""

from __future__ import annotations

from enum import StrEnum


class Intent(StrEnum):
    """What a resident's message asks for (a str: stored as is in messages.intent)."""

    FIND_PLACE = "find_place"
    HOUSING_INTERNET = "housing_internet"
    FIND_MEDIATOR = "find_mediator"
    TALK_TO_HUMAN = "talk_to_human"
    GREETING = "greeting"
    PRIVACY = "privacy"
    OUT_OF_SCOPE = "out_of_scope"


# Intents that, said confidently, start a new request even in the middle of a dialogue.
NEW_REQUESTS = frozenset(
    {
        Intent.FIND_PLACE,
        Intent.HOUSING_INTERNET,
        Intent.FIND_MEDIATOR,
        Intent.TALK_TO_HUMAN,
        Intent.PRIVACY,
    }
)
# Dialogues (their handlers' names) in which a place named in a follow-up ("et à
# Saint-Marc ?") searches again.
PLACE_DIALOGUES = frozenset({"find_place", "find_mediator", "housing_internet"})
