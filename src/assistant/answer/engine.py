"""The answer engine: question-aware extractive answers, offline (the default answerer).

1. A question that addresses enumerated items ("แนวทางที่ 7", "มีกี่แนวทาง อะไรบ้าง", "มาตรา ๑๖ ของ
   พ.ร.บ. …") is answered from the document that numbers them, each item quoted and cited.
2. Otherwise candidate sentences — of the top passages and of their neighbouring chunks, cut so an
   abbreviation or a bracket never ends a sentence — are scored by a linear model over features
   of the question type (answer/features.py; a conditional logit fitted on iApp train by
   `python -m eval.fit_answer_scorer`, its scores read as probabilities); the best sentence, with
   the pieces crfcut cut off it (a surname, a list's last items) and the sentence after it when the
   two read as one, is the direct answer, at most two more sentences support it, every line cited [n].
   A question that asks several things (query/parts.py) is answered part by part, each from its
   own passages, "1) … 2) …"; one that compares two things (answer/compare.py) gets a sentence from
   a passage on each.
3. Refusal: the evidence rule shared with every answerer, no figure where the question asks
   for one the passages do not give, and the answerability model (answer/answerability.py): the
   sentence that would lead the answer, read against the question, must answer it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.answer.answerability import Answerability
from assistant.answer.answerability import features as answerability_features
from assistant.answer.answerability import shipped as shipped_answerability
from assistant.answer.answerers import Answerer
from assistant.answer.compare import names, sides
from assistant.answer.evidence import (QUESTION_WORDS, REQUEST_REASON, RefusalRule, evidence_for, evidence_meta, refusal,
                                       refusal_rule, speaks_of_another, unfound_specifics)
from assistant.answer.extractive import NUMBER, asks_for_number, figure_given, strip_footnotes
from assistant.answer.features import FEATURES, Candidate, features, gives_asked_kind, idf, tokens
from assistant.query.parts import split
from assistant.query.qtype import LAW_WORDS, analyse, asks_about_law, counted_as
from assistant.query.understand import is_act_title
from assistant.knowledge.glossary import squash
from assistant.knowledge.guidelines import note_guidelines
from assistant.schema import Answer, Citation, Hit, ItemHit, QueryPlan, Retrieval
from assistant.text.dates import DATE
from assistant.text.numbers import annotate
from assistant.text.thai import ITEM_MARK, LIST_INTRO, LIST_INTRO_WORD, answer_sentences, fold_digits, shorten

WEIGHTS_FILE = Path(__file__).with_name("scorer.json")
SUPPORT_HEAD = "\n\nข้อความสนับสนุน:\n"
PART_UNSUPPORTED = "เอกสารที่มีไม่ได้ให้คำตอบส่วนนี้"
PART_SAME = "ดูข้อ {}"  # a part the sentence of an earlier part answers
TYPED = ("when",)
GIVES = ("when", "number", "who", "where")  # question kinds a sentence answers only by naming the thing
WHOLE = ("มาตรา", "นิยาม")  # items shown under their Act and place, not numbered
_MARKER = re.compile(r"\[(\d+)\]")
MIN_SENTENCE = 12  # characters: shorter pieces are headings or list debris
PARAGRAPHS = "ย่อหน้า"  # the location of a passage of a document without sections (ingest/chunking.py)
_DATELINE = re.compile(rf"เมื่อ\s*วัน\S{{0,12}}?\s*(?:ที่\s*)?{DATE.pattern}")  # "เมื่อวันที่ 30 เมษายน 2567", "เมื่อวันจันทร์ที่ …"
_COUNT = re.compile(r"ทั้งหมด|กี่")  # "มีทั้งหมดกี่แนวทาง": the whole list, whatever words come with it


@dataclass(frozen=True)
class Scorer:
    """A logistic model over FEATURES, standardised: p = σ(w · (x − mean) / scale + b)."""

    coef: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    intercept: float

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "Scorer":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if list(data["features"]) != list(FEATURES):
            raise ValueError(f"{path}: fitted on features {data['features']}, the engine computes {list(FEATURES)}; "
                             "refit with `python -m eval.fit_answer_scorer`")
        return cls(np.asarray(data["coef"], float), np.asarray(data["mean"], float), np.asarray(data["scale"], float),
                   float(data["intercept"]))

    def probabilities(self, rows: list[list[float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        z = ((np.asarray(rows, float) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


@lru_cache(maxsize=4)
def shipped_scorer(path: str = str(WEIGHTS_FILE)) -> Scorer:
    return Scorer.load(Path(path))


def question_tokens(text: str) -> tuple[str, ...]:
    return tuple(t for t in tokens(text) if t not in QUESTION_WORDS)


OWN_IDF = 7.5  # rarer than ใหม่/ไทย/เสีย in the Thai National Corpus: a word that names a thing


def sentences_of(hit: Hit) -> list[str]:
    """A passage's sentences fit for quoting, headings, the document's title and list debris left out."""
    title = re.sub(r"\s+", "", hit.title)
    return [s for s in answer_sentences(strip_footnotes(hit.text)) if len(s) >= MIN_SENTENCE and not _is_title(s, title)]


def _is_title(sentence: str, title: str) -> bool:
    """A news item repeats its headline as its first lines ("รัฐบาลไทย-ข่าวทำเนียบรัฐบาล-<headline>"):
    dense with the question's words, it would lead an answer that only repeats the citation's
    heading. A short title is a name ("สะพานผ่านฟ้าลีลาศ"), which a sentence may well be about."""
    if len(title) < HEADLINE:
        return False
    s = re.sub(r"\s+", "", sentence)
    return s == title or s.endswith(title) and s[: -len(title)].endswith("-")


HEADLINE = 40


def candidates(r: Retrieval, passages: int) -> tuple[list[Candidate], list[Hit]]:
    """Sentences of the top passages and of their neighbouring chunks, each once; with the hit each
    came from (index into the returned list of hits). A passage that, with its document's opening,
    names another year or province than the question and not the one asked gives none: a budget
    item of 2565 does not answer for ปี 67, though the passage beside it names 2567."""
    out: list[Candidate] = []
    sources: list[Hit] = []
    seen: set[str] = set()
    top = r.hits[0].score or 1.0

    def add(hit: Hit, rank: float, score: float) -> None:
        if speaks_of_another(r.question, hit, r.openings):
            return
        hit = hit.own_chunk()  # the rest of its section comes in as its neighbours
        sents = sentences_of(hit)
        fresh = []
        for pos, s in enumerate(sents):
            key = re.sub(r"\s+", "", s)
            if key not in seen:
                seen.add(key)
                fresh.append(pos)
        if not fresh:
            return
        sources.append(hit)
        out.extend(Candidate.at(sents, pos, len(sources) - 1, rank, score / top) for pos in fresh)

    for i, h in enumerate(r.hits[:passages]):
        add(h, float(i), h.score)
    for i, h in enumerate(r.hits[:passages]):
        for near in r.context.get(h.chunk_id, []):
            add(near, i + 0.5, near.score)  # a neighbour scores as its hit; the rest of a section as it was found
    return out, sources


def _dateline(kind: str, cands: list[Candidate], sources: list[Hit], order: list[int], ask: str,
              openings: dict[str, Hit]) -> int | None:
    """For a when or where question whose best sentence gives no date or place: the dateline of
    that sentence's document, when it gives one (from the candidates, else from the opening of the
    same section, appended to `cands` and `sources`). A news release states the when and where of
    what it reports once, at its start ("เมื่อวันที่ 30 เมษายน 2567 ณ โรงแรม …"), apart from the
    sentences that name the event; the best sentence still decided whether to answer."""
    if kind not in ("when", "where") or gives_asked_kind(kind, cands[order[0]].text, ask):
        return None
    best = sources[cands[order[0]].hit]

    def dates(text: str) -> bool:
        return bool(_DATELINE.match(text)) and gives_asked_kind(kind, text, ask)

    found = next((i for i in order[1:] if sources[cands[i].hit].doc_id == best.doc_id and dates(cands[i].text)), None)
    opening = openings.get(best.doc_id)
    # the same section, or paragraphs of a document without sections (one news release)
    same = opening is not None and (opening.location == best.location
                                    or opening.location.startswith(PARAGRAPHS) and best.location.startswith(PARAGRAPHS))
    if found is not None or not same:
        return found
    sents = sentences_of(opening)
    pos = next((p for p, t in enumerate(sents) if dates(t)), None)
    if pos is None:
        return None
    sources.append(opening)
    cands.append(Candidate.at(sents, pos, len(sources) - 1, cands[order[0]].rank, 0.0))
    return len(cands) - 1


@dataclass
class SentenceOrder:
    """The candidate sentences of an answer and the order it takes them in."""

    cands: list[Candidate]
    sources: list[Hit]
    probs: np.ndarray
    order: list[int]


@dataclass
class Assessment:
    row: list[float]  # answerability FEATURES
    probability: float | None  # None: no model, a search without dense scores, or no learned similarity
    refused: bool = False  # the probability is under the model's cut


@dataclass
class AnswerEngine(Answerer):
    rule: RefusalRule
    scorer: Scorer = field(default_factory=shipped_scorer)
    passages: int = 3
    # Quoted text at most (a direct answer is never cut) and how well a supporting sentence must
    # score against the best; chosen on XQuAD-th and iApp test for containment at ~300 characters
    # (0.37 with the completed direct answer: XQuAD-th 0.765 at a median 299; 0.35: 0.766 at 301).
    max_chars: int = 350
    support_ratio: float = 0.37
    max_sentences: int = 3
    # For a เมื่อไร question a sentence that gives a date leads over a better-scored one that gives
    # none, when it scores at least this share of it. Chosen on 400 XQuAD-th and 400 iApp test
    # questions (a scratch comparison, docs/answers.md): XQuAD-th unchanged, iApp one more; lower
    # shares, or the same for where and who, lost answers there. 0 = off.
    typed_ratio: float = 0.5
    act_passages: int = 5  # how far down the hits a question on what the law says looks for an Act
    # Whether the evidence answers this question (answer/answerability.py); None: the rules alone.
    answerability: Answerability | None = None
    # Passages given without a search (Retrieval.of) are read part by part for a question that asks
    # several things, as a search would have split it (Settings.question_parts).
    split_questions: bool = True

    @classmethod
    def from_settings(cls, settings) -> "AnswerEngine":
        return cls(refusal_rule(settings), passages=settings.answer_passages, act_passages=settings.act_slot or 5,
                   answerability=shipped_answerability() if settings.answerability else None,
                   split_questions=settings.question_parts)

    def answer(self, retrieval: Retrieval) -> Answer:
        return note_guidelines(retrieval, self.compose(retrieval), line=True)

    def best_score(self, r: Retrieval) -> float | None:
        """The best candidate sentence's score (1.0 when the question addresses items the index
        holds; None without candidates): what the refusal rule weighs."""
        if r.items and not r.evidence.unknown:
            return 1.0
        cands, _ = candidates(r, self.passages) if r.hits else ([], [])
        if not cands:
            return None
        return float(self._probabilities(r.question, cands).max())

    def _probabilities(self, question: str, cands: list[Candidate], context: str = "") -> np.ndarray:
        """Each candidate's score for `question`; `context`: words read with it (the first part of
        a two-part question)."""
        qt, q_tokens = analyse(question), question_tokens(f"{context} {question}" if context else question)
        return self.scorer.probabilities([features(qt, q_tokens, question, c) for c in cands])

    def _giving(self, question: str, cands: list[Candidate], order: list[int], unit: str = "") -> int | None:
        """The best of the top candidates that gives the figure `question` asks for (counted in
        `unit`, when given)."""
        return next((i for i in order[: 2 * self.max_sentences] if figure_given(question, [cands[i].text], unit)), None)

    def _near_giving(self, kind: str, cands: list[Candidate], probs: np.ndarray, order: list[int], ask: str,
                     ratio: float) -> int | None:
        """The best of the top candidates that names the kind of thing `ask` asks for and scores at
        least `ratio` of the best."""
        return next((i for i in order[: 2 * self.max_sentences] if probs[i] >= ratio * probs[order[0]]
                     and gives_asked_kind(kind, cands[i].text, ask)), None)

    def _ranked(self, r: Retrieval, shown: tuple[str, ...] = ()) -> SentenceOrder | Answer:
        """The candidate sentences in the order the answer takes them, or a refusal when no
        sentence can lead (none at all, or none giving the figure asked for). `shown`: sentences
        an earlier part of the question leads with."""
        question, hits, ev = r.question, r.hits, r.evidence
        # what the figure and type checks read: a part's own words, not the subject it carries
        ask = r.plan.asked or question
        cands, sources = candidates(r, self.passages) if hits else ([], [])
        if not cands:  # none, or only passages on another year or province
            off = unfound_specifics(question, hits[:1], r.openings)
            return refusal(question, hits, ev, f"เอกสารที่พบไม่ได้กล่าวถึง: {', '.join(off)}" if off else "",
                           kind="missing" if off else "", missing=off)
        probs = self._probabilities(question, cands)
        order = [int(i) for i in np.argsort(-probs, kind="stable")]
        qt = analyse(ask)
        if r.plan.asked and shown:
            # A further part ("…ไม่เกินเท่าไร ถ้าไม่จ่ายต้องเสียดอกเบี้ยเท่าไร"): the sentence that holds
            # what it asks of its own — the words no earlier answer shows, rarest first ("จ่าย" is also
            # in "ค่าใช้จ่าย") — leads; else, when its best is what an earlier part showed, the best one
            # not shown yet that scores near it.
            fresh = [i for i in order if not any(cands[i].text in x for x in shown)]
            own = [t for t in dict.fromkeys(question_tokens(r.plan.asked)) if idf(t) >= OWN_IDF and not any(t in x for x in shown)]
            held = {i: sum(idf(w) for w in own if w in cands[i].text) for i in fresh}
            better = sorted((i for i in fresh if held[i] > 0), key=lambda i: -held[i])
            if not better and order[0] not in fresh:
                better = [i for i in fresh if probs[i] >= self.support_ratio * probs[order[0]]][:1]
            if qt.kind in GIVES and order[0] not in fresh:
                # "…แล้วใครนำทีม": only a sentence that names what is asked (someone, a date, a place, a
                # figure) answers it. A fresh one that names none does not lead when a near one names
                # it, though an earlier part showed that one (its line then points to that part's)
                top = order[: 2 * self.max_sentences]
                named = [i for i in better if i in top and gives_asked_kind(qt.kind, cands[i].text, ask)]
                near = None if named else self._near_giving(qt.kind, cands, probs, order, ask, self.support_ratio)
                better = named or ([near] if near is not None else better)
            if better:
                order = [better[0]] + [i for i in order if i != better[0]]
        if asks_for_number(ask) and not figure_given(ask, [cands[order[0]].text]):
            # The figure asked for must be in the quoted sentence, not just somewhere in its
            # passage: the best sentence that gives it leads, else no answer rather than a wrong number.
            given = self._giving(ask, cands, order)
            if given is None:
                return refusal(question, hits, ev, "เอกสารที่พบไม่ได้ระบุตัวเลขที่ถาม", kind="missing")
            order = [given] + [i for i in order if i != given]
        if self.typed_ratio and qt.kind in TYPED and not gives_asked_kind(qt.kind, cands[order[0]].text, ask):
            # "…จัดขึ้นเมื่อไร": a sentence dense with the question's words but no date loses the lead
            # to a near one that gives the date
            typed = self._near_giving(qt.kind, cands, probs, order, ask, self.typed_ratio)
            order = order if typed is None else [typed] + [i for i in order if i != typed]
        counted = counted_as(ask) if asks_for_number(ask) else ""
        if counted and not figure_given(ask, [cands[order[0]].text], counted):
            # "มีสมาชิกกี่ประเภท": a top sentence that counts in that word ("สามประเภท") leads; none
            # refuses nothing, since a document may count in another word
            says = self._giving(ask, cands, order, counted)
            order = order if says is None else [says] + [i for i in order if i != says]
        return SentenceOrder(cands, sources, probs, order)

    def assess(self, r: Retrieval) -> Assessment | None:
        """The answerability features of the sentence that would lead the answer, and the model's
        probability that it answers; None when no sentence can lead."""
        ranked = self._ranked(r) if r.hits else None
        if ranked is None or isinstance(ranked, Answer):
            return None
        return self._assess(r, ranked)

    def _assess(self, r: Retrieval, ranked: SentenceOrder) -> Assessment:
        lead = ranked.cands[ranked.order[0]]
        row = answerability_features(r.question, analyse(r.question), r.hits, r.evidence, lead.text, lead.context,
                                     ranked.sources[lead.hit], float(ranked.probs[ranked.order[0]]))
        # The model reads the dense and the learned similarity: a search without them (bm25, window,
        # another embedding model) is left to the rules.
        if self.answerability is None or not any("dense" in h.scores for h in r.hits) or \
                not any("relevance" in h.scores for h in r.hits):
            return Assessment(row, None)
        p = self.answerability.probability(row)
        return Assessment(row, p, p < self.answerability.cut)

    def compose(self, r: Retrieval) -> Answer:
        parts = r.parts or (part_retrievals(r) if self.split_questions else [])
        return self._compose_parts(r, parts) if parts else self._compose_one(r)

    def _compose_parts(self, r: Retrieval, parts: list[Retrieval]) -> Answer:
        """One answer per part of the question, in its order, each from the part's own passages;
        a part without support says so on its line, and only a question none of whose parts is
        supported is refused."""
        missing = r.evidence.unknown + r.evidence.unfound  # what no passage names, by part
        answers: list[Answer] = []
        for p in parts:
            lacking = [m for m in missing if squash(m) in squash(p.plan.text)]
            if lacking:
                answers.append(refusal(p.question, p.hits, p.evidence, kind="missing", missing=lacking))
                continue
            shown = tuple(c.quote for a in answers for c in a.citations)
            a = self._compose_one(p, shown)
            if a.refused and r.hits is not p.hits:
                # the passages found for the other parts may hold this part's answer too
                ev = evidence_for(p.question, r.hits, self.passages, p.plan.expansions, p.plan.unknown)
                whole = self._compose_one(replace(p, hits=r.hits, evidence=ev, context=r.context, items=[]), shown)
                a = a if whole.refused else whole
            answers.append(a)
        asked = [p.plan.asked or p.plan.text for p in parts]
        rows = [{"question": q, "answer": "", "citations": [], "refused": a.refused} for q, a in zip(asked, answers)]
        if all(a.refused for a in answers):
            lacking = list(dict.fromkeys(m for a in answers for m in a.meta.get("missing", [])))
            out = refusal(r.question, r.hits, r.evidence, kind="missing" if lacking else "", missing=lacking)
            out.parts = rows
            return out
        citations: list[Citation] = []
        number_of: dict[tuple[str, str, str], int] = {}
        lines, supports, shown = [], [], {}
        for j, (a, row) in enumerate(zip(answers, rows), 1):
            if a.refused:
                lines.append(f"{j}) {row['question']}: {PART_UNSUPPORTED}")
                continue
            renumber = {}
            for c in a.citations:
                key = (c.doc_id, c.location, c.text)
                n = number_of.get(key)
                if n is None:
                    n = number_of[key] = len(citations) + 1
                    citations.append(replace(c, n=n))
                elif c.quote not in citations[n - 1].quote:
                    citations[n - 1].quote += " " + c.quote
                renumber[c.n] = n
            text = _MARKER.sub(lambda m: f"[{renumber.get(int(m.group(1)), m.group(1))}]", a.answer)
            direct, _, support = text.partition(SUPPORT_HEAD)
            direct = direct.strip()
            row.update(answer=direct, citations=sorted(set(renumber.values())))
            supports += [x for x in support.strip().splitlines() if x.strip() and x not in supports]
            if direct in shown:  # one sentence answers both ("…เมื่อไร และที่ไหน")
                lines.append(f"{j}) {PART_SAME.format(shown[direct])}")
                continue
            shown[direct] = j
            lines.append(f"{j}) {direct}")
        body = "\n".join(lines)
        # a supporting line one part shows as its answer is not repeated under it
        supports = [x for x in supports if not any(_MARKER.sub("", x[2:]).strip() in line for line in lines)]
        text = body + (SUPPORT_HEAD + "\n".join(supports) if supports else "")
        meta = evidence_meta(r.evidence)
        meta.update(question_type="parts", parts={"found": len(parts), "answered": sum(not a.refused for a in answers),
                                                  "refused": sum(a.refused for a in answers)})
        return Answer(r.question, text, False, citations, r.hits, meta=meta, parts=rows)

    def _compose_one(self, r: Retrieval, shown: tuple[str, ...] = ()) -> Answer:
        if r.items and not r.evidence.unknown:
            return self._items(r)
        question, hits, ev = r.question, r.hits, r.evidence
        ranked = self._ranked(r, shown)
        if isinstance(ranked, Answer):
            return ranked
        cands, sources, probs, order = ranked.cands, ranked.sources, ranked.probs, ranked.order
        qt = analyse(r.plan.asked or question)  # a part's own words say what it asks
        if self.rule.refuse(ev, float(probs[order[0]])):
            return refusal(question, hits, ev)
        if self.answerability and r.asking is not None and r.asking < 0:
            return refusal(question, hits, ev, REQUEST_REASON, kind="request")
        judged = self._assess(r, ranked) if self.answerability else None
        if judged is not None and judged.refused:
            return refusal(question, hits, ev, answerability=judged.probability)
        top = float(probs[order[0]])
        line = _dateline(qt.kind, cands, sources, order, r.plan.asked or question, r.openings)
        order = order if line is None else [line] + [i for i in order if i != line]
        chosen = [order[0]]
        used = len(cands[order[0]].text)
        for i in order[1:]:
            if len(chosen) == self.max_sentences or probs[i] < self.support_ratio * top:
                break
            if used + len(cands[i].text) <= self.max_chars:
                chosen.append(i)
                used += len(cands[i].text)
        best = cands[order[0]]
        lead = best.text
        if ITEM_MARK.search(lead) and (qt.kind == "list" or qt.kind == "number" and not NUMBER.search(ITEM_MARK.sub("", lead))):
            lead = _intro_of(lead, sources[best.hit]) or lead  # "กี่ระดับ" met by item (๑): the whole list answers
        intro, listed = list_after(lead, sources[best.hit], [sources[c.hit] for c in cands])
        # (the words the answer shows, the chunk, the words its card highlights: the item whole)
        picked: list[tuple[str, Hit, str]] = []
        # "ใคร…" met by "มีเอกสิทธิ์ในการร่างกฎหมาย": Thai states the subject first and crfcut often cuts
        # it off ("คณะกรรมาธิการยุโรป | มีเอกสิทธิ์…"), so a who or where answer that names no one
        # and no place takes in the sentence before it
        subject_cut = qt.kind in ("who", "where") and not gives_asked_kind(qt.kind, best.text, question)
        before = SUBJECT_BEFORE if subject_cut else CONTINUATION
        for i in chosen:
            # the direct answer only: completing every quote (the piece after) reached XQuAD-th 0.764 at a
            # median of 302 characters, and 0.756 with the support ratio that brings it under 300
            t = completed(cands[i].text, sources[cands[i].hit], before) if i == order[0] else cands[i].text
            if not any(cands[i].text in p for p, _, _ in picked):  # the piece a sentence before it took in
                # the direct answer reads a figure in words as a number too: "ภายในสามสิบวัน (30 วัน)"
                picked.append((annotate(t) if i == order[0] else t, sources[cands[i].hit], t))
        if listed:  # the list it introduces is the answer; a further part's sentence still joins it
            long = sum(len(t) for t, _ in listed) > LIST_CHARS  # a long list is shown item by item's start
            picked = [(intro, sources[best.hit], intro)] + [
                (shorten(t, ITEM_CHARS) if long and t not in best.text else t, h, t) for t, h in listed]
        law = self._law_said(r, [h for _, h, _ in picked], " ".join(q for _, _, q in picked))
        picked += [(law.text, r.hits[law.hit], law.text)] if law else []
        for side in self._sides_unsaid(r, [h for _, h, _ in picked], " ".join(q for _, _, q in picked)):
            picked.append((side.text, r.hits[side.hit], side.text))
        citations: list[Citation] = []
        number_of: dict[str, int] = {}
        lines = []
        for text, h, quote in picked:
            n = number_of.get(h.chunk_id)
            if n is None:
                n = number_of[h.chunk_id] = len(citations) + 1
                citations.append(Citation(n, h.doc_id, h.title, h.location, h.text, h.score, quote))
            elif quote not in citations[n - 1].quote:
                citations[n - 1].quote += " " + quote
            lines.append(f"{text} [{n}]")
        k = 1 + len(listed)  # the direct answer (and its list), then the supporting quotes
        text = "\n".join([lines[0]] + [f"- {x}" for x in lines[1:k]])
        text += (SUPPORT_HEAD + "\n".join(f"- {x}" for x in lines[k:])) if lines[k:] else ""
        meta = evidence_meta(ev)
        meta.update(question_type=qt.kind, answer_score=round(top, 4))
        return Answer(question, text, False, citations, hits, meta=meta)

    def _law_said(self, r: Retrieval, quoted: list[Hit], shown: str) -> Candidate | None:
        """For a question that asks what the law says ("…กฎหมายเขียนไว้ไหมว่า…", often beside a
        question on the guidance) answered so far from no Act: the best sentence of the Acts among
        the top passages (its `hit`: an index into r.hits), or None."""
        if not asks_about_law(r.question) or any(is_act_title(h.title) for h in quoted):
            return None
        acts = [i for i, h in enumerate(r.hits[: self.act_passages]) if is_act_title(h.title)]
        # what it asks the law about: "กฎหมาย" itself would pick "ภายใต้บังคับแห่งกฎหมาย"
        best = self._best_in(r, acts, LAW_WORDS.sub(" ", r.question))
        return best if best and best.text not in shown else None

    def _sides_unsaid(self, r: Retrieval, quoted: list[Hit], shown: str) -> list[Candidate]:
        """For a question comparing two things, answered so far from passages on one of them: the
        best sentence of the top passages that speak of the other (`hit`: an index into r.hits)."""
        out = []
        docs = {h.doc_id for h in quoted}  # a passage of a quoted document speaks for the side quoted
        for side in sides(r.question, r.plan.expansions):
            if any(names(h, side) for h in quoted):
                continue
            at = [i for i, h in enumerate(r.hits[: self.act_passages]) if h.doc_id not in docs and names(h, side)]
            best = self._best_in(r, at, r.question)
            if best and best.text not in shown:
                out.append(best)
                shown += " " + best.text
        return out

    def _best_in(self, r: Retrieval, at: list[int], question: str) -> Candidate | None:
        """The best sentence for `question` of the hits r.hits[i] for i in `at`, or None."""
        if not at:
            return None
        top = r.hits[0].score or 1.0
        cands = []
        for i in at:
            sents = sentences_of(r.hits[i])
            cands += [Candidate.at(sents, pos, i, float(i), r.hits[i].score / top) for pos in range(len(sents))]
        return cands[int(np.argmax(self._probabilities(question, cands)))] if cands else None

    def _items(self, r: Retrieval) -> Answer:
        """Numbered items, or an Act's section, quoted from the document that holds them."""
        items = r.items
        st = r.plan.asked_items[0] if r.plan.asked_items else ""
        if r.plan.asked_items and r.plan.asked_items[1] == "all" and not _COUNT.search(r.question):
            items = _on_topic(items, r) or items
        citations: list[Citation] = []
        number_of: dict[str, int] = {}
        lines = []
        for it in items:
            h = it.hit
            n = number_of.get(h.chunk_id)
            section = it.label in WHOLE  # a section or a definition: quoted as the law writes it
            shown = shorten(strip_footnotes(it.text), self.max_chars) if section else it.text
            quote = shown if section else it.quote  # a card highlights the words as the document has them
            if n is None:
                n = number_of[h.chunk_id] = len(citations) + 1
                citations.append(Citation(n, h.doc_id, h.title, h.location, h.text, h.score, quote))
            else:
                citations[n - 1].quote += " " + quote
            lines.append((it, shown, n))
        first = lines[0][0]
        if first.label in WHOLE:
            text = "\n".join(f"{h.title} {h.location}:\n{q} [{n}]" for it, q, n in lines for h in [it.hit])
        elif len(lines) == 1:
            text = f"{first.label} {first.number} คือ {lines[0][1]} [{lines[0][2]}]"
        else:
            head = f"มีทั้งหมด {first.of} {st}" if len(lines) == first.of else f"{st}ที่เกี่ยวข้อง"
            text = head + ":\n" + "\n".join(f"{it.number}. {q} [{n}]" for it, q, n in lines)
        law = self._law_said(r, [it.hit for it in items], " ".join(c.quote for c in citations))
        if law:
            h = r.hits[law.hit]
            n = number_of[h.chunk_id] = len(citations) + 1
            citations.append(Citation(n, h.doc_id, h.title, h.location, h.text, h.score, law.text))
            text += f"{SUPPORT_HEAD}- {law.text} [{n}]"
        meta = evidence_meta(r.evidence)
        meta.update(question_type="item", items=[{"label": it.label, "number": it.number} for it in items])
        return Answer(r.question, text, False, citations, [it.hit for it in r.items] + [h for h in r.hits if h.chunk_id not in number_of],
                      meta=meta)


def part_retrievals(r: Retrieval) -> list[Retrieval]:
    """For passages given without a search (Retrieval.of): a question that asks several things,
    each part read against the same passages."""
    parts = split(r.question)
    return [replace(r, plan=replace(QueryPlan.bare(p.search), asked=p.asked), parts=[], items=[]) for p in parts]


def _on_topic(items: list[ItemHit], r: Retrieval) -> list[ItemHit]:
    """For "แนวทางเรื่องโลกร้อนมีอะไรบ้าง": the items whose words meet the question's own topic
    words or their glossary equivalents; empty when the question names no topic."""
    label_words = set(tokens(" ".join({it.label for it in items}))) | {"ทั้งหมด", "มี", "ข้อ", "เรื่อง", "ด้าน", "เกี่ยวกับ"}
    topic = set(question_tokens(r.question)) - label_words
    topic -= {t for t in topic if t.isdigit()}
    if not topic:
        return []
    for m in r.plan.expansions:
        if set(tokens(m.form)) & topic:
            for a in m.adds:
                topic |= set(tokens(a))
    fold = lambda s: set(tokens(fold_digits(s)))  # noqa: E731
    return [it for it in items if fold(it.text) & topic]


LIST_CHARS = 600  # a listed answer longer than this shows each item's start (ITEM_CHARS); the cards hold them whole
ITEM_CHARS = 120
MAX_ITEMS = 12


def _number(item: str) -> int:
    m = ITEM_MARK.match(item)
    return int(fold_digits(m.group(1))) if m else -1


def _intro_of(sentence: str, hit: Hit) -> str:
    """The words that introduce the list a sentence quotes items of ("… ดังต่อไปนี้"), or ""."""
    units = answer_sentences(strip_footnotes(hit.text), items=True)
    at = next((i for i, u in enumerate(units) if _number(u) >= 0 and u[:40] in sentence), None)
    while at:
        at -= 1
        if _number(units[at]) < 0:
            return units[at] if LIST_INTRO.search(units[at]) else ""
    return ""


def list_after(sentence: str, hit: Hit, near: list[Hit]) -> tuple[str, list[tuple[str, Hit]]]:
    """A sentence that introduces a list ("… ดังต่อไปนี้ (๑) …"): its introducing words and the
    items "(๑) … (๒) …" that follow, in order, each with the chunk it is in (its own chunk, then on
    in a neighbouring chunk of the same section); ("", []) when it introduces none."""
    if not LIST_INTRO_WORD.search(sentence):  # most answers: no need to cut the passage again
        return "", []
    units = answer_sentences(strip_footnotes(hit.text), items=True)
    at = next((i for i, u in enumerate(units) if _number(u) < 0 and LIST_INTRO.search(u) and u in sentence), None)
    if at is None:
        return "", []
    out: list[tuple[str, Hit]] = []
    for s in units[at + 1 :]:
        if _number(s) < 0:
            break
        out.append((s, hit))
    if not out:
        return "", []
    seen = {hit.chunk_id}
    for h in near:  # a list cut by a chunk boundary goes on in the next chunk
        if h.chunk_id in seen or h.doc_id != hit.doc_id or h.location != hit.location:
            continue
        seen.add(h.chunk_id)
        more = [s for s in answer_sentences(strip_footnotes(h.text), items=True, continued=True) if _number(s) >= 0]
        if not more or _number(more[0]) > _number(out[-1][0]) + 1 or _number(more[-1]) <= _number(out[-1][0]):
            continue
        for s in more:
            if _number(s) == _number(out[-1][0]) and len(s) > len(out[-1][0]):
                out[-1] = (s, h)  # the boundary cut the item short in the first chunk
            elif _number(s) > _number(out[-1][0]):
                out.append((s, h))
    return units[at], out[:MAX_ITEMS]


# A piece this short beside a sentence is part of it, not a sentence of its own: crfcut cuts a
# surname ("ธงไชย | แมคอินไตย์"), a list's last items ("ดอกไม้ทะเล ปะการังแข็ง | ปะการังอ่อน และกัลปังหา"),
# a year off "ปีงบประมาณ" or a short opening clause ("เป็นปลากินเนื้อ | มีพฤติกรรม…") off the sentence
# that states it. Joined when the answer is composed, not when sentences are cut for scoring: longer
# candidates outscore the answering one (merging law sentences so lost blind questions). Completing
# the direct answer: XQuAD-th 0.746 → 0.765, iApp test 0.836 → 0.857 (eval report, README); 30
# characters before: the same, 50 after only: 0.761 / 0.857 at a median of 303 characters.
CONTINUATION = 40
# The sentence after the direct answer joins it when the two read as one answer (at most this many
# characters together): the best sentence often matches the question and the next one gives the
# fact ("…มีชื่อว่า | อาฟรานจี", "…รวยเป็นอันดับสามในอเมริกา | แลร์รี เอลลิสัน"). XQuAD-th 0.786 → 0.803 at
# a median of 275 → 293 characters, iApp test 0.875 → 0.890 (265); blind every key unchanged, own
# splits +1 question. 400: 0.801 at 287; any length: 0.806 at 295; a piece under 150: 0.798.
JOINED = 450


# The sentence before a who or where answer that names no one: XQuAD-th 0.765 → 0.772 at the same
# median (299 characters), iApp test unchanged; taking it in for every question: 0.787 at 325.
SUBJECT_BEFORE = 200


def completed(sentence: str, hit: Hit, before: int = CONTINUATION) -> str:
    """`sentence` of `hit`, with the piece before it in its paragraph when shorter than `before`
    characters and the one after it when shorter than CONTINUATION or the two together fit JOINED."""
    for para in strip_footnotes(hit.text).split("\n"):
        units = answer_sentences(para)
        at = next((i for i, u in enumerate(units) if u == sentence), None)
        if at is not None:
            prev = units[at - 1 : at] if at and len(units[at - 1]) < before else []
            nxt = units[at + 1] if at + 1 < len(units) else ""
            after = [nxt] if nxt and (len(nxt) < CONTINUATION or len(sentence) + len(nxt) <= JOINED) else []
            return " ".join(prev + [sentence] + after)
    return sentence
