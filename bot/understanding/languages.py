"""Which language a message is written in, when its words say it clearly: "fr", "en" or None."""

from __future__ import annotations

import re

from bot.understanding.normalise import fold

WORD = re.compile(r"[^\W\d_]+")
# Words that belong to one language only; loanwords both use ("ok", "hello", "wifi", "bye",
# "test", "internet", "a") count for neither, so "ok" or "hello" alone say nothing.
ENGLISH_WORDS = (
    "i you my me we your the an is are am was be it this that there where what how who "
    "when why which can could would should do does did don t not no need want help please "
    "thanks thank with for of to in on at from and or but print printer computer nearest "
    "near open now today tonight find get use person human someone somebody talk speak "
    "call anyone hi morning evening good bad real number free cheap card tax job office "
    "library town hall just only have has so very much lot"
)
FRENCH_WORDS = (
    "je j tu il elle on nous vous ils elles le la les l un une des de du d au aux et ou "
    "mais donc est suis es sont ai as avez ont mon ma mes ton ta tes son sa ses notre "
    "votre vos leur ce cette ces c qui que qu quoi comment pourquoi quand combien pour par "
    "avec sans dans sur chez pas ne plus bonjour bonsoir merci salut svp stp oui non aide "
    "aider besoin veux voudrais peux faire imprimer ordinateur ordi quartier mairie pres "
    "ici aujourd hui maintenant demain personne quelqu parler appeler cest jai jsui jsuis "
    "chui g ya koi pk"
)
ENGLISH = frozenset(ENGLISH_WORDS.split())
FRENCH = frozenset(FRENCH_WORDS.split())


def language_of(text: str) -> str | None:
    """ "en" or "fr" when at least two words (or one distinctive word alone) say so."""
    words = [fold(w) for w in WORD.findall(text)]
    english = sum(w in ENGLISH for w in words)
    french = sum(w in FRENCH for w in words)
    if english >= 2 and english > 2 * french:
        return "en"
    if french >= 2 and french > 2 * english:
        return "fr"
    if len(words) == 1 and (english or french):
        return "en" if english else "fr"
    return None
