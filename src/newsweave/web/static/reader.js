// newsweave reader: open a citation's evidence in place. Without this script, citation links
// jump to the evidence list further down the page, so nothing depends on it.
"use strict";
(function () {
  var open = null; // { box, link }

  function close(restoreFocus) {
    if (!open) return;
    open.box.remove();
    open.link.setAttribute("aria-expanded", "false");
    if (restoreFocus) open.link.focus();
    open = null;
  }

  function place(box, link) {
    var rect = link.getBoundingClientRect();
    var width = box.offsetWidth;
    var left = Math.min(rect.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - width - 8);
    box.style.left = Math.max(window.scrollX + 8, left) + "px";
    box.style.top = (rect.bottom + window.scrollY + 6) + "px";
  }

  function show(link, entry) {
    close(false);
    var body = entry.querySelector(".ev-body") || entry;
    var box = document.createElement("div");
    box.className = "popover";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", "Source " + link.textContent);
    box.tabIndex = -1;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "close";
    button.setAttribute("aria-label", "Close");
    button.textContent = "×";
    button.addEventListener("click", function () { close(true); });
    box.appendChild(button);
    // A deep copy of server-rendered, escaped markup: no text is ever parsed as HTML here.
    var copy = body.cloneNode(true);
    copy.removeAttribute("id");
    copy.querySelectorAll("[id]").forEach(function (el) { el.removeAttribute("id"); });
    box.appendChild(copy);
    document.body.appendChild(box);
    place(box, link);
    link.setAttribute("aria-expanded", "true");
    open = { box: box, link: link };
    box.focus({ preventScroll: true });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.cite, a.cite-ref");
    if (link) {
      var id = decodeURIComponent((link.getAttribute("href") || "").slice(1));
      var entry = id && document.getElementById(id);
      if (!entry) return;
      event.preventDefault();
      if (open && open.link === link) { close(true); return; }
      show(link, entry);
      return;
    }
    if (open && !open.box.contains(event.target)) close(false);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") close(true);
  });

  window.addEventListener("resize", function () { if (open) place(open.box, open.link); });

  document.addEventListener("DOMContentLoaded", function () {
    // The popovers show the evidence, so the long list starts folded (it stays one click away).
    var list = document.getElementById("evidence");
    if (list && !window.location.hash) list.removeAttribute("open");
    document.querySelectorAll("a.cite, a.cite-ref").forEach(function (link) {
      link.setAttribute("aria-haspopup", "dialog");
      link.setAttribute("aria-expanded", "false");
    });
  });
})();
