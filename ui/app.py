"""The Gradio app: chat with cited answers, trainer examples, feedback, corpus list, upload.

One `Assistant` per process, shared by every session; ingestion runs under a lock, and the index
re-reads its keyword index when its generation changes, so uploads are searchable at once.
"""

from __future__ import annotations

import assistant  # noqa: F401  (sets the offline environment before gradio is imported)

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import yaml

from assistant import validate
from assistant.feedback import DOWN, NONE, UP, FeedbackStore
from assistant.answer.scope import holdings
from assistant.store.health import IndexDamaged
from ingest.loaders import SUPPORTED
from ui import fonts, render, review, viewer
from ui.sources import Describer, kind_of
from ui.auth import UPLOAD_COOKIE, LoginGuard, UploadGate, UploadTokens, Users
from ui.uploads import UploadError, UploadFolder, check_file

log = logging.getLogger("assistant.ui")

HERE = Path(__file__).resolve().parent
EXAMPLES_FILE = HERE / "examples.yaml"
SCENARIOS_FILE = HERE / "scenarios.yaml"
CSS_FILE = HERE / "static" / "ui.css"
JS_FILE = HERE / "static" / "ui.js"

TITLE = "ผู้ช่วยค้นนโยบายและกฎหมาย อปท."
MAX_QUESTION = 500  # characters
_META_SHOWN = {"mode", "notice", "seconds", "index_generation", "rewritten_by", "model", "guidelines"}
MAX_TURNS_KEPT = 20  # per session, for the cards panel and feedback
# Collections (assistant/knowledge/collections.py): answers prefer the guidance itself.
COLLECTION_TH = {"guidance": "แนวทาง (เอกสารหลัก)", "related": "เอกสารประกอบ"}


@dataclass
class ExampleGroup:
    title: str
    note: str
    questions: list[str]
    needs_law: bool = False  # shown only when the index holds an Act
    # question → short exact substrings its answer must contain; a question not here is a
    # deliberate out-of-scope one (refused). tests/test_demo_examples.py asks them on `make demo`'s index.
    keys: dict[str, list[str]] = field(default_factory=dict)


def _question(item) -> tuple[str, list[str] | None]:
    """(question, keys) from a plain string or {q, keys} / {q, refused: true}."""
    if isinstance(item, dict):
        keys = None if item.get("refused") else [str(k) for k in item.get("keys") or []]
        return str(item.get("q", "")).strip(), keys
    return str(item).strip(), []


def load_examples(path: Path = EXAMPLES_FILE) -> list[ExampleGroup]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    groups = []
    for g in data.get("groups", []):
        parsed = [_question(q) for q in g.get("questions", [])]
        qs = [q for q, _ in parsed if q]
        if qs:
            groups.append(ExampleGroup(str(g.get("title", "")).strip(), str(g.get("note", "") or "").strip(), qs,
                                       g.get("needs") == "law", {q: k for q, k in parsed if q and k is not None}))
    return groups


def holds_acts(docs) -> bool:
    """Whether any of the catalog's DocInfo rows is an Act (as the refusal's scope line counts them)."""
    return bool(holdings(docs)[1])


def index_title(docs) -> tuple[str, str]:
    """(page title, one line under it) saying what the index holds: the guidance, Acts, or both.
    `docs`: the catalog's DocInfo rows."""
    guidance, acts, _ = holdings(docs)
    if acts and guidance:
        return TITLE, "ระบบตอบจากเอกสารนโยบายเมืองอัจฉริยะและกฎหมายที่นำเข้าไว้"
    if guidance:
        return ("ผู้ช่วยค้นแนวทางเมืองอัจฉริยะ (สถ.)",
                "ระบบตอบจากเอกสารแนวทางเมืองอัจฉริยะที่นำเข้าไว้ (ยังไม่มีกฎหมายในระบบ)")
    if acts:
        return "ผู้ช่วยค้นกฎหมาย อปท.", "ระบบตอบจากกฎหมายที่นำเข้าไว้ (ยังไม่มีเอกสารแนวทางในระบบ)"
    return "ผู้ช่วยค้นเอกสาร อปท.", "ระบบตอบจากเอกสารที่นำเข้าไว้"


def load_scenarios(path: Path = SCENARIOS_FILE) -> list[dict]:
    """Trainer scenarios (ui/scenarios.yaml), ordered by guideline number."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for sc in data.get("scenarios", []):
        parsed = [_question(q) for q in sc.get("questions", [])]
        keys = {q: k for q, k in parsed if q and k is not None}
        out.append({**sc, "guideline": int(sc["guideline"]), "questions": [q for q, _ in parsed if q], "keys": keys})
    return sorted(out, key=lambda sc: sc["guideline"])


@dataclass
class Context:
    """What every session shares."""

    assistant: object  # assistant.service.Assistant
    users: Users = field(default_factory=Users)
    stream_delay: float = 0.03  # seconds between streamed lines

    def __post_init__(self):
        s = self.assistant.settings
        self.settings = s
        self.feedback = FeedbackStore.for_index(s.index_dir)
        self.uploads = UploadFolder(Path(s.index_dir) / "uploads")
        self.ingest_lock = threading.Lock()
        self.login_guard = LoginGuard.from_settings(s)
        self.upload_tokens = UploadTokens()
        self.examples = load_examples()
        from assistant.knowledge.guidelines import load as load_guidelines

        self.guidelines = load_guidelines()
        self.scenarios = load_scenarios()
        self.sources = Describer(self.assistant.index, self.guidelines.source.get("doc_id", ""))

    # ------------------------------------------------------------ guidelines
    def guideline_choices(self) -> list[tuple[str, int]]:
        return [(f"แนวทางที่ {g.number} · {g.short or g.title}", g.number) for g in self.guidelines]

    def guideline_view(self, number) -> str:
        try:
            g = self.guidelines.get(int(number))
        except (TypeError, ValueError):
            g = None
        if g is None:
            return '<p class="tpa-none">เลือกแนวทางเพื่อดูคำอธิบายและข้อความที่เกี่ยวข้อง</p>'
        tags = self.assistant.guideline_tags
        passages = tags.passages(g.number, limit=20)
        src = self.guidelines.source
        return render.guideline_html(g, passages, self.guidelines.summary_label, src,
                                     count=tags.counts().get(g.number, 0), docs=self.sources.describe_all(passages),
                                     source_title=self.doc_titles().get(src.get("doc_id", ""), ""))

    def doc_titles(self) -> dict[str, str]:
        try:
            return {d.doc_id: d.title for d in self.assistant.index.documents()}
        except Exception:  # noqa: BLE001 (a damaged index: the banner says so; sources show file names)
            return {}

    # ------------------------------------------------------------ answers
    def _as_dict(self, ans) -> dict:
        d = ans.to_dict()
        # Keep what the UI shows; the hits' full passages stay on the server side of the answer.
        d["hits"] = [
            {"doc_id": h["doc_id"], "title": h["title"], "location": h["location"], "score": h["score"]}
            for h in d["hits"]
        ]
        d["meta"] = {k: v for k, v in (d.get("meta") or {}).items() if k in _META_SHOWN}
        d["docs"] = self.sources.describe_all(d["citations"] + d["hits"])  # kind and date, for the cards
        d["generation"] = (ans.meta or {}).get("index_generation", self.assistant.index.generation)
        return d

    def ask(self, question: str, history: list[str]) -> dict:
        return self._as_dict(self.assistant.ask(question, history=history or None))

    def ask_stream(self, question: str, history: list[str]):
        """Yields the answer text so far (str; generative answers only), then the answer (dict)."""
        stream = getattr(self.assistant, "ask_stream", None)
        if stream is None:
            yield self.ask(question, history)
            return
        for item in stream(question, history=history or None):
            yield item if isinstance(item, str) else self._as_dict(item)

    # ------------------------------------------------------------ corpus
    def corpus_rows(self, query: str = "") -> tuple[list[list], str]:
        damage = self.damage()
        if damage:
            return [], banner(damage)
        docs = self.assistant.index.documents()
        q = (query or "").strip().lower()
        guide = self.guidelines.source.get("doc_id", "")
        kinds = {d.doc_id: kind_of(d.title, d.doc_id, d.meta, d.collection, guide) for d in docs}
        shown = [
            d for d in docs
            if not q or any(q in x.lower() for x in (d.title, d.doc_id, d.kind, kinds[d.doc_id], str(d.source)))
        ]
        shown.sort(key=lambda d: (-(d.ingested_at or 0), d.title))
        rows = [[d.title, kinds[d.doc_id], COLLECTION_TH.get(d.collection, d.collection), d.n_chunks,
                 render.when(d.ingested_at), d.doc_id] for d in shown]
        total_chunks = sum(d.n_chunks for d in docs)
        summary = f"แสดง {len(shown)} จาก {len(docs)} เอกสาร · รวม {total_chunks:,} ช่วงข้อความ"

        return rows, summary

    def damage(self) -> str:
        """What is wrong with the index, in Thai ('' when it is whole)."""
        check = getattr(self.assistant, "check_index", None)  # stand-ins in tests may lack it
        try:
            if check:
                check()
        except IndexDamaged as exc:
            log.error("index damaged: %s", exc)
            return exc.thai
        return ""

    def status_line(self) -> str:
        damage = self.damage()
        if damage:
            return banner(damage)
        docs = self.assistant.index.documents()
        return f"มีเอกสารในระบบ {len(docs)} เรื่อง · ทำงานแบบออฟไลน์ คำตอบมาจากข้อความในเอกสารเท่านั้น"


def _initial_status(ctx: Context) -> str:
    try:
        return ctx.status_line()
    except Exception:  # noqa: BLE001 (the page-load refresh says what is wrong)
        return ""


def banner(thai: str) -> str:
    return f"⚠️ **{render.esc_md(thai)}**"


# ---------------------------------------------------------------- handlers


def _turn_for_message(turns: list[dict], index) -> dict | None:
    i = index[0] if isinstance(index, (list, tuple)) else index
    for t in turns or []:
        if t.get("msg_index") == i:
            return t
    return None


def make_handlers(ctx: Context):
    def respond(message, chat, turns, request: gr.Request):
        chat = list(chat or [])
        turns = list(turns or [])
        if not str(message or "").strip():
            yield chat, turns, gr.skip(), ""
            return
        try:
            q = validate.text(" ".join(str(message).split()), "question", MAX_QUESTION)
        except validate.InputError as exc:
            chat.append({"role": "assistant", "content": render.status_html(exc.thai)})
            yield chat, turns, gr.skip(), ""
            return
        turn_no = (turns[-1]["turn"] + 1) if turns else 1
        chat.append({"role": "user", "content": render.esc_md(q)})
        chat.append({"role": "assistant", "content": render.status_html("กำลังค้นหาในเอกสาร…")})
        yield chat, turns, gr.skip(), ""
        history = [t["answer"]["question"] for t in turns]
        answer, streamed, shown_at = None, False, 0.0
        try:
            for item in ctx.ask_stream(q, history):
                if isinstance(item, dict):
                    answer = item
                elif time.monotonic() - shown_at >= 0.1:  # a generative answer, verified so far
                    chat[-1] = {"role": "assistant", "content": render.partial_html(item, turn_no)}
                    streamed, shown_at = True, time.monotonic()
                    yield chat, turns, gr.skip(), ""
            if answer is None:
                raise RuntimeError("no answer")
        except IndexDamaged as exc:  # never an answer from half an index: say so, in Thai
            log.error("index damaged: %s", exc)
            chat[-1] = {"role": "assistant", "content": render.status_html(exc.thai)}
            yield chat, turns, gr.skip(), ""
            return
        except Exception:  # the officer sees a Thai message; the log keeps the traceback
            log.exception("ask failed")
            chat[-1] = {"role": "assistant", "content": render.status_html("ขออภัย เกิดข้อผิดพลาดในการค้นหา กรุณาลองใหม่อีกครั้ง")}
            yield chat, turns, gr.skip(), ""
            return
        n_lines = 0 if (answer["refused"] or streamed) else len(render.answer_lines(answer, turn_no))
        for upto in range(2, n_lines):  # extractive: stream line by line, the lead then each quote and source
            chat[-1] = {"role": "assistant", "content": render.message_html(answer, turn_no, upto=upto, done=False)}
            yield chat, turns, gr.skip(), ""
            if ctx.stream_delay:
                time.sleep(ctx.stream_delay)
        chat[-1] = {"role": "assistant", "content": render.message_html(answer, turn_no)}
        turns.append({"turn": turn_no, "answer": answer, "generation": answer["generation"], "msg_index": len(chat) - 1})
        turns = turns[-MAX_TURNS_KEPT:]
        yield chat, turns, render.cards_html(turns), ""

    def clear():
        return [], [], render.cards_html([]), None, ""

    def on_like(turns, data: gr.LikeData, request: gr.Request):
        t = _turn_for_message(turns, data.index)
        if t is None:
            return gr.skip(), "ให้คะแนนได้เฉพาะคำตอบของระบบ"
        a = t["answer"]
        rating = UP if data.liked is True else DOWN if data.liked is False else NONE
        session = getattr(request, "session_hash", "") or ""
        rid = ctx.feedback.record(
            question=a["question"], answer=a["answer"], citations=a["citations"], rating=rating,
            index_generation=t.get("generation"), searched_as=a.get("searched_as", ""), refused=a["refused"],
            key=f"{session}:{t['turn']}", session=session,
        )
        msg = {UP: "บันทึกแล้ว: คำตอบนี้ใช้ได้ (ถูกใจ)", DOWN: "บันทึกแล้ว: คำตอบนี้ยังไม่ถูกต้อง (ไม่ถูกใจ)"}.get(rating, "ยกเลิกคะแนนแล้ว")
        return rid, f"{msg} (คำถามที่ {t['turn']}) · เพิ่มความคิดเห็นด้านล่างได้"

    def on_comment(comment, last_id, turns, request: gr.Request):
        comment = (comment or "").strip()
        if not comment:
            return gr.skip(), gr.skip(), "กรุณาพิมพ์ความคิดเห็นก่อนส่ง"
        if last_id:
            ctx.feedback.set_comment(int(last_id), comment)
            return "", last_id, "บันทึกความคิดเห็นแล้ว ขอบคุณครับ/ค่ะ"
        if not turns:
            return gr.skip(), gr.skip(), "ยังไม่มีคำตอบให้แสดงความคิดเห็น"
        t = turns[-1]
        a = t["answer"]
        session = getattr(request, "session_hash", "") or ""
        rid = ctx.feedback.record(
            question=a["question"], answer=a["answer"], citations=a["citations"], rating=NONE,
            index_generation=t.get("generation"), searched_as=a.get("searched_as", ""), refused=a["refused"],
            comment=comment, key=f"{session}:{t['turn']}", session=session,
        )
        return "", rid, f"บันทึกความคิดเห็นต่อคำตอบล่าสุดแล้ว (คำถามที่ {t['turn']})"

    def corpus(query):
        rows, summary = ctx.corpus_rows(query)
        return rows, summary

    def login(user, password, current, token, request: gr.Request):
        user = str(user or "")
        address = getattr(getattr(request, "client", None), "host", None)
        wait = ctx.login_guard.locked_for(user, address)
        if wait > 0:  # checked before the password: a locked name cannot be guessed at
            return (current, gr.skip(), gr.skip(), ctx.login_guard.message(wait), "", token)
        if ctx.users.check(user, password):
            ctx.login_guard.succeeded(user, address)
            ctx.upload_tokens.revoke(token)
            return (user.strip(), gr.update(visible=False), gr.update(visible=True),
                    f"เข้าสู่ระบบแล้ว: **{render.esc_md(user.strip())}**", "", ctx.upload_tokens.issue())
        ctx.login_guard.failed(user, address)
        time.sleep(1.0)  # slows guessing
        wait = ctx.login_guard.locked_for(user, address)
        msg = ctx.login_guard.message(wait) if wait > 0 else "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง"
        return (current, gr.skip(), gr.skip(), msg, "", token)

    def logout(token):
        ctx.upload_tokens.revoke(token)
        return None, gr.update(visible=True), gr.update(visible=False), "ออกจากระบบแล้ว", None, "", ""

    def upload(files, user, progress=gr.Progress()):
        if not user:
            raise gr.Error("กรุณาเข้าสู่ระบบก่อนอัปโหลดเอกสาร")
        paths = [f for f in (files or []) if f]
        if not paths:
            return render.upload_results_html([]) or "<p>ยังไม่ได้เลือกไฟล์</p>", gr.skip(), gr.skip(), gr.skip()
        rows = []
        with ctx.ingest_lock:
            progress(0, desc="เตรียมนำเข้า…")
            a = ctx.assistant
            s = ctx.settings
            damage = ctx.damage()
            if damage:  # adding documents would bury the damage; the banner says what to run
                raise gr.Error(damage)
            taken = {d.doc_id for d in a.index.documents() if not ctx.uploads.inside(Path(d.source))}
            from ingest.budgets import Limits
            from ingest.pipeline import ingest

            for i, p in enumerate(paths):
                p = Path(getattr(p, "name", p))
                original = p.name
                progress(i / len(paths), desc=f"กำลังนำเข้า {original} ({i + 1}/{len(paths)})")
                row = {"name": original, "stored": "", "status": "", "ok": False, "chunks": "", "reason": ""}
                try:
                    check_file(original, p.stat().st_size, s.max_file_mb)
                    stored = ctx.uploads.store(p, original, taken)
                except (UploadError, OSError) as exc:
                    row.update(status="ไม่รับไฟล์", reason=str(exc) if isinstance(exc, UploadError) else "อ่านไฟล์ไม่ได้")
                    rows.append(row)
                    continue
                row["stored"] = stored.path.name
                try:
                    rep = ingest(
                        [stored.path], a.index, a.embedder.embed_passages, a.embedder.count_tokens,
                        chunk_tokens=s.chunk_tokens, overlap=s.chunk_overlap_sentences,
                        limits=Limits.from_settings(s),
                    )
                except Exception as exc:  # keep the other files going
                    log.exception("ingest failed: %s", stored.path)
                    rep = None
                    row.update(status="ผิดพลาด", reason=f"นำเข้าไม่สำเร็จ ({type(exc).__name__})")
                if rep is not None:
                    # Thai from the loader's reason code (ingest.errors), never from its English text.
                    reasons = [f.thai or f.reason for f in rep.failures]
                    reasons += [f"แถวที่ {r.line}: {r.thai or r.reason}" for r in rep.row_errors]
                    if rep.added or rep.replaced:
                        row.update(ok=True, status="นำเข้าแล้ว" if rep.added else "แทนที่ฉบับเดิมแล้ว")
                    elif rep.unchanged and not rep.failures:
                        row.update(ok=True, status="มีอยู่แล้ว (ไม่เปลี่ยนแปลง)")
                    else:
                        row.update(status="ผิดพลาด")
                    row["chunks"] = str(rep.chunks_added) if row["ok"] else ""
                    row["reason"] = "\n".join(reasons)
                if not row["ok"] and not stored.same_as_before:
                    stored.path.unlink(missing_ok=True)  # keep only what was ingested
                    row["stored"] = ""
                rows.append(row)
            progress(1, desc="เสร็จสิ้น")
        table_rows, summary = ctx.corpus_rows("")
        return render.upload_results_html(rows), None, table_rows, summary

    return dict(respond=respond, clear=clear, on_like=on_like, on_comment=on_comment, corpus=corpus,
                login=login, logout=logout, upload=upload)


# ---------------------------------------------------------------- layout


def build(ctx: Context) -> gr.Blocks:
    h = make_handlers(ctx)
    s = ctx.settings
    try:  # titled by what is indexed when the page is built; law examples need an Act to answer from
        docs = ctx.assistant.index.documents()
    except Exception:  # noqa: BLE001 (a damaged index: the status banner says so)
        docs = []
    title, lede = index_title(docs)
    has_law = holds_acts(docs)
    # delete_cache: files sent to the upload widget are removed from gradio's cache after an hour.
    with gr.Blocks(title=title, analytics_enabled=False, fill_width=False, delete_cache=(3600, 3600)) as demo:
        with gr.Column(elem_id="tpa-header"):
            gr.HTML(
                f"<h1>{render.esc(title)}</h1>"
                f"<p>ถามเป็นภาษาไทย {render.esc(lede)} "
                "ทุกประโยคมีเลขอ้างอิง [n] คลิกเพื่อตรวจสอบข้อความต้นฉบับ</p>",
                js_on_load=None,
            )
            # filled at build so the line is there from the first paint (the tabs must not jump);
            # each page load refreshes it
            status = gr.Markdown(_initial_status(ctx), elem_id="tpa-status")
        turns = gr.State([])
        last_feedback = gr.State(None)
        with gr.Tabs(elem_id="tpa-tabs") as tabs:
            with gr.Tab("ถาม-ตอบ", id="chat"):
                with gr.Row(equal_height=False, elem_id="tpa-chat-row"):
                    with gr.Column(scale=6, min_width=420):
                        chat = gr.Chatbot(
                            label="บทสนทนา", show_label=False, elem_id="tpa-chat", height=560, sanitize_html=True,
                            render_markdown=True, latex_delimiters=[], line_breaks=False, allow_tags=False,
                            feedback_options=("Like", "Dislike"), buttons=["copy"],
                            placeholder="<b>สวัสดีครับ/ค่ะ</b><br>พิมพ์คำถามด้านล่าง หรือเลือกตัวอย่างคำถามใต้ช่องพิมพ์",
                            group_consecutive_messages=False,
                        )
                        with gr.Row():
                            box = gr.Textbox(
                                placeholder="พิมพ์คำถาม เช่น แนวทางที่ 7 คืออะไร", show_label=False, scale=8,
                                max_length=MAX_QUESTION, elem_id="tpa-question", lines=1, max_lines=4, submit_btn=False,
                            )
                            send = gr.Button("ถาม", variant="primary", scale=1, min_width=80, elem_id="tpa-send")
                            clear = gr.Button("เริ่มใหม่", scale=1, min_width=100, elem_id="tpa-clear")
                        fb_status = gr.Markdown(
                            "กดปุ่มถูกใจหรือไม่ถูกใจใต้คำตอบ เพื่อบอกว่าคำตอบถูกต้องหรือไม่", elem_id="tpa-feedback-status"
                        )
                        with gr.Row():
                            comment = gr.Textbox(
                                placeholder="ความคิดเห็นเพิ่มเติมต่อคำตอบ (ไม่บังคับ) เช่น ควรอ้างอิงมาตราใด",
                                show_label=False, scale=8, max_length=2000, elem_id="tpa-comment",
                            )
                            send_comment = gr.Button("ส่งความคิดเห็น", scale=2, min_width=120, elem_id="tpa-comment-send")
                    with gr.Column(scale=5, min_width=360):
                        gr.Markdown("### แหล่งอ้างอิง", elem_id="tpa-cards-title")
                        cards = gr.HTML(render.cards_html([]), elem_id="tpa-cards-box", js_on_load=None)
                with gr.Accordion("ตัวอย่างคำถามสำหรับวิทยากร (คลิกเพื่อถาม)", open=True, elem_classes="tpa-examples"):
                    example_buttons = []
                    for g in ctx.examples:
                        if g.needs_law and not has_law:
                            continue
                        gr.Markdown(f"**{render.esc_md(g.title)}**")
                        if g.note:
                            gr.Markdown(render.esc_md(g.note), elem_classes="tpa-group-note")
                        with gr.Row(elem_classes="tpa-example-row"):
                            for q in g.questions:
                                example_buttons.append(gr.Button(q, size="sm", elem_classes="tpa-example"))
                viewer.attach(ctx.assistant.index, turns)

            with gr.Tab("แนวทาง 10 ข้อ", id="guidelines") as guidelines_tab:
                gr.Markdown(
                    "แนวทางการพัฒนาเมืองอัจฉริยะ 10 แนวทาง จากการประชุมผู้เชี่ยวชาญ (EGM) 30 เมษายน 2567 "
                    "ชื่อแนวทางเป็นถ้อยคำตามเอกสาร คำอธิบายเป็นการสรุปของโครงการ ข้อความด้านล่างคือข้อความในดัชนี "
                    "(พระราชบัญญัติ มติคณะรัฐมนตรี ข่าว) ที่ระบบติดป้ายว่าเกี่ยวข้องกับแนวทางนั้น",
                    elem_id="tpa-gl-intro",
                )
                gl_pick = gr.Radio(ctx.guideline_choices(), value=None, label="เลือกแนวทาง", elem_id="tpa-gl-pick")
                gl_view = gr.HTML(ctx.guideline_view(None), elem_id="tpa-gl-view", js_on_load=None)

            with gr.Tab("ฝึกอบรม (สถานการณ์จำลอง)", id="trainer"):
                gr.Markdown(
                    "สถานการณ์จำลองสำหรับวิทยากร แนวทางละหนึ่งกรณี: สถานการณ์ที่ อปท. เผชิญ คำถามชวนคิด "
                    "(คลิกเพื่อถามในแท็บถาม-ตอบ) และประเด็นสำคัญที่คำตอบที่ดีควรมี พร้อมแหล่งที่มา",
                    elem_id="tpa-trainer-intro",
                )
                trainer_buttons = []
                for sc in ctx.scenarios:
                    g = ctx.guidelines.get(sc["guideline"])
                    head = f"แนวทางที่ {sc['guideline']}" + (f" · {g.short or g.title}" if g else "")
                    with gr.Accordion(head, open=sc["guideline"] == ctx.scenarios[0]["guideline"],
                                      elem_id=f"tpa-trainer-{sc['guideline']}", elem_classes="tpa-trainer"):
                        gr.HTML(render.scenario_html(sc, g, ctx.guidelines.summary_label, ctx.doc_titles()), js_on_load=None)
                        with gr.Row(elem_classes="tpa-example-row"):
                            for q in sc["questions"]:
                                trainer_buttons.append(gr.Button(q, size="sm", elem_classes=["tpa-example", "tpa-trainer-q"]))

            with gr.Tab("เอกสารในระบบ", id="corpus") as corpus_tab:
                with gr.Row():
                    doc_filter = gr.Textbox(placeholder="ค้นหาชื่อเอกสาร ประเภท หรือรหัสเอกสาร", show_label=False,
                                            scale=8, elem_id="tpa-doc-filter")
                    refresh = gr.Button("รีเฟรช", scale=1, min_width=80)
                doc_summary = gr.Markdown(elem_id="tpa-doc-summary")
                doc_table = gr.Dataframe(
                    headers=["ชื่อเอกสาร", "ประเภท", "กลุ่ม", "จำนวนช่วงข้อความ", "นำเข้าเมื่อ", "ไฟล์ต้นฉบับ"],
                    datatype=["str", "str", "str", "number", "str", "str"], interactive=False, wrap=True,
                    elem_id="tpa-doc-table", max_height=600, column_widths=["36%", "11%", "12%", "10%", "13%", "18%"],
                )

            with gr.Tab("อัปโหลดเอกสาร" + ("" if ctx.users.enabled else " (ปิดอยู่)"), id="upload"):
                if ctx.users.enabled:
                    user_state = gr.State(None)
                    upload_token = gr.Textbox(visible=False, elem_id="tpa-upload-token")
                    with gr.Group(visible=True) as login_box:
                        gr.Markdown("เข้าสู่ระบบเพื่ออัปโหลดเอกสารเข้าสู่ดัชนี")
                        user_in = gr.Textbox(label="ชื่อผู้ใช้", elem_id="tpa-user")
                        pw_in = gr.Textbox(label="รหัสผ่าน", type="password", elem_id="tpa-password")
                        login_btn = gr.Button("เข้าสู่ระบบ", variant="primary", elem_id="tpa-login")
                    login_msg = gr.Markdown(elem_id="tpa-login-msg")
                    with gr.Column(visible=False) as upload_box:
                        types = ", ".join(sorted(x.lstrip(".") for x in SUPPORTED))
                        gr.Markdown(
                            f"เลือกไฟล์ ({render.esc_md(types)}) ขนาดไม่เกิน {s.max_file_mb} MB ต่อไฟล์ "
                            "เอกสารที่นำเข้าแล้วค้นหาได้ทันทีโดยไม่ต้องเริ่มระบบใหม่"
                        )
                        files = gr.File(
                            label="ไฟล์เอกสาร", file_count="multiple", file_types=sorted(SUPPORTED),
                            elem_id="tpa-files",
                        )
                        with gr.Row():
                            ingest_btn = gr.Button("นำเข้าเอกสาร", variant="primary", elem_id="tpa-ingest")
                            logout_btn = gr.Button("ออกจากระบบ", elem_id="tpa-logout")
                        results = gr.HTML(elem_id="tpa-upload-results", js_on_load=None)
                else:
                    gr.HTML(
                        '<div class="tpa-note"><b>การอัปโหลดปิดอยู่</b>: ยังไม่ได้ตั้งชื่อผู้ใช้และรหัสผ่านสำหรับอัปโหลด '
                        "กรุณาติดต่อผู้ดูแลระบบ"
                        '<details class="tpa-more"><summary>รายละเอียด (สำหรับผู้ดูแลระบบ)</summary>'
                        "ตั้งค่าด้วยตัวแปร <code>ASSISTANT_UI_USER</code> และ <code>ASSISTANT_UI_PASSWORD</code> "
                        "หรือไฟล์ <code>ui-users.json</code> ในโฟลเดอร์ดัชนี (หรือ <code>--users FILE</code>) "
                        "แล้วเริ่มระบบใหม่</details></div>",
                        elem_id="tpa-upload-disabled", js_on_load=None,
                    )
            if ctx.users.enabled:  # the review tab shows itself to logged-in reviewers only
                review.tab(ctx, user_state)

        # ---- events
        outs = [chat, turns, cards, box]
        chat_kw = dict(concurrency_id="chat", concurrency_limit=4, show_progress="hidden")
        box.submit(h["respond"], [box, chat, turns], outs, api_visibility="private", **chat_kw)
        send.click(h["respond"], [box, chat, turns], outs, api_visibility="private", **chat_kw)
        for b in example_buttons:
            b.click(h["respond"], [b, chat, turns], outs, api_visibility="private", **chat_kw)
        for b in trainer_buttons:  # a trainer question: to the chat tab, then ask it there
            b.click(lambda: gr.Tabs(selected="chat"), None, tabs, api_visibility="private", queue=False).then(
                h["respond"], [b, chat, turns], outs, api_visibility="private", **chat_kw)
        gl_pick.change(ctx.guideline_view, [gl_pick], gl_view, api_visibility="private", concurrency_id="guidelines",
                       concurrency_limit=2)
        clear.click(h["clear"], None, [chat, turns, cards, last_feedback, comment], api_visibility="private", queue=False)
        chat.clear(h["clear"], None, [chat, turns, cards, last_feedback, comment], api_visibility="private", queue=False)
        chat.like(h["on_like"], [turns], [last_feedback, fb_status], api_visibility="private")
        send_comment.click(h["on_comment"], [comment, last_feedback, turns], [comment, last_feedback, fb_status],
                           api_visibility="private")
        comment.submit(h["on_comment"], [comment, last_feedback, turns], [comment, last_feedback, fb_status],
                       api_visibility="private")

        doc_filter.change(h["corpus"], [doc_filter], [doc_table, doc_summary], api_visibility="private",
                          show_progress="hidden")
        refresh.click(h["corpus"], [doc_filter], [doc_table, doc_summary], api_visibility="private")
        corpus_tab.select(h["corpus"], [doc_filter], [doc_table, doc_summary], api_visibility="private",
                          show_progress="hidden")
        demo.load(lambda: ctx.status_line(), None, status, api_visibility="private", queue=False, show_progress="hidden")
        demo.load(h["corpus"], [doc_filter], [doc_table, doc_summary], api_visibility="private", queue=False)

        if ctx.users.enabled:
            # The upload token goes into a cookie, which Gradio's upload route (UploadGate) asks for.
            set_cookie = (f"(t) => {{ document.cookie = '{UPLOAD_COOKIE}=' + (t || '') + '; path=/; SameSite=Strict'"
                          "+ (t ? '' : '; max-age=0'); }")
            login_io = ([user_in, pw_in, user_state, upload_token],
                        [user_state, login_box, upload_box, login_msg, pw_in, upload_token])
            for trigger in (login_btn.click, pw_in.submit):
                trigger(h["login"], *login_io, api_visibility="private", concurrency_id="login",
                        concurrency_limit=2).then(None, [upload_token], None, js=set_cookie, api_visibility="private")
            logout_btn.click(h["logout"], [upload_token], [user_state, login_box, upload_box, login_msg, files, results, upload_token],
                             api_visibility="private", queue=False).then(None, [upload_token], None, js=set_cookie,
                                                                         api_visibility="private")
            ingest_btn.click(h["upload"], [files, user_state], [results, files, doc_table, doc_summary],
                             api_visibility="private", concurrency_id="ingest", concurrency_limit=1).then(
                lambda: ctx.status_line(), None, status, api_visibility="private", queue=False)

        # A plain API for scripts and load tests: {"question", "history"} → the answer as JSON.
        def api_ask(question: str, history: list[str] | None = None) -> dict:
            """Answer a Thai question from the indexed documents, with citations."""
            try:
                q = validate.question(question, s)
                past = validate.history(history, s)
                d = ctx.assistant.ask(q, history=past).to_dict()
            except (validate.InputError, IndexDamaged) as exc:
                raise gr.Error(exc.thai) from None
            d["hits"] = [{k: h[k] for k in ("doc_id", "title", "location", "score")} for h in d["hits"]]
            return d

        gr.api(api_ask, api_name="ask", concurrency_id="chat", concurrency_limit=4)
    return demo


def theme() -> gr.themes.Base:
    stack = ["TPA Thai", "Waree", "Loma", "Garuda", "Noto Sans Thai", "Sarabun", "Tahoma", "sans-serif"]
    return gr.themes.Soft(
        primary_hue="teal", secondary_hue="amber", neutral_hue="slate",
        font=stack, font_mono=["Tlwg Mono", "ui-monospace", "monospace"],
    )


def launch(ctx: Context, host: str = "127.0.0.1", port: int = 7860, *, block: bool = True, concurrency: int = 4):
    """Start the server. Returns (demo, url); with block=True, serves until interrupted."""
    from starlette.middleware import Middleware

    font = fonts.prepare(Path(ctx.settings.home) / "ui-static" / "fonts")
    if font.folder is None:
        log.warning("no Thai font file found (apt-get install fonts-thai-tlwg); using the browser's fonts")
    css = font.css + "\n" + CSS_FILE.read_text(encoding="utf-8")
    demo = build(ctx)
    demo.queue(default_concurrency_limit=concurrency, max_size=256)
    _, url, _ = demo.launch(
        server_name=host, server_port=port, share=False, prevent_thread_lock=True, quiet=True, show_error=False,
        theme=theme(), css=css, js=JS_FILE.read_text(encoding="utf-8"),
        allowed_paths=[str(font.folder)] if font.folder else None,
        max_file_size=f"{ctx.settings.max_file_mb}mb", footer_links=["api", "settings"],
        ssr_mode=False, pwa=False, mcp_server=False, enable_monitoring=False, inbrowser=False,
        state_session_capacity=2000,
        # Gradio's upload route takes files from anyone by default; only logged-in sessions here.
        app_kwargs={"middleware": [Middleware(UploadGate, tokens=ctx.upload_tokens)]},
    )
    if block:
        demo.block_thread()
    return demo, url
