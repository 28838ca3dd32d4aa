// The comment form's "Preview": the server renders the comment (Markdown, maths, sanitised) and it is shown
// under the text box. Without this script the button stays hidden and the form simply posts.
"use strict";
document.querySelectorAll("form[data-preview]").forEach((form) => {
  const button = form.querySelector(".preview-button");
  const shown = form.querySelector(".comment-preview");
  if (!button || !shown) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const token = document.querySelector('meta[name="csrf-token"]').content;
    const data = new FormData();
    data.append("body", form.querySelector("textarea").value);
    button.disabled = true;
    try {
      const response = await fetch(form.dataset.preview, {
        method: "POST",
        headers: { "X-CSRF-Token": token, "Accept": "application/json" },
        body: data,
        credentials: "same-origin",
      });
      const text = await response.text();
      // the fragment is the server's sanitised rendering; an error is a sentence, shown as text
      if (response.ok) shown.innerHTML = text; else shown.textContent = errorSentence(text, response.status);
      shown.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
});

function errorSentence(body, status) {
  try { return JSON.parse(body).detail || `Preview failed (${status}).`; } catch { return `Preview failed (${status}).`; }
}
