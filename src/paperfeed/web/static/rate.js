// 👍 "More like this" / 👎 "Not interested" without a page reload. The rate forms work on their own (the
// pressed button posts to /unrate, so pressing it again undoes); this saves the round trip and, in a personal
// listing, folds a dismissed card into one line with an Undo button.
"use strict";
(() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  const post = (url, body) => fetch(url, {
    method: "POST",
    headers: { "X-CSRF-Token": csrf(), "Accept": "application/json" },
    body,
    credentials: "same-origin",
  });

  // The same paper can be on the page twice (a paper and its similar list): update every copy.
  function show(paper, rating) {
    document.querySelectorAll("form.rate").forEach((form) => {
      if (form.dataset.paper !== paper) return;
      form.querySelectorAll("button[name=value]").forEach((button) => {
        const on = Number(button.value) === rating;
        button.setAttribute("aria-pressed", String(on));
        if (on) button.setAttribute("formaction", "/papers/" + paper + "/unrate");
        else button.removeAttribute("formaction");
      });
    });
  }

  function collapse(card, paper) {
    const title = card.querySelector(".card-title a")?.textContent.trim() || paper;
    for (const child of card.children) child.hidden = true;
    card.classList.add("dismissed");
    const note = document.createElement("p");
    note.className = "dismissed-note";
    note.setAttribute("role", "status");
    note.append("Hidden — ");
    const undo = document.createElement("button");
    undo.type = "button";
    undo.className = "link";
    undo.textContent = "Undo";
    undo.setAttribute("aria-label", "Undo: show " + title.slice(0, 60) + " again");
    undo.addEventListener("click", async () => {
      undo.disabled = true;
      const response = await post("/papers/" + paper + "/unrate", new FormData());
      if (!response.ok) { undo.disabled = false; return; }
      note.remove();
      card.classList.remove("dismissed");
      for (const child of card.children) child.hidden = false;
      show(paper, 0);
      card.querySelector("button.dislike")?.focus();
    });
    note.append(undo);
    card.append(note);
    undo.focus();
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.rate");
    if (!form || form.dataset.plain) return;
    event.preventDefault();
    const button = event.submitter;
    const url = button?.getAttribute("formaction") || form.getAttribute("action");
    const paper = form.dataset.paper;
    const body = new FormData(form, button);  // before disabling: a disabled button sends no value
    form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    try {
      const response = await post(url, body);
      if (response.status === 401) {
        window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
        return;
      }
      if (!response.ok) {  // let the server explain in a full page
        form.dataset.plain = "1";
        form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
        form.requestSubmit(button);
        return;
      }
      const result = await response.json();
      show(paper, result.rating);
      const card = form.closest("article.card");
      if (result.rating === -1 && card && form.closest("[data-personal]")) collapse(card, paper);
    } finally {
      form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    }
  });
})();
