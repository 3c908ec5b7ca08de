// New messages of the open conversation appear without reloading (polling a JSON endpoint).
"use strict";
(function () {
  const list = document.getElementById("transcript");
  if (!list) return;
  let after = Number(list.dataset.after || 0);

  function add(line) {
    const item = document.createElement("li");
    item.className = line.kind;
    const meta = document.createElement("p");
    meta.className = "meta";
    meta.textContent = line.who + " · " + line.at;
    const text = document.createElement("p");
    text.className = "text";
    text.textContent = line.text;
    item.append(meta, text);
    list.append(item);
    after = Math.max(after, line.id);
  }

  async function poll() {
    try {
      const response = await fetch(list.dataset.poll + "?after=" + after, { credentials: "same-origin" });
      if (response.ok) (await response.json()).messages.forEach(add);
    } catch (error) { /* offline for a moment: try again at the next tick */ }
  }

  setInterval(poll, 3000);
})();
