() => {
  // Clicking a citation marker [n] in an answer reveals its card: opens the card's turn, scrolls
  // to it and highlights it. Delegated from the document so markers streamed in later work too.
  if (window.__tpaCites) return;
  window.__tpaCites = true;
  // A card of several citations of one section (ui/render.py) carries the ids of the others as
  // empty spans; the one marker's own quote is picked out inside it.
  const reveal = (id) => {
    const target = document.getElementById(id);
    const card = target && (target.closest(".tpa-card") || target);
    if (!card) return false;
    const turn = card.closest("details.tpa-turn") || card.closest("details");
    if (turn) turn.open = true;
    document.querySelectorAll(".tpa-card.tpa-active").forEach((e) => e.classList.remove("tpa-active", "tpa-flash"));
    document.querySelectorAll("mark.tpa-focus").forEach((e) => e.classList.remove("tpa-focus"));
    const n = id.split("-").pop();
    if ((card.dataset.ns || "").split(" ").length > 1) {
      card.querySelectorAll("mark.tpa-quote[data-n]").forEach((m) => {
        if (m.dataset.n.split(" ").includes(n)) m.classList.add("tpa-focus");
      });
    }
    card.classList.add("tpa-active");
    void card.offsetWidth;  // restart the flash animation
    card.classList.add("tpa-flash");
    card.scrollIntoView({ behavior: "smooth", block: "center" });
    card.focus({ preventScroll: true });
    return true;
  };
  document.addEventListener("click", (ev) => {
    const a = ev.target && ev.target.closest ? ev.target.closest(".tpa-ref") : null;
    if (!a) return;
    ev.preventDefault();
    ev.stopPropagation();
    let id = "";
    const href = a.getAttribute("href") || "";
    if (href.startsWith("#tpa-c-")) id = href.slice(1);
    else if (a.dataset.turn && a.dataset.n) id = `tpa-c-${a.dataset.turn}-${a.dataset.n}`;
    if (id && /^tpa-c-\d+-\d+$/.test(id)) reveal(id);
    const m = /^tpa-c-(\d+)-(\d+)$/.exec(id);  // the chat's sanitizer may drop data-* attributes
    if (m) openViewer(m[1], m[2]);
  }, true);

  // Page HTML (cards, chat messages, the review table) starts a Gradio event by writing a value
  // into a hidden textbox and clicking a hidden button: the only way it can reach the server.
  const send = (boxId, goId, value) => {
    const box = document.querySelector(`#${boxId} textarea, #${boxId} input`);
    const go = document.getElementById(goId);
    if (!box || !go) return;
    box.value = value;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    setTimeout(() => go.click(), 0);  // after the textbox has told Gradio its new value
  };
  // A refusal's suggested question (ui/render.py): a click asks it, as if typed.
  document.addEventListener("click", (ev) => {
    const a = ev.target && ev.target.closest ? ev.target.closest(".tpa-suggest") : null;
    if (!a) return;
    ev.preventDefault();
    send("tpa-question", "tpa-send", a.textContent.trim());
  });
  // The evidence viewer (ui/viewer.py): a card's "เปิดในเอกสาร" button or an [n] marker asks for
  // "turn:n". Focus stays where the officer clicked.
  const openViewer = (turn, n) => {
    if (/^\d+$/.test(turn) && /^\d+$/.test(n)) send("tpa-viewer-req", "tpa-viewer-go", `${turn}:${n}`);
  };
  // The review tab (ui/review.py): a click on a question's row chooses it for the verdict form.
  document.addEventListener("click", (ev) => {
    const row = ev.target && ev.target.closest ? ev.target.closest("#tpa-rv-table tr[data-qid]") : null;
    if (!row || ev.target.closest("a, summary, button")) return;
    document.querySelectorAll("#tpa-rv-table tr.tpa-rv-picked").forEach((r) => r.classList.remove("tpa-rv-picked"));
    row.classList.add("tpa-rv-picked");
    send("tpa-rv-pick", "tpa-rv-pick-go", row.dataset.qid);
    const form = document.getElementById("tpa-rv-judge");
    if (form) form.scrollIntoView({ behavior: "smooth", block: "center" });
  }, true);
  document.addEventListener("click", (ev) => {
    const b = ev.target && ev.target.closest ? ev.target.closest(".tpa-open") : null;
    if (!b) return;
    ev.preventDefault();
    openViewer(b.dataset.turn || "", b.dataset.n || "");
  }, true);
  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "Escape") return;
    const close = document.getElementById("tpa-viewer-close");
    if (close && close.offsetParent !== null) close.click();
  });
  // Scroll the viewer's text to the passage in focus whenever a new view arrives (data-seq
  // changes on every render), inside the panel only: the page itself must not jump.
  let shown = "";
  new MutationObserver(() => {
    const v = document.querySelector("#tpa-viewer .tpa-viewer[data-seq]");
    if (!v || v.dataset.seq === shown) return;
    const scroller = v.querySelector(".tpa-v-text");
    const cur = v.querySelector(".tpa-v-current");
    if (!scroller || !cur) return;
    shown = v.dataset.seq;
    scroller.scrollTop = Math.max(0, cur.offsetTop - scroller.offsetTop - scroller.clientHeight / 4);
    v.classList.add("tpa-v-ready");
  }).observe(document.body, { childList: true, subtree: true });
}
