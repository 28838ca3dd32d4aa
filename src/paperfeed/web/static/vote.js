// Upvote and save without a page reload. The forms work on their own; this only saves the round trip.
// Focus stays on the pressed button (a disabled button loses it, so a busy flag guards double clicks
// instead), and the save menu says what happened in its status line (role=status: read out by screen
// readers).
"use strict";
(() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  async function post(form) {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf(), "Accept": "application/json" },
      body: new FormData(form),
      credentials: "same-origin",
    });
    if (response.status === 401) {
      window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
      return null;
    }
    if (!response.ok) { form.dataset.plain = "1"; form.submit(); return null; }  // the server explains
    return response.json();
  }

  async function vote(form) {
    const result = await post(form);
    if (!result) return;
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
  }

  function collectionButton(menu, slug, name, paper) {
    let field = menu.querySelector('input[name="collection"][value="' + CSS.escape(slug) + '"]');
    if (field) return field.form;
    const item = menu.querySelector("ul li");
    const copy = item ? item.cloneNode(true) : null;
    if (!copy) return null;
    const form = copy.querySelector("form");
    form.querySelector('input[name="collection"]').value = slug;
    const button = form.querySelector("button");
    button.textContent = name;
    button.dataset.name = name;
    form.dataset.paper = paper;
    menu.querySelector("ul").append(copy);
    return form;
  }

  function showSaved(paper, slug, name, saved) {
    document.querySelectorAll("details.save").forEach((details) => {
      if (details.dataset.paper !== paper) return;
      const form = collectionButton(details, slug, name, paper);
      if (form) {
        form.action = "/papers/" + paper + (saved ? "/unsave" : "/save");
        form.querySelector("button").setAttribute("aria-pressed", String(saved));
      }
      const any = details.querySelector('button[aria-pressed="true"]') !== null;
      details.classList.toggle("saved", any);
      details.querySelector(".save-label").textContent = any ? "★ Saved" : "☆ Save";
      const summary = details.querySelector("summary");
      summary.setAttribute("aria-label", (any ? "Saved" : "Save") + summary.getAttribute("aria-label").replace(/^[^:]*/, ""));
      const status = details.nextElementSibling;
      if (status && status.classList.contains("save-status")) {
        status.textContent = (saved ? "Saved to " : "Removed from ") + name + ".";
      }
    });
  }

  async function save(form) {
    const result = await post(form);
    if (!result) return;
    const saved = result.saved !== undefined ? result.saved : true;  // POST /save answers without it
    const name = result.name || form.querySelector("button").dataset.name || result.collection;
    showSaved(result.paper, result.collection, name, saved);
    if (form.classList.contains("new-collection")) form.reset();
  }

  // A card's save menu arrives as a summary and a link to the paper page's menu (the path without
  // JavaScript); the page carries the menu once, in <template id="save-menu-template">, and each card gets
  // its own copy here, pointed at its paper and pressed for the collections that hold it (data-saved-in).
  function fillSaveMenus() {
    const template = document.getElementById("save-menu-template");
    if (!template) return;
    document.querySelectorAll("details.save[data-saved-in]").forEach((details) => {
      const fallback = details.querySelector(".save-fallback");
      if (!fallback) return;
      const paper = details.dataset.paper;
      const held = new Set(details.dataset.savedIn.split(" ").filter(Boolean));
      const menu = template.content.firstElementChild.cloneNode(true);
      menu.querySelectorAll("form.save-form").forEach((form) => {
        form.dataset.paper = paper;
        const slug = form.querySelector('input[name="collection"]');
        if (!slug) {  // the new-collection form
          form.action = "/papers/" + paper + "/save-new";
          return;
        }
        const here = held.has(slug.value);
        form.action = "/papers/" + paper + (here ? "/unsave" : "/save");
        form.querySelector("button").setAttribute("aria-pressed", String(here));
      });
      const title = details.querySelector("summary").getAttribute("aria-label").replace(/^[^:]*:\s*/, "");
      menu.querySelector(".new-collection .visually-hidden").textContent = "New collection for " + title;
      fallback.replaceWith(menu);
    });
  }
  fillSaveMenus();  // a deferred script: the page is parsed, and nobody has opened a menu yet

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.vote, form.save-form");
    if (!form || form.dataset.plain || form.dataset.busy) {
      if (form && form.dataset.busy) event.preventDefault();
      return;
    }
    event.preventDefault();
    const focused = document.activeElement;
    form.dataset.busy = "1";
    try {
      await (form.classList.contains("vote") ? vote(form) : save(form));
    } finally {
      delete form.dataset.busy;
      // keep the reader where they were (a keyboard user must not be thrown back to the page's top)
      if (focused instanceof HTMLElement && document.activeElement !== focused && focused.isConnected) focused.focus();
    }
  });
})();
