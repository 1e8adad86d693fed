// The viewer's behaviour, inlined in every page (no network, no library). Spans are cut and
// keyed by the Python side: selecting a key highlights every element carrying it, in every
// text of the page (a claim and its evidence, an entity's mentions, an event and its source).
"use strict";
(function () {
  const PRIORITY = ["e:", "v:", "f:", "c:"];  // what a click on overlapping spans selects
  const LAYER_OF = { "e:": "mentions", "v:": "events", "f:": "span_flags", "c:": "claims" };
  const details = new Map();
  document.querySelectorAll(".detail").forEach((el) => details.set(el.dataset.key, el));
  const panel = document.getElementById("details");
  let selected = null;
  let scrolledBySelection = -Infinity;  // time of the last scroll a selection made: not to be synced

  const keysOf = (el) => (el.dataset.k || "").split(" ").filter(Boolean);
  const hidden = (key) => document.body.classList.contains("hide-" + LAYER_OF[key.slice(0, 2)]);
  const carrying = (key) => document.querySelectorAll('[data-k~="' + CSS.escape(key) + '"]');

  function clear() {
    document.querySelectorAll(".sel").forEach((el) => el.classList.remove("sel"));
    selected = null;
    if (panel) panel.replaceChildren();
  }

  function select(key, scroll) {
    clear();
    selected = key;
    carrying(key).forEach((el) => el.classList.add("sel"));
    const detail = details.get(key);
    if (panel && detail) panel.replaceChildren(detail.cloneNode(true));
    if (scroll) {
      scrolledBySelection = performance.now();
      document.querySelectorAll(".pane").forEach((pane) => {
        const first = pane.querySelector(".s.sel");
        if (!first) return;
        if (pane.scrollHeight > pane.clientHeight) {  // side by side: scroll the pane only
          pane.scrollTop += first.getBoundingClientRect().top
            - pane.getBoundingClientRect().top - pane.clientHeight / 4;
        } else {  // one column (narrow window, zoom): scroll the page
          first.scrollIntoView({ block: "start" });
        }
      });
    }
  }

  document.addEventListener("click", (event) => {
    const target = event.target.closest("[data-k]");
    if (!target) return;
    const keys = keysOf(target).filter((key) => !hidden(key));
    for (const prefix of PRIORITY) {  // segments list keys outermost first
      const key = keys.findLast((k) => k.startsWith(prefix));
      if (key) { select(key, true); return; }
    }
  });

  document.querySelectorAll("input[data-layer]").forEach((box) => {
    box.addEventListener("change", () => {
      document.body.classList.toggle("hide-" + box.dataset.layer, !box.checked);
    });
  });

  // j/k walk the claims, n/p the mentions, of the first text of the page.
  function step(selector, prefix, forward) {
    const pane = document.querySelector(".pane");
    if (!pane) return;
    const keys = [...new Set([...pane.querySelectorAll(selector)]
      .flatMap(keysOf).filter((k) => k.startsWith(prefix)))];
    if (!keys.length) return;
    const at = keys.indexOf(selected);
    const next = at < 0 ? (forward ? 0 : keys.length - 1)
      : (at + (forward ? 1 : -1) + keys.length) % keys.length;
    select(keys[next], true);
    const badge = pane.querySelector('.badge[data-k="' + CSS.escape(keys[next]) + '"]');
    if (badge) badge.focus({ preventScroll: true });
  }
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.matches("input, textarea")) return;
    const moves = { j: [".badge", "c:", true], k: [".badge", "c:", false],
                    n: [".L-mentions", "e:", true], p: [".L-mentions", "e:", false] };
    if (event.key in moves) { step(...moves[event.key]); event.preventDefault(); }
    else if (event.key === "Escape") clear();
  });

  // Scrolled together by alignment: the first claim in view in the left text brings its
  // evidence (or, in a comparison, the same claim) to the same height in the right text.
  const panes = document.querySelectorAll(".pane");
  const sync = document.getElementById("sync");
  if (panes.length === 2 && sync) {
    const [left, right] = panes;
    let queued = false;
    left.addEventListener("scroll", () => {
      if (!sync.checked || queued || performance.now() - scrolledBySelection < 500) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        const top = left.getBoundingClientRect().top;
        for (const badge of left.querySelectorAll(".badge")) {
          const offset = badge.getBoundingClientRect().top - top;
          if (offset < -2) continue;  // above the top (allowing for rounding)
          const match = right.querySelector('.s[data-k~="' + CSS.escape(badge.dataset.k) + '"]');
          if (!match) continue;
          right.scrollTop += match.getBoundingClientRect().top - right.getBoundingClientRect().top - offset;
          break;
        }
      });
    });
  }
})();
