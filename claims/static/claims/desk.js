// The desk on a claim's admin page: who else has it open (renewed every
// minute, dropped when the page closes) and, while the text is typed, the
// claims closest to it, each with a link and, on a saved claim, a button
// linking it as a duplicate.
"use strict";
(function () {
  const HEARTBEAT_MS = 60000;
  const DEBOUNCE_MS = 300;
  const MIN_WORDS = 3;

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function showPresence(bar, others) {
    bar.replaceChildren(
      ...others.map(function (text) {
        const line = document.createElement("p");
        line.className = "warning";
        line.textContent = text;
        return line;
      })
    );
    bar.hidden = others.length === 0;
  }

  function startPresence(bar) {
    const url = bar.dataset.url;
    function beat() {
      const body = new FormData();
      body.append("csrfmiddlewaretoken", csrfToken());
      fetch(url, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (data) showPresence(bar, data.others);
        })
        .catch(function () {});  // offline for a moment: the next beat retries
    }
    setInterval(beat, HEARTBEAT_MS);
    // A form posted from this page (save, assign, a note, submit for review)
    // comes back to the claim: that is no leaving, and a "leave" arriving
    // after the next page has marked the claim open would undo that mark.
    let posting = false;
    window.addEventListener("submit", function (event) {
      if (!event.defaultPrevented) posting = true;
    });
    window.addEventListener("pageshow", function () {
      posting = false;
    });
    window.addEventListener("pagehide", function () {
      if (posting) return;
      const body = new FormData();
      body.append("csrfmiddlewaretoken", csrfToken());
      body.append("leave", "1");
      navigator.sendBeacon(url, body);
    });
  }

  function linkButton(panel, claim) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = "Link as duplicate";
    button.addEventListener("click", function () {
      // A form of its own: the page's form cannot hold another one.
      const form = document.createElement("form");
      form.method = "post";
      form.action = panel.dataset.duplicateUrl;
      for (const [name, value] of [
        ["csrfmiddlewaretoken", csrfToken()],
        ["to", String(claim.id)],
        ["version", panel.dataset.version],
      ]) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.requestSubmit();
    });
    return button;
  }

  function showSimilar(panel, claims) {
    const list = panel.querySelector("ul");
    list.replaceChildren(
      ...claims.map(function (claim) {
        const item = document.createElement("li");
        const badge = document.createElement("span");
        badge.className = "badge status-" + claim.status;
        badge.textContent = claim.status_label;
        const link = document.createElement("a");
        link.href = claim.url;
        link.textContent = claim.text;
        item.append(badge, " ", link);
        if (panel.dataset.duplicateUrl) item.append(" ", linkButton(panel, claim));
        return item;
      })
    );
    panel.hidden = claims.length === 0;
  }

  function startSimilar(panel, field) {
    field.closest(".form-row, div").after(panel);
    let timer = null;
    let asked = "";
    function ask() {
      const text = field.value.trim();
      if (text.split(/\s+/).length < MIN_WORDS) {
        showSimilar(panel, []);
        return;
      }
      if (text === asked) return;
      asked = text;
      const params = new URLSearchParams({ text: text.slice(0, 2000) });
      if (panel.dataset.exclude) params.set("exclude", panel.dataset.exclude);
      fetch(panel.dataset.url + "?" + params, { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (data && asked === text) showSimilar(panel, data.results);
        })
        .catch(function () {});
    }
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DEBOUNCE_MS);
    });
    ask();
  }

  document.addEventListener("DOMContentLoaded", function () {
    const bar = document.getElementById("claim-presence");
    if (bar) startPresence(bar);
    const panel = document.getElementById("claim-similar");
    const field = document.getElementById("id_text");
    if (panel && field) startSimilar(panel, field);
  });
})();
