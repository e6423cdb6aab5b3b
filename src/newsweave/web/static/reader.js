// newsweave reader: small conveniences over pages that work without it. Citations are
// <details> elements (they open on a tap with no script); this file closes the other open
// ones, brings "3 h ago" up to date, and marks what is new since your last visit (kept in
// this browser's localStorage only: no account, nothing sent anywhere).
"use strict";
(function () {
  var KEY = "newsweave:seen:v1";
  var KEEP = 500; // stories remembered, most recently seen first

  function load() {
    try {
      var data = JSON.parse(window.localStorage.getItem(KEY) || "{}");
      return data && typeof data === "object" ? data : {};
    } catch (e) {
      return {};
    }
  }

  function save(data) {
    ["listed", "read"].forEach(function (name) {
      var map = data[name] || {};
      var ids = Object.keys(map);
      if (ids.length > KEEP) {
        ids.sort(function (a, b) { return (map[b].at || "").localeCompare(map[a].at || ""); });
        ids.slice(KEEP).forEach(function (id) { delete map[id]; });
      }
      data[name] = map;
    });
    try { window.localStorage.setItem(KEY, JSON.stringify(data)); } catch (e) { /* full or off */ }
  }

  function age(iso, now) {
    var seconds = (now - Date.parse(iso)) / 1000;
    if (isNaN(seconds)) return null;
    if (seconds < 0) return "in the future";
    if (seconds < 60) return "just now";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min ago";
    if (seconds < 48 * 3600) return Math.floor(seconds / 3600) + " h ago";
    return Math.floor(seconds / 86400) + " d ago";
  }

  function refreshAges() {
    var now = Date.now();
    document.querySelectorAll("time.age[datetime]").forEach(function (el) {
      var text = age(el.getAttribute("datetime"), now);
      if (text) el.textContent = text;
    });
  }

  // The story list: a story is new if it changed since this browser last listed it.
  function markList(data) {
    var items = document.querySelectorAll(".story-item[data-story]");
    if (!items.length) return;
    var listed = data.listed || {};
    var now = new Date().toISOString();
    items.forEach(function (item) {
      var id = item.getAttribute("data-story");
      var version = parseInt(item.getAttribute("data-version"), 10) || 0;
      var updated = item.getAttribute("data-updated") || "";
      var seen = listed[id];
      var fresh = seen ? version > seen.version || updated > seen.updated
        : Boolean(data.visited) && updated > data.visited;
      if (fresh) {
        item.classList.add("is-new");
        var badge = item.querySelector(".new-badge");
        if (badge) badge.hidden = false;
      }
      listed[id] = { version: version, updated: updated, at: now };
    });
    data.listed = listed;
    data.visited = now;
  }

  // A story page: sentences that appeared in a version after the one last read here.
  function markStory(data) {
    var story = document.querySelector("article.story[data-story]");
    if (!story) return;
    var id = story.getAttribute("data-story");
    var shown = parseInt(story.getAttribute("data-version"), 10) || 0;
    var latest = parseInt(story.getAttribute("data-latest"), 10) || 0;
    if (!shown || shown !== latest) return; // an older version: nothing is "new" in it
    var read = data.read || {};
    var seen = read[id];
    if (seen && seen.version < latest) {
      var count = 0;
      story.querySelectorAll(".brief .s[data-since]").forEach(function (s) {
        if ((parseInt(s.getAttribute("data-since"), 10) || 0) > seen.version) {
          s.classList.add("is-new");
          var label = document.createElement("span");
          label.className = "new-label";
          label.textContent = "New";
          s.insertBefore(label, s.firstChild);
          count += 1;
        }
      });
      var brief = story.querySelector(".brief");
      if (brief) {
        var note = document.createElement("p");
        note.className = "notice whats-new";
        note.textContent = count
          ? count + (count === 1 ? " sentence is" : " sentences are") + " new since you read version " + seen.version + "."
          : "This brief was updated since you read version " + seen.version + "; no sentence is new.";
        brief.insertBefore(note, brief.firstChild);
      }
    }
    read[id] = { version: latest, at: new Date().toISOString() };
    data.read = read;
  }

  // One open citation at a time; Escape closes it and returns focus to its number.
  document.addEventListener("toggle", function (event) {
    var el = event.target;
    if (!el.matches || !el.matches("details.ev") || !el.open) return;
    document.querySelectorAll("details.ev[open]").forEach(function (other) {
      if (other !== el) other.open = false;
    });
  }, true);

  // A tap outside an open citation closes it, as a popover would.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("details.ev")) return;
    document.querySelectorAll("details.ev[open]").forEach(function (el) { el.open = false; });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.ev[open]").forEach(function (el) {
      el.open = false;
      var summary = el.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    // Citations show their evidence in place, so the long list starts folded.
    var list = document.getElementById("evidence");
    if (list && !window.location.hash) list.removeAttribute("open");
    refreshAges();
    var data = load();
    markList(data);
    markStory(data);
    save(data);
  });
})();
