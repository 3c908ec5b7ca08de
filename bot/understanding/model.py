"""What the understanding returns, and what the engine tells it about the pending question."""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.model import GazetteerEntry

# Below this confidence the engine asks one clarifying question (its menu, with what was
# understood); if the next answer is still below it, the engine hands off to a mediator.
CLARIFY_BELOW: float = 0.5


@dataclass(frozen=True)
class Near:
    """A place named in the message: `text` exactly as written, and its gazetteer entry if any."""

    text: str
    entry: GazetteerEntry | None


@dataclass(frozen=True)
class Understood:
    """The intent and slots of one message, with how sure the understanding is."""

    intent: str
    topic: str | None
    near: Near | None
    service: str | None
    open_now: bool
    confidence: float
    # the kind of distress: "medical", "violence", "suicide", "child", "eviction", "homeless";
    # the engine answers its numbers (15 / 112, 17, 3114, 119, 115) and hands off
    emergency: str | None = None
    privacy_action: str | None = None  # "stop" | "start" | "forget" | None
    answer: str | None = None  # "yes" | "no" when the message answers a pending yes/no
    menu_choice: str | None = None  # the value picked from the last menu ("1" -> its value)
    scam: bool = False  # tells of (or forwards) a message asking for codes, a payment, a link
    social: str | None = None  # "thanks" | "bye" | "bot_question" | "hello", alone
    language: str | None = None  # "fr" | "en" when the words say it clearly
    place: Near | None = None  # a place named whatever the intent ("bonjour, j'habite à X")
    file_status: bool = False  # asks about the state of a personal file (the bot sees none)


@dataclass(frozen=True)
class Pending:
    """The question the bot asked last: a numbered menu, "where?", or a yes/no question."""

    kind: str  # "menu" | "where" | "yes_no"
    options: tuple[str, ...] = ()  # menu values in order (for "menu")
    place: bool = False  # a dialogue about places is open: a place named in a follow-up counts
