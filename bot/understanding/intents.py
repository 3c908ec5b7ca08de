"""The intent of a message, from its cues, following the boundary rules of the label guide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.understanding.cues import Hit
from bot.understanding.safety import emergency_kind, is_scam

# distress that may come with a procedure to do: the procedure keeps its intent
ASKS_TOO = frozenset({"violence", "eviction", "homeless"})
SHORT = 4  # a bare "stop" / "start" counts only in a message about that long
QUESTION_WORDS = frozenset({"how", "comment", "what", "quoi", "pourquoi", "why", "can", "do"})
# "il doit rappeler": someone else will call back; not a request for one of us
THIRD_PERSON = frozenset({"il", "elle", "ils", "elles", "lui"})
UNCLEAR = 0.3  # below CLARIFY_BELOW: the engine asks once, then hands off; never a greeting
SOCIAL = ("greeting", "thanks", "bye", "okay", "identity", "about_service", "done", "help",
          "human")  # fmt: skip
MAX_LEFT = 3  # words besides social talk a greeting may carry ("bonjour madame la mairie")
FILLER_WORDS = (
    "a au aux le la les l de du des d un une et ou en pour vous tu te toi moi je j me m "
    "c ce est es etes sont ai as ca cela y il elle on nous ici tout tous toute monde "
    "madame monsieur mr mme messieurs dames svp stp sil plait s beaucoup bien tres "
    "encore aussi bonne bon belle journee soiree quoi qui que qu comment hey oui non ah "
    "oh eh ben bah alors donc voila deja the you to is for and hi ye yes"
)
FILLER = frozenset(FILLER_WORDS.split())
EQUIPMENT = frozenset({"print", "scan"})
NUMBER_QUALIFIERS = frozenset({"fiscal", "allocataire", "secu", "securite", "unique", "client"})
LACKING = frozenset({"pas", "ni", "sans", "plus", "jamais", "no", "don"})
YOUR = frozenset({"votre", "vos", "ton", "ta", "tes"})
DETERMINERS = frozenset({"la", "le", "les", "l", "de", "des", "du", "d", "mes", "ma", "mon", "sa"})
# "ne plus recevoir la facture papier": post of another sender, not our messages
OTHER_POST = frozenset(
    {"facture", "factures", "courrier", "courriers", "papier", "lettre", "lettres", "colis"}
)


@dataclass(frozen=True)
class Signals:
    """The cues found in one message, grouped by concept, with the message's words."""

    words: Sequence[str]
    hits: dict[str, list[Hit]]
    question: bool  # the message contains "?"
    shouted_stop: bool  # STOP / ARRET written in capitals

    def has(self, *concepts: str) -> bool:
        """Whether any of `concepts` was found."""
        return any(c in self.hits for c in concepts)

    def values(self, concept: str) -> list[str]:
        """The topic or service values of `concept`, in reading order."""
        return [h.value for h in self.hits.get(concept, ()) if h.value]


@dataclass(frozen=True)
class Decision:
    """The chosen intent, how sure the rules are, and the safety flags."""

    intent: str
    confidence: float
    privacy_action: str | None = None
    emergency: str | None = None  # the kind of distress (see content/langue/urgences.yaml)
    scam: bool = False


def privacy_action(s: Signals) -> str | None:
    """ "forget", "stop", "start" or None; a missed STOP is the costliest error."""
    words, short = s.words, len(s.words) <= SHORT
    forget = [h for h in s.hits.get("forget", ()) if _real_forget(h, words, s.has("topic"))]
    if forget or short and s.has("forget_short") and not s.has("topic"):
        return "forget"
    if any(not _from_another_body(s, h) for h in s.hits.get("stop", ())) or s.shouted_stop:
        return "stop"
    for hit in s.hits.get("stop_short", ()):
        if _noun_phrase(s, hit):
            continue
        if short or hit.start == 0 and len(words) <= SHORT + 2:
            return "stop"
    # "me réinscrire à France Travail" is a procedure, "how do I subscribe?" a question
    asking = s.has("where", "want") or any(w in QUESTION_WORDS for w in words)
    starts = () if s.has("topic") or asking else s.hits.get("start", ())
    if any(h.end - h.start > 1 for h in starts) or short and starts:
        return "start"
    return None


def _noun_phrase(s: Signals, hit: Hit) -> bool:
    """ "arrêt maladie", "arrêt de travail", "arrêt cardiaque", "arrêt de bus": not a STOP."""
    if s.words[hit.start] != "arret":
        return False
    after = hit.end + (s.words[hit.end : hit.end + 1] == ["de"])
    return any(
        h.start == hit.start and h.end > hit.end or h.start == after > hit.start
        for concept in ("topic", "emergency", "out_of_scope")
        for h in s.hits.get(concept, ())
    )


def _from_another_body(s: Signals, hit: Hit) -> bool:
    """ "je n'ai plus de messages de la CAF": the messages of another body, not ours."""
    after = s.words[hit.end : hit.end + 1]
    objects = [w for w in s.words[hit.end : hit.end + 3] if w not in DETERMINERS]
    if objects and objects[0] in OTHER_POST:
        return True
    return after in (["de"], ["du"], ["des"], ["d"]) and any(
        hit.end < t.start <= hit.end + 3 for t in s.hits.get("topic", ())
    )


def _real_forget(hit: Hit, words: Sequence[str], has_topic: bool) -> bool:
    """Not "j'ai oublié mon numéro fiscal" nor "supprimer mon compte CAF"."""
    if hit.start >= 1 and words[hit.start - 1] == "ai":
        return False
    if hit.end < len(words) and words[hit.end] in NUMBER_QUALIFIERS:
        return False
    said = set(words[hit.start : hit.end])
    return not has_topic or bool(said & {"donnees", "rgpd", "gdpr", "oubli", "data"})


def _lacking(words: Sequence[str], hit: Hit) -> bool:
    """ "pas d'ordinateur", "ni internet", "sans ordi": a reason to need help, not a request."""
    before = words[max(0, hit.start - 3) : hit.start]
    return any(w in LACKING for w in before)


def _procedural_help(s: Signals) -> bool:
    """Help asked with a procedure, not "merci pour votre aide" nor "vous m'avez aidé"."""
    given = [(h.start, h.end) for h in s.hits.get("done", ())]
    # "pas besoin d'aide, je sais faire": no help asked
    given += [
        (h.start, h.end)
        for h in s.hits.get("help", ())
        if h.start and s.words[h.start - 1] in LACKING
    ]
    return any(
        (h.start == 0 or s.words[h.start - 1] not in YOUR)
        and not any(a <= h.start < b for a, b in given)
        for h in s.hits.get("help", ())
    )


def _fresh(s: Signals, hit: Hit) -> bool:
    """A cue outside every thank-you for help given: not the "adresse" of "merci pour l'adresse"."""
    return not any(d.start <= hit.start and hit.end <= d.end for d in s.hits.get("done", ()))


def decide(s: Signals) -> Decision:
    """Apply the label guide's boundary rules in order; the first that fits wins."""
    action = privacy_action(s)
    # rule 6: the privacy of the 1 € offer is about that offer, not about us
    if action or s.has("privacy_other") and not s.has("offer"):
        if action == "stop" and _person_wanted(s):
            # "arrêtez les messages automatiques et passez-moi quelqu'un": a person, not a STOP
            return Decision("talk_to_human", 0.8)
        return Decision("privacy", 0.97 if action else 0.7, action)
    kind = emergency_kind(s)
    if kind:
        # "on dort dehors, le plus urgent c'est mon récépissé, aidez-moi avec l'ANEF": the
        # procedure asked for is the intent; the distress is still flagged and answered first
        asked = _decide_request(s)
        if kind in ASKS_TOO and asked.intent == "find_mediator" and _procedural_help(s):
            return Decision("find_mediator", asked.confidence, emergency=kind)
        return Decision("out_of_scope", 0.95, emergency=kind)
    if is_scam(s):  # wins over find_mediator for the body it pretends to be
        return Decision("out_of_scope", 0.9, scam=True)
    return _decide_request(s)


def _decide_request(s: Signals) -> Decision:
    """Rules 3 to 7 of the guide, once safety has been ruled out; with several needs, the one
    named after "le plus urgent", "d'abord"… comes first."""
    for cue in s.hits.get("priority", ()):
        after = {c: [h for h in hs if h.start >= cue.end] for c, hs in s.hits.items()}
        first = _decide_one(replace(s, hits={c: hs for c, hs in after.items() if hs}))
        if first.confidence >= 0.7 and first.intent not in ("greeting", "out_of_scope"):
            return first
    return _decide_one(s)


def _decide_one(s: Signals) -> Decision:
    """Rules 3 to 7 of the guide for one need."""
    request = s.has("want", "where", "human", "service", "place", "offer", "learn") or s.question
    thanked = s.has("thanks") and not (s.has("topic") and _procedural_help(s))
    # "merci, la médiathèque m'a bien aidée pour la CAF": thanks for help already given
    asked = ("want", "where", "service", "offer", "learn")
    done = s.has("done") and not any(_fresh(s, h) for c in asked for h in s.hits.get(c, ()))
    if thanked and (done or not request):
        return Decision("greeting", 0.9)
    housing = _housing(s)
    if housing:
        return Decision("housing_internet", housing)
    if _commercial(s):
        return Decision("out_of_scope", 0.75)
    if s.has("topic") and not _only_place_topics(s):
        return _with_topic(s)
    return _without_topic(s)


def _commercial(s: Signals) -> bool:
    """ "Une box pas chère, je suis au RSA, SFR ou Free ?": a commercial offer, not a procedure."""
    box = s.has("isp") or any(s.words[h.start] == "box" for h in s.hits.get("internet", ()))
    return (
        box and s.has("cheap") and not s.has("social_housing", "offer") and not _procedural_help(s)
    )


def _only_place_topics(s: Signals) -> bool:
    """ "des ordis à la mairie de Lambézellec": the mairie is where, not a procedure."""
    if not s.has("service", "learn", "place"):
        return False
    places = [(h.start, h.end) for h in s.hits.get("generic_place", ())]
    return all(any(a <= h.start and h.end <= b for a, b in places) for h in s.hits["topic"])


def _housing(s: Signals) -> float:
    """Confidence that the message is about the 1 € internet offer, 0 if it is not."""
    only_paper = set(s.values("service")) <= EQUIPMENT and s.has("service")
    if s.has("offer") and not (only_paper and not s.has("internet")):
        return 0.95
    if s.has("social_housing") and s.has("cheap") and s.has("internet", "isp"):
        return 0.85  # "en HLM, 30 € chez Free, vous avez moins cher ?"
    if s.has("isp") and s.has("broken") or _named_procedure(s):
        return 0.0
    seeking_place = s.has("place") or s.has("service") and s.has("where", "generic_place")
    if seeking_place or s.has("out_of_scope", "commerce"):
        return 0.0
    if s.has("social_housing") and s.has("internet", "home"):
        return 0.85 if s.has("internet") else 0.6
    if s.has("internet") and s.has("cheap"):
        return 0.7
    if s.has("internet") and s.has("home") and not s.has("where"):
        return 0.6
    return 0.0


def _named_procedure(s: Signals) -> bool:
    """A topic other than the words "logement social" that also say where one lives."""
    housing = [(h.start, h.end) for h in s.hits.get("social_housing", ())]
    return any(
        not any(a <= h.start and h.end <= b for a, b in housing) for h in s.hits.get("topic", ())
    )


def _with_topic(s: Signals) -> Decision:
    """Rules 1 and 2: equipment or learning is find_place, help with the procedure is not."""
    # "France Travail m'a inscrit à un atelier en visio, je sais pas me connecter": help
    if s.has("learn") and (s.has("want", "where") or not _procedural_help(s)):
        return Decision("find_place", 0.8)
    services = [h.value for h in s.hits.get("service", ()) if not _lacking(s.words, h)]
    wants_place = services and (
        services[0] in EQUIPMENT or s.has("where", "place", "open_now", "want")
    )
    # "pas d'ordi, où en utiliser un pour ma CAF": the lack is why they look for a place
    looks_for_place = s.has("service") and s.has("where", "place")
    if (wants_place or looks_for_place) and not _procedural_help(s):
        return Decision("find_place", 0.8)
    return Decision("find_mediator", 0.9 if s.has("help", "want", "human") else 0.75)


def _without_topic(s: Signals) -> Decision:
    """Places, people, procedures in general, small talk, then everything else."""
    off_topic = s.has("out_of_scope", "commerce")
    repair = s.has("broken") and not s.has("where", "place")
    if s.has("learn") or s.has("learn_weak") and s.has("want", "where"):
        return Decision("find_place", 0.85)
    if s.has("about_service") and not s.has("service", "where", "want", "open_now", "human"):
        return Decision("greeting", 0.8)  # "c'est qui ? on m'a donné ce numéro au Pimms"
    # "plus de forfait, où capter le wifi": an aside off topic does not cancel a place request
    asked_where = s.has("place") or s.has("where") and not s.has("commerce")
    if s.has("service", "place") and not repair and not (off_topic and not asked_where):
        return Decision("find_place", 0.9 if s.has("where", "want", "place") else 0.75)
    if s.has("weak_service") and s.has("where", "want", "open_now") and not repair:
        return Decision("find_place", 0.7)
    if off_topic or s.has("isp"):
        return Decision("out_of_scope", 0.85 if off_topic else 0.7)
    if s.has("identity") and not s.has("want") and not _person_asked(s):
        return Decision("greeting", 0.8)
    if _person_requested(s):
        return Decision("talk_to_human", 0.9)
    if s.has("admin") and (_procedural_help(s) or s.has("want")):
        return Decision("find_mediator", 0.65 if s.has("help") else 0.55)
    if s.has("about_service", "greeting", "thanks", "bye", "okay") and _only_social(s):
        return Decision("greeting", 0.85)
    if s.has("help") and len(s.words) <= SHORT:
        return Decision("greeting", 0.55)
    if s.has("broken"):
        return Decision("out_of_scope", 0.5)
    return Decision("out_of_scope", UNCLEAR)


def _only_social(s: Signals) -> bool:
    """Hello, thanks, bye or a question about us, and not much else: unknown words are not."""
    covered = [False] * len(s.words)
    for concept in SOCIAL:
        for h in s.hits.get(concept, ()):
            covered[h.start : h.end] = [True] * (h.end - h.start)
    rest = [w for w, c in zip(s.words, covered, strict=True) if not c and w not in FILLER]
    return len(rest) <= MAX_LEFT


def another_calls_back(s: Signals) -> bool:
    """A person named only as someone else's call back ("il doit rappeler"): no request."""
    return s.has("human") and not _person_requested(s)


def _person_requested(s: Signals) -> bool:
    """A person asked for, not "il doit rappeler" (another's call back)."""
    return any(
        not THIRD_PERSON & set(s.words[max(0, h.start - 2) : h.start])
        for h in s.hits.get("human", ())
    )


def _person_wanted(s: Signals) -> bool:
    """A person asked for after the STOP: "stop les robots, passez-moi quelqu'un"."""
    stops = [h.end for h in s.hits.get("stop", ())]
    humans = [h.start for h in s.hits.get("human", ())]
    return bool(stops) and any(start >= stops[0] for start in humans) and not s.has("forget")


def _person_asked(s: Signals) -> bool:
    """A person asked outside "tu es un robot (ou une vraie personne) ?", a question about us."""
    spans = [(h.start, h.end) for h in s.hits.get("identity", ())]
    alternative = {b + 1 for _, b in spans if s.words[b : b + 1] in (["ou"], ["or"])}
    # "vous êtes qui ? un humain ?": the person named right after the question is about us
    after = {b for _, b in spans}
    return any(
        not any(a <= h.start and h.end <= b for a, b in spans)
        and not any(start <= h.start <= start + 1 for start in alternative)
        and not any(end <= h.start <= end + 2 for end in after)
        for h in s.hits.get("human", ())
    )
