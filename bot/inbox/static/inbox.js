// Pages keep themselves up to date by polling JSON endpoints: the conversation gets its new
// messages and details, a ticket list its new and changed rows. Focus is never moved.
"use strict";
(function () {
  const EVERY = 3000;

  async function fetchJson(url) {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      return response.ok ? await response.json() : null;
    } catch (error) {
      return null; // offline for a moment: try again at the next tick
    }
  }

  function every(poll) {
    setInterval(function () { if (!document.hidden) poll(); }, EVERY);
  }

  const transcript = document.getElementById("transcript");
  if (transcript) {
    let after = Number(transcript.dataset.after || 0);
    const details = { state: "ticket-state", assigned_to: "ticket-assigned" };

    function add(line) {
      const item = document.createElement("li");
      item.className = line.kind;
      const meta = document.createElement("p");
      meta.className = "meta";
      meta.textContent = line.who + " · " + line.at;
      const text = document.createElement("p");
      text.className = "text";
      text.textContent = line.text;
      (line.media || []).forEach(function (media) {
        const link = document.createElement("a");
        link.className = "media";
        link.href = media.url;
        link.textContent = "[" + media.kind + "]";
        text.append(" ", link);
      });
      item.append(meta, text);
      transcript.append(item);
      after = Math.max(after, line.id);
    }

    every(async function () {
      const data = await fetchJson(transcript.dataset.poll + "?after=" + after);
      if (!data) return;
      data.messages.forEach(add);
      Object.entries(details).forEach(function ([key, id]) {
        const field = document.getElementById(id);
        if (field && field.textContent !== data[key]) field.textContent = data[key];
      });
    });
  }

  const list = document.getElementById("tickets");
  if (list) {
    const news = document.getElementById("tickets-news");
    const empty = document.getElementById("tickets-empty");

    function row(html) {
      const template = document.createElement("template");
      template.innerHTML = html; // built and escaped by the server; the CSP forbids scripts
      return template.content.firstElementChild;
    }

    function mark(item, label) {
      const badge = document.createElement("span");
      badge.className = "fresh";
      badge.textContent = label;
      item.querySelector(".meta").append(badge);
    }

    function update(rows) {
      const shown = new Map(Array.from(list.children, (item) => [item.dataset.id, item]));
      const wanted = new Set(rows.map((data) => String(data.id)));
      const focused = document.activeElement;
      const added = [];
      const changed = [];
      shown.forEach(function (item, id) {
        // a row the mediator is on stays until they leave it, so focus is never lost
        if (!wanted.has(id) && !item.contains(focused)) item.remove();
      });
      rows.forEach(function (data, index) {
        const fresh = row(data.html);
        const item = shown.get(String(data.id));
        if (!item || !item.isConnected) {
          list.insertBefore(fresh, list.children[index] || null);
          mark(fresh, "nouveau");
          added.push("#" + data.id);
        } else if (item.dataset.version !== fresh.dataset.version) {
          const hadFocus = item.contains(focused);
          item.replaceWith(fresh);
          mark(fresh, "mis à jour");
          changed.push("#" + data.id);
          if (hadFocus) fresh.querySelector("a").focus(); // the same link, in its new row
        }
      });
      empty.hidden = list.children.length > 0;
      const parts = [];
      if (added.length) parts.push("Nouveau : " + added.join(", "));
      if (changed.length) parts.push("Mis à jour : " + changed.join(", "));
      if (parts.length) news.textContent = parts.join(". ") + ".";
    }

    every(async function () {
      const data = await fetchJson(list.dataset.poll);
      if (data) update(data.rows);
    });
  }
})();
