"""The review tab: reviewers run a question set against the live index, see per question what was
answered against what was expected, and record verdicts (stored by assistant.review).

Only logged-in users with the reviewer role (ui/auth.py) see the tab, and every handler checks the
role again on the server: the tab being hidden is not the protection. A run answers its questions
in a background thread through `Assistant.ask`, the same call the chat makes, so the chat stays
usable and a page reload finds the run where it is. Automatic verdicts come from assistant.judge,
the same rules as the evaluation reports.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

from assistant.review import VERDICTS, ReviewError, ReviewStore, write_export
from ui import render

log = logging.getLogger("assistant.ui.review")

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS_DIR = ROOT / "eval" / "questions"
SHARED_DEV = ROOT.parent / "shared" / "eval" / "domain_dev" / "questions.jsonl"
REPORTS_DIR = ROOT / "eval" / "reports"
MAX_QUESTIONS = 1000

VERDICT_TH = {"correct": "ถูกต้อง", "partly": "ถูกบางส่วน", "wrong": "ผิด", "should_refuse": "ควรปฏิเสธ"}
KIND_TH = {"lexical": "ตรงตัวอักษร", "paraphrase": "ถามด้วยคำของตนเอง", "multi": "หลายเอกสาร",
           "out_of_scope": "นอกขอบเขต", "needs_review": "รอตรวจ (จากความคิดเห็น)"}
FILTERS = [("ทั้งหมด", "all"), ("ยังไม่ตัดสิน", "unjudged"), *((VERDICT_TH[v], v) for v in VERDICTS),
           ("ค้นไม่พบใน 5 อันดับแรก", "miss"), ("ไม่มีคำสำคัญของคำตอบ", "nokeys"), ("ปฏิเสธผิดพลาด", "badrefusal")]


# ---------------------------------------------------------------- question sets


def question_sets(feedback=None) -> list[tuple[str, str]]:
    """(label, key) of the sets a reviewer can run; the upload box is the other way in."""
    from assistant.judge import load_questions

    out = []
    for p in sorted(QUESTIONS_DIR.glob("*.jsonl")):
        try:
            n = len(load_questions(p))
        except ValueError:  # another format (support_pairs.jsonl)
            continue
        out.append((f"ชุดคำถามของโครงการ: {p.stem} ({n} ข้อ)", f"project:{p.stem}"))
    if SHARED_DEV.is_file():
        out.append(("ชุด domain_dev ใน ../shared/eval", "shared:domain_dev"))
    if feedback is not None:
        out.append(("ความคิดเห็นของเจ้าหน้าที่ (ถูกใจ/ไม่ถูกใจ)", "feedback"))
    out.append(("ไฟล์ที่อัปโหลด (JSONL รูปแบบชุดคำถาม)", "upload"))
    return out


def load_set(key: str, upload=None, feedback=None) -> tuple[str, list[dict]]:
    """(name, rows in the evaluation format). Raises ReviewError with a Thai message."""
    from assistant.judge import load_questions, question_from

    try:
        if key.startswith("project:"):
            path = QUESTIONS_DIR / f"{key.split(':', 1)[1]}.jsonl"
            if path.parent != QUESTIONS_DIR or not path.is_file():
                raise ReviewError("ไม่พบชุดคำถามนี้")
            qs, name = load_questions(path), f"eval/questions/{path.name}"
        elif key == "shared:domain_dev":
            qs, name = load_questions(SHARED_DEV, blind=True), "../shared/eval/domain_dev/questions.jsonl"
        elif key == "feedback":
            from assistant.feedback import NONE, as_eval_question

            rows = [as_eval_question(r) for r in feedback.rows() if r.rating != NONE or r.comment]
            qs, name = [question_from(r) for r in rows], "feedback"
        elif key == "upload":
            if not upload:
                raise ReviewError("กรุณาเลือกไฟล์ชุดคำถาม (.jsonl) ก่อน")
            path = Path(getattr(upload, "name", upload))
            qs, name = load_questions(path), f"อัปโหลด: {path.name}"
        else:
            raise ReviewError("กรุณาเลือกชุดคำถาม")
    except (ValueError, TypeError, OSError) as exc:
        if isinstance(exc, ReviewError):
            raise
        raise ReviewError(f"อ่านชุดคำถามไม่ได้: {exc}") from None
    if not qs:
        raise ReviewError("ชุดคำถามนี้ไม่มีคำถาม")
    if len(qs) > MAX_QUESTIONS:
        raise ReviewError(f"ชุดคำถามมี {len(qs)} ข้อ เกินขีดจำกัด {MAX_QUESTIONS} ข้อต่อรอบ")
    return name, [{k: v for k, v in asdict(q).items() if k != "split"} for q in qs]


# ---------------------------------------------------------------- running


class Runner:
    """Answers a run's questions one after another in a daemon thread; one run at a time, so a
    reviewer's run never takes more than one of the chat's cores."""

    def __init__(self, assistant, store: ReviewStore):
        self.assistant = assistant
        self.store = store
        self._busy = threading.Lock()

    def start(self, name: str, source: str, reviewer: str, rows: list[dict]) -> int:
        if not self._busy.acquire(blocking=False):
            raise ReviewError("กำลังตรวจชุดคำถามอื่นอยู่ กรุณารอให้เสร็จก่อน")
        try:
            run_id = self.store.new_run(name, source, reviewer, rows, self.assistant.index.generation)
        except Exception:
            self._busy.release()
            raise
        threading.Thread(target=self._work, args=(run_id, rows), daemon=True, name=f"review-{run_id}").start()
        return run_id

    def _work(self, run_id: int, rows: list[dict]) -> None:
        from assistant.judge import judge, question_from

        status = "done"
        try:
            for row in rows:
                q = question_from(row)
                t = time.perf_counter()
                try:
                    ans = self.assistant.ask(q.question)
                except Exception as exc:  # one bad question must not end the run
                    log.exception("review run %s: %s failed", run_id, q.qid)
                    self.store.record(run_id, q.qid, answer="", citations=[], auto={}, seconds=time.perf_counter() - t,
                                      error=f"{type(exc).__name__}: {exc}")
                    continue
                cites = [{k: c.get(k) for k in ("n", "doc_id", "title", "location", "quote", "text")}
                         for c in (c.to_dict() for c in ans.citations)]
                self.store.record(run_id, q.qid, answer=ans.answer, citations=cites, auto=judge(q, ans),
                                  seconds=time.perf_counter() - t)
        except Exception:
            log.exception("review run %s failed", run_id)
            status = "failed"
        finally:
            self.store.finish(run_id, status)
            self._busy.release()


# ---------------------------------------------------------------- figures and HTML


def _rate(values) -> tuple[int, int]:
    vals = [v for v in values if v is not None]
    return sum(1 for v in vals if v), len(vals)


def run_summary(items: list[dict]) -> dict:
    done = [it for it in items if it["answered"]]
    auto = [it["auto"] for it in done]
    in_scope = [a for a in auto if a.get("should_refuse") is False]
    out = {
        "questions": len(items), "answered": len(done),
        "retrieval_hit": _rate(a.get("retrieval_hit") for a in auto),
        "keys_present": _rate(a.get("keys_present") for a in auto),
        "refused_ok": _rate(a.get("refused") for a in auto if a.get("should_refuse") is True),
        "false_refusal": _rate(a.get("refused") for a in in_scope),
        "verdicts": {v: sum(1 for it in items if it["verdict"] == v) for v in VERDICTS},
        "unjudged": sum(1 for it in items if not it["verdict"]),
    }
    secs = sorted(it["seconds"] for it in done if it.get("seconds") is not None)
    out["median_s"] = secs[len(secs) // 2] if secs else None
    return out


def _pct(pair: tuple[int, int]) -> str:
    k, n = pair
    return f"{k}/{n} ({100 * k / n:.0f}%)" if n else "–"


def summary_html(run: dict | None, items: list[dict]) -> str:
    if not run:
        return '<p class="tpa-none">ยังไม่ได้เลือกรอบการตรวจ</p>'
    s = run_summary(items)
    status = {"running": "กำลังตรวจ", "done": "เสร็จแล้ว", "failed": "ล้มเหลว", "interrupted": "หยุดกลางคัน"}.get(run["status"], run["status"])
    figures = [
        ("ตอบแล้ว", f"{s['answered']}/{s['questions']}"),
        ("ค้นพบหลักฐานใน 5 อันดับแรก", _pct(s["retrieval_hit"])),
        ("คำตอบมีคำสำคัญที่คาดไว้", _pct(s["keys_present"])),
        ("ปฏิเสธคำถามนอกขอบเขตถูกต้อง", _pct(s["refused_ok"])),
        ("ปฏิเสธคำถามที่ควรตอบ", _pct(s["false_refusal"])),
        ("เวลาตอบ (มัธยฐาน)", f"{s['median_s']:.2f} วินาที" if s["median_s"] is not None else "–"),
    ]
    verdicts = " · ".join(f"{VERDICT_TH[v]} {n}" for v, n in s["verdicts"].items()) + f" · ยังไม่ตัดสิน {s['unjudged']}"
    cells = "".join(f'<div class="tpa-fig"><div class="tpa-fig-v">{render.esc(v)}</div><div class="tpa-fig-k">{render.esc(k)}</div></div>'
                    for k, v in figures)
    return (
        f'<div class="tpa-rv-sum" data-run="{int(run["run_id"])}"><div class="tpa-rv-runline">รอบที่ {int(run["run_id"])} · '
        f'{render.esc(run["name"])} · {render.esc(status)} · ผู้ตรวจ {render.esc(run["reviewer"])} · '
        f'{render.when(run["created_at"])} · ดัชนีรุ่นที่ {render.esc(run["index_generation"])}</div>'
        f'<div class="tpa-figs">{cells}</div><div class="tpa-rv-verdicts">ผลตัดสินของผู้ตรวจ: {render.esc(verdicts)}</div></div>'
    )


def progress_html(run: dict | None) -> str:
    if not run:
        return ""
    total, done = max(1, int(run["total"])), int(run["done"])
    pct = 100 * done / total
    label = "เสร็จแล้ว" if run["status"] == "done" else ("กำลังตรวจ" if run["status"] == "running" else run["status"])
    return (f'<div class="tpa-rv-progress" data-status="{render.esc(run["status"])}" data-done="{done}" data-total="{total}">'
            f'<div class="tpa-rv-bar"><div style="width:{pct:.1f}%"></div></div>'
            f'<span>รอบที่ {int(run["run_id"])}: {render.esc(label)} {done}/{int(run["total"])} ข้อ</span></div>')


def _mark(v) -> str:
    if v is None:
        return '<span class="tpa-auto tpa-na" title="ไม่เกี่ยวข้องกับคำถามนี้">–</span>'
    return '<span class="tpa-auto tpa-yes">ใช่</span>' if v else '<span class="tpa-auto tpa-no">ไม่</span>'


_RIGHT = {True: "tpa-yes", False: "tpa-no"}  # a refusal cell is coloured by whether the refusal was right


def _yes_no(v) -> str:
    return "–" if v is None else ("ใช่" if v else "ไม่")


def _matches(it: dict, kind: str, flt: str) -> bool:
    a = it["auto"] or {}
    if kind not in ("", "all", None) and it["kind"] != kind:
        return False
    return {
        "all": True, "unjudged": not it["verdict"], "miss": a.get("retrieval_hit") is False,
        "nokeys": a.get("keys_present") is False, "badrefusal": a.get("refusal_ok") is False,
    }.get(flt or "all", it["verdict"] == flt)


def table_html(items: list[dict], kind: str = "all", flt: str = "all") -> str:
    shown = [it for it in items if _matches(it, kind, flt)]
    if not items:
        return '<p class="tpa-none">ยังไม่มีคำถามในรอบนี้</p>'
    rows = []
    for it in shown:
        a = it["auto"] or {}
        cites = "".join(
            f'<li><span class="tpa-n">[{int(c.get("n") or 0)}]</span> <span class="tpa-doc">{render.esc(c.get("doc_id", ""))}</span>'
            + (f' · <span class="tpa-loc">{render.esc(c.get("location", ""))}</span>' if c.get("location") else "") + "</li>"
            for c in it["citations"])
        expected = (
            (f'<div><b>เอกสาร:</b> {render.esc(", ".join(it["gold_doc_ids"]))}</div>' if it["gold_doc_ids"] else
             '<div><b>ควรปฏิเสธ</b> (ไม่มีเอกสารเฉลย)</div>' if it["kind"] != "needs_review" else "")
            + "".join(f'<div class="tpa-rv-ev">“{render.esc(e)}”</div>' for e in it["evidence"])
            + (f'<div><b>คำสำคัญ:</b> {render.esc(" | ".join(it["answer_keys"]))}</div>' if it["answer_keys"] else "")
        )
        answer = render.esc_lines(it["answer"]) if it["answered"] else '<i>ยังไม่ได้ตอบ</i>'
        if it.get("error"):
            answer = f'<span class="tpa-no">ผิดพลาด: {render.esc(it["error"])}</span>'
        rank = a.get("hit_rank")
        verdict = VERDICT_TH.get(it["verdict"], "")
        rows.append(
            f'<tr data-qid="{render.esc(it["qid"])}" data-verdict="{render.esc(it["verdict"])}">'
            f'<td class="tpa-rv-qid">{render.esc(it["qid"])}<div class="tpa-rv-kind">{render.esc(KIND_TH.get(it["kind"], it["kind"]))}</div></td>'
            f'<td>{render.esc(it["question"])}</td>'
            f'<td class="tpa-rv-answer">{"<b>ปฏิเสธ:</b> " if a.get("refused") else ""}<div class="tpa-rv-text">{answer}</div>'
            f'<ul class="tpa-rv-cites">{cites}</ul></td>'
            f'<td class="tpa-rv-expected">{expected}</td>'
            f'<td>{_mark(a.get("retrieval_hit"))}{f" <small>อันดับ {int(rank)}</small>" if rank else ""}</td>'
            f'<td>{_mark(a.get("keys_present"))}</td>'
            f'<td class="tpa-rv-refusal {_RIGHT.get(a.get("refusal_ok"), "")}">{_yes_no(a.get("refused"))} / '
            f'{_yes_no(a.get("should_refuse"))}</td>'
            f'<td class="tpa-rv-verdict">{render.esc(verdict) or "<i>ยังไม่ตัดสิน</i>"}'
            f'<div class="tpa-rv-comment">{render.esc(it["comment"])}</div></td></tr>'
        )
    head = ("<tr><th>รหัส</th><th>คำถาม</th><th>คำตอบและแหล่งอ้างอิง</th><th>ที่คาดไว้ (หลักฐาน / คำสำคัญ)</th>"
            "<th>ค้นพบใน 5 อันดับ</th><th>มีคำสำคัญ</th><th>ปฏิเสธ / ควรปฏิเสธ</th><th>ผลตัดสินของผู้ตรวจ</th></tr>")
    return (f'<p class="tpa-rv-count">แสดง {len(shown)} จาก {len(items)} ข้อ</p>'
            f'<table class="tpa-rv-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>')


def compare_html(run_a: dict | None, a: list[dict], run_b: dict | None, b: list[dict]) -> str:
    """Two runs side by side: the questions whose automatic or manual verdicts differ."""
    if not run_a or not run_b:
        return '<p class="tpa-none">เลือกสองรอบที่จะเทียบกัน</p>'
    before = {it["qid"]: it for it in a}
    keys = ("retrieval_hit", "keys_present", "refused")
    rows, same = [], 0
    for it in b:
        old = before.get(it["qid"])
        if old is None:
            continue
        changed = [k for k in keys if (old["auto"] or {}).get(k) != (it["auto"] or {}).get(k)]
        if old["verdict"] != it["verdict"]:
            changed.append("verdict")
        if not changed:
            same += 1
            continue
        label = {"retrieval_hit": "ค้นพบ", "keys_present": "คำสำคัญ", "refused": "ปฏิเสธ", "verdict": "ผลตัดสิน"}
        rows.append(
            f'<tr data-qid="{render.esc(it["qid"])}"><td>{render.esc(it["qid"])}</td><td>{render.esc(it["question"])}</td>'
            f'<td>{render.esc(", ".join(label[c] for c in changed))}</td>'
            f'<td>{render.esc_lines(old["answer"][:400])}<div>{render.esc(VERDICT_TH.get(old["verdict"], ""))}</div></td>'
            f'<td>{render.esc_lines(it["answer"][:400])}<div>{render.esc(VERDICT_TH.get(it["verdict"], ""))}</div></td></tr>')
    head = (f'<p>รอบที่ {int(run_a["run_id"])} → รอบที่ {int(run_b["run_id"])}: เปลี่ยน {len(rows)} ข้อ, เหมือนเดิม {same} ข้อ</p>')
    if not rows:
        return head
    return (head + '<table class="tpa-rv-table tpa-rv-compare"><thead><tr><th>รหัส</th><th>คำถาม</th><th>สิ่งที่เปลี่ยน</th>'
            f'<th>รอบที่ {int(run_a["run_id"])}</th><th>รอบที่ {int(run_b["run_id"])}</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def latest_report(reports_dir: Path = REPORTS_DIR) -> tuple[str, list[str]]:
    """(HTML of the latest committed domain report's headline figures, its plot files)."""
    reports = sorted(p for p in reports_dir.glob("*.json") if not p.name.startswith("bench"))
    for p in reversed(reports):
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
            split = data["domain"]["splits"].get("test") or next(iter(data["domain"]["splits"].values()))
        except (ValueError, KeyError, StopIteration, AttributeError):
            continue
        hy, ans = split["retrieval"].get("hybrid", {}), split["answers"]
        figs = [("Recall@5 (hybrid)", hy.get("R@5")), ("MRR@10 (hybrid)", hy.get("MRR@10")),
                ("คำตอบมีคำสำคัญ", ans.get("answer_key_hit")), ("ความแม่นยำของการอ้างอิง", ans.get("citation_precision")),
                ("ปฏิเสธคำถามนอกขอบเขตถูกต้อง", ans.get("refusal_accuracy")), ("ปฏิเสธคำถามที่ควรตอบ", ans.get("false_refusal"))]
        cells = "".join(f'<div class="tpa-fig"><div class="tpa-fig-v">{v:.3f}</div><div class="tpa-fig-k">{render.esc(k)}</div></div>'
                        for k, v in figs if isinstance(v, (int, float)))
        plots = [str(reports_dir / name) for name in data.get("plots", []) if (reports_dir / name).is_file()]
        plots = plots or [str(x) for x in sorted(reports_dir.glob(p.stem.rsplit("-", 1)[0] + "-*.png"))]
        html = (f'<div class="tpa-rv-sum"><div class="tpa-rv-runline">รายงานล่าสุด: eval/reports/{render.esc(p.name)} '
                f'({render.esc(data.get("date", ""))}, ชุด test {int(hy.get("n", 0))} ข้อที่มีเฉลย)</div><div class="tpa-figs">{cells}</div></div>')
        return html, plots
    return '<p class="tpa-none">ยังไม่มีรายงานใน eval/reports</p>', []


# ---------------------------------------------------------------- the tab


def tab(ctx, user_state) -> None:
    """Build the review tab (hidden until a reviewer logs in) and wire its events."""
    import gradio as gr

    store = ReviewStore.for_index(ctx.settings.index_dir)
    store.interrupted()  # runs of an earlier process that never finished
    runner = Runner(ctx.assistant, store)
    users = ctx.users

    def allowed(user):
        if not users.is_reviewer(user):
            raise gr.Error("สำหรับผู้ตรวจคำตอบที่เข้าสู่ระบบแล้วเท่านั้น")

    def run_choices():
        return [(f"รอบที่ {r['run_id']} · {r['name']} · {render.when(r['created_at'])} ({r['done']}/{r['total']})", r["run_id"])
                for r in store.runs()]

    def q_choices(run_id):
        return [(f"{it['qid']} · {it['question'][:70]}", it["qid"]) for it in store.items(run_id)] if run_id else []

    def show_run(user, run_id, kind, flt):
        allowed(user)
        run = store.run(int(run_id)) if run_id else None
        items = store.items(run["run_id"]) if run else []
        return summary_html(run, items), table_html(items, kind, flt), progress_html(run)

    with gr.Tab("ตรวจคำตอบ", id="review", visible=False) as review_tab:
        gr.Markdown(
            "สำหรับผู้ตรวจคำตอบ: เลือกชุดคำถาม กดเริ่มตรวจ ระบบจะถามทีละข้อ (ระหว่างนั้นใช้แชตได้ตามปกติ) "
            "แล้วแสดงคำตอบเทียบกับสิ่งที่คาดไว้ ผลอัตโนมัติ และให้บันทึกผลตัดสินพร้อมความเห็น",
            elem_id="tpa-rv-intro")
        with gr.Row(equal_height=False):
            set_pick = gr.Dropdown([], label="ชุดคำถาม", elem_id="tpa-rv-set", scale=4)
            set_file = gr.File(label="หรืออัปโหลดชุดคำถาม (.jsonl)", file_types=[".jsonl"], elem_id="tpa-rv-file",
                               scale=3, height=110)
            start = gr.Button("เริ่มตรวจ", variant="primary", elem_id="tpa-rv-start", scale=1)
        progress = gr.HTML("", elem_id="tpa-rv-progress", js_on_load=None)
        with gr.Row():
            run_pick = gr.Dropdown([], label="รอบการตรวจ", elem_id="tpa-rv-run", scale=4)
            kind_pick = gr.Dropdown([("ทุกประเภท", "all"), *((v, k) for k, v in KIND_TH.items())], value="all",
                                    label="ประเภทคำถาม", elem_id="tpa-rv-kind", scale=2)
            flt_pick = gr.Dropdown(FILTERS, value="all", label="กรองตามผล", elem_id="tpa-rv-filter", scale=2)
            # a run started from another page (or before a reload) is not followed live: this re-reads it
            refresh = gr.Button("รีเฟรช", elem_id="tpa-rv-refresh", scale=1, min_width=80)
        summary = gr.HTML("", elem_id="tpa-rv-summary", js_on_load=None)
        with gr.Group(elem_id="tpa-rv-judge"):
            with gr.Row(equal_height=False):
                q_pick = gr.Dropdown([], label="คำถามที่จะบันทึกผลตัดสิน (หรือคลิกแถวในตาราง)", elem_id="tpa-rv-q", scale=4)
                verdict = gr.Radio([(VERDICT_TH[v], v) for v in VERDICTS], label="ผลตัดสินของผู้ตรวจ",
                                   elem_id="tpa-rv-verdict", scale=3)
            with gr.Row():
                comment = gr.Textbox(placeholder="ความเห็น (ไม่บังคับ) เช่น ควรอ้างมาตรา 5 ด้วย", show_label=False,
                                     max_length=2000, elem_id="tpa-rv-comment", scale=6)
                save = gr.Button("บันทึกผลตัดสิน", variant="primary", elem_id="tpa-rv-save", scale=1)
            saved = gr.Markdown("", elem_id="tpa-rv-saved")
        table = gr.HTML("", elem_id="tpa-rv-table", js_on_load=None)
        pick_req = gr.Textbox(visible="hidden", elem_id="tpa-rv-pick", show_label=False)  # a row clicked (ui.js)
        pick_go = gr.Button(visible="hidden", elem_id="tpa-rv-pick-go")
        with gr.Row():
            exp_jsonl = gr.Button("ส่งออก JSONL", elem_id="tpa-rv-export-jsonl")
            exp_csv = gr.Button("ส่งออก CSV", elem_id="tpa-rv-export-csv")
            exported = gr.File(label="ไฟล์ที่ส่งออก", interactive=False, elem_id="tpa-rv-exported", visible=False)
        with gr.Accordion("เทียบสองรอบ (ข้อใดเปลี่ยนไป)", open=False, elem_id="tpa-rv-compare-box"):
            with gr.Row():
                run_a = gr.Dropdown([], label="รอบก่อน", elem_id="tpa-rv-a")
                run_b = gr.Dropdown([], label="รอบหลัง", elem_id="tpa-rv-b")
                compare = gr.Button("เทียบ", elem_id="tpa-rv-compare")
            compared = gr.HTML("", elem_id="tpa-rv-compared", js_on_load=None)
        with gr.Accordion("รายงานการประเมินล่าสุดใน eval/reports", open=False, elem_id="tpa-rv-report-box"):
            report = gr.HTML("", elem_id="tpa-rv-report", js_on_load=None)
            plots = gr.Gallery(label="กราฟของรายงาน", columns=3, height=300, elem_id="tpa-rv-plots", interactive=False)

    # ---- handlers
    def on_user(user):
        if not users.is_reviewer(user):
            return (gr.Tab(visible=False), gr.update(choices=[], value=None), gr.update(choices=[], value=None),
                    gr.update(choices=[], value=None), gr.update(choices=[], value=None), "", "", "", "", [])
        runs = run_choices()
        latest = runs[0][1] if runs else None
        html, files = latest_report()
        s, t, p = show_run(user, latest, "all", "all")
        sets = question_sets(ctx.feedback)
        return (gr.Tab(visible=True), gr.update(choices=sets, value=sets[0][1] if sets else None),
                gr.update(choices=runs, value=latest), gr.update(choices=runs), gr.update(choices=runs), s, t, p, html, files)

    def on_start(user, key, upload, kind, flt):
        allowed(user)
        try:
            name, rows = load_set(key or "", upload, ctx.feedback)
            run_id = runner.start(name, key or "", user, rows)
        except ReviewError as exc:
            raise gr.Error(str(exc))
        yield progress_html(store.run(run_id)), gr.update(choices=run_choices(), value=run_id), gr.skip(), gr.skip(), gr.skip()
        while True:  # the run goes on in its thread; this only reports it
            time.sleep(0.5)
            run = store.run(run_id)
            if run["status"] != "running":
                break
            yield progress_html(run), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        # the run id was chosen above, so no change event refreshes the table: the last update
        # carries it, with the finished progress bar, so whoever sees "done" sees the answers
        s, t, p = show_run(user, run_id, kind, flt)
        yield p, gr.update(choices=run_choices(), value=run_id), gr.update(choices=q_choices(run_id), value=None), s, t

    def on_run(user, run_id, kind, flt):
        s, t, p = show_run(user, run_id, kind, flt)
        return s, t, p, gr.update(choices=q_choices(run_id), value=None)

    def on_q(user, run_id, qid):
        allowed(user)
        it = next((it for it in store.items(int(run_id)) if it["qid"] == qid), None) if run_id and qid else None
        return (it["verdict"] or None, it["comment"]) if it else (None, "")

    def on_pick(user, run_id, qid):
        allowed(user)
        known = {q for _, q in q_choices(run_id)}
        return gr.update(value=qid) if qid in known else gr.skip()

    def on_save(user, run_id, qid, v, text, kind, flt):
        allowed(user)
        if not run_id or not qid:
            return "กรุณาเลือกรอบและคำถามก่อน", gr.skip(), gr.skip()
        if not v:
            return "กรุณาเลือกผลตัดสิน", gr.skip(), gr.skip()
        try:
            store.set_verdict(int(run_id), qid, v, text or "", user)
        except ReviewError as exc:
            raise gr.Error(str(exc))
        s, t, _ = show_run(user, run_id, kind, flt)
        return f"บันทึกแล้ว: {render.esc_md(qid)} → {VERDICT_TH[v]}", s, t

    def on_export(user, run_id, fmt):
        allowed(user)
        if not run_id:
            raise gr.Error("กรุณาเลือกรอบการตรวจก่อน")
        out = Path(tempfile.mkdtemp(prefix="tpa-review-")) / f"review-run-{int(run_id)}.{fmt}"
        return gr.update(value=str(write_export(store.export_rows(int(run_id)), out)), visible=True)

    def on_compare(user, a, b):
        allowed(user)
        ra, rb = (store.run(int(x)) if x else None for x in (a, b))
        return compare_html(ra, store.items(int(a)) if ra else [], rb, store.items(int(b)) if rb else [])

    kw = dict(api_visibility="private", concurrency_id="review", concurrency_limit=4)
    user_state.change(on_user, [user_state], [review_tab, set_pick, run_pick, run_a, run_b, summary, table, progress, report,
                                              plots], **kw)
    start.click(on_start, [user_state, set_pick, set_file, kind_pick, flt_pick], [progress, run_pick, q_pick, summary, table],
                api_visibility="private",
                concurrency_id="review-run", concurrency_limit=2, show_progress="hidden")
    for trig in (run_pick, kind_pick, flt_pick):
        trig.change(on_run, [user_state, run_pick, kind_pick, flt_pick], [summary, table, progress, q_pick], **kw)
    refresh.click(lambda u: gr.update(choices=run_choices()) if users.is_reviewer(u) else gr.skip(), [user_state], run_pick,
                  **kw).then(on_run, [user_state, run_pick, kind_pick, flt_pick], [summary, table, progress, q_pick], **kw)
    q_pick.change(on_q, [user_state, run_pick, q_pick], [verdict, comment], **kw)
    pick_go.click(on_pick, [user_state, run_pick, pick_req], q_pick, **kw)
    save.click(on_save, [user_state, run_pick, q_pick, verdict, comment, kind_pick, flt_pick], [saved, summary, table], **kw)
    exp_jsonl.click(lambda u, r: on_export(u, r, "jsonl"), [user_state, run_pick], exported, **kw)
    exp_csv.click(lambda u, r: on_export(u, r, "csv"), [user_state, run_pick], exported, **kw)
    compare.click(on_compare, [user_state, run_a, run_b], compared, **kw)
