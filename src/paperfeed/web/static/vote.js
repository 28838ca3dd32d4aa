// Upvote without a page reload. The vote forms work on their own; this only saves the round trip.
"use strict";
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form.vote");
  if (!form) return;
  event.preventDefault();
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { "X-CSRF-Token": token, "Accept": "application/json" },
      body: new FormData(form),
      credentials: "same-origin",
    });
    if (response.status === 401) {
      window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
      return;
    }
    if (!response.ok) { form.submit(); return; }  // let the server explain in a full page
    const result = await response.json();
    const paper = form.dataset.paper;
    // the same paper can be on the page twice (card and similar list): update every copy
    document.querySelectorAll("form.vote").forEach((f) => {
      if (f.dataset.paper !== paper) return;
      f.querySelector(".vote-count").textContent = result.upvotes;
      const b = f.querySelector("button");
      b.setAttribute("aria-pressed", String(result.voted));
      b.setAttribute("aria-label", (result.voted ? "Remove upvote" : "Upvote") + b.getAttribute("aria-label").replace(/^[^:]*/, ""));
      f.action = "/papers/" + paper + (result.voted ? "/unvote" : "/upvote");
    });
  } finally {
    button.disabled = false;
  }
});
