"""Understanding residents' messages: intent, slots and confidence, from content/langue data."""

from bot.understanding.model import CLARIFY_BELOW, Near, Pending, Understood
from bot.understanding.understander import Understander

__all__ = ["CLARIFY_BELOW", "Near", "Pending", "Understood", "Understander"]
