// Keys for the whole site. "/" puts the cursor in the search box, as on GitHub or arxiv-sanity: the page's
// own search form if it has one (search, map), else the one in the header; not while the reader is typing.
"use strict";
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const typing = event.target instanceof Element && event.target.closest("input, textarea, select, [contenteditable]");
  if (typing) return;
  const box = document.querySelector("main input[type=search]") || document.getElementById("site-q");
  if (!box) return;
  event.preventDefault();
  box.focus();
  box.select();
});
