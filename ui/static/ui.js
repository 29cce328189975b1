() => {
  // Clicking a citation marker [n] in an answer reveals its card: opens the card's turn, scrolls
  // to it and highlights it. Delegated from the document so markers streamed in later work too.
  if (window.__tpaCites) return;
  window.__tpaCites = true;
  const reveal = (id) => {
    const card = document.getElementById(id);
    if (!card) return false;
    const turn = card.closest("details");
    if (turn) turn.open = true;
    document.querySelectorAll(".tpa-card.tpa-active").forEach((e) => e.classList.remove("tpa-active", "tpa-flash"));
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
  }, true);
}
