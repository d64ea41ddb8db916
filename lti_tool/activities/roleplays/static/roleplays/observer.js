/* Live session, in the browser (issue 8, "Live session").

   1. The clock ticks every second between two polls; each poll (htmx, every 2 s) brings
      the server's elapsed time back, which stays the truth.
   2. The observer's grid on a phone: a tapped level or a written note goes into a queue
      kept in localStorage, then is sent with fetch; a failure (offline, server error) is
      retried with growing delays and shown on the item; nothing leaves the queue before
      the server has said "recorded". A note carries a UUID made here, so a retry whose
      first answer was lost is recorded once. Without JavaScript, the plain forms post
      the same data and the page comes back. */
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    var clocks = document.querySelectorAll("[data-clock][data-running]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      if (!el.getAttribute("data-clock")) { continue; }
      if (!el._t0) { el._t0 = Date.now(); }
      var s = parseInt(el.getAttribute("data-clock"), 10) + Math.floor((Date.now() - el._t0) / 1000);
      el.textContent = Math.floor(s / 60) + " min " + pad(s % 60) + " s";
    }
  }
  setInterval(tick, 1000);

  var root = document.querySelector("[data-observer]");
  if (!root) { return; }
  document.documentElement.classList.add("js");

  var storageKey = root.getAttribute("data-storage-key");
  var headers = JSON.parse(root.getAttribute("data-headers") || "{}");
  headers.Accept = "application/json";
  var msg = {
    saved: root.getAttribute("data-msg-saved"),
    pending: root.getAttribute("data-msg-pending"),
    retry: root.getAttribute("data-msg-retry"),
    offline: root.getAttribute("data-msg-offline"),
    refused: root.getAttribute("data-msg-refused"),
    dismiss: root.getAttribute("data-msg-dismiss")
  };
  // The launch fields of a page are the page's own: a queued item sends the current ones
  // (headers), so an entry kept across a relaunch still goes out.
  var PAGE_FIELDS = { launch: 1, launch_csrf: 1 };
  var BACKOFF_MAX_MS = 30000;

  var queue = {};
  try { queue = JSON.parse(localStorage.getItem(storageKey) || "{}") || {}; } catch (e) { queue = {}; }
  var inFlight = {};
  var timers = {};

  function persist() {
    try { localStorage.setItem(storageKey, JSON.stringify(queue)); } catch (e) { /* private mode: memory only */ }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function fieldsOf(form) {
    var fields = {};
    new FormData(form).forEach(function (value, name) {
      if (!PAGE_FIELDS[name]) { fields[name] = String(value); }
    });
    return fields;
  }

  // --- where an item's state is shown ---------------------------------------------------

  function gridItem(key) {
    return root.querySelector('[data-grid-item][data-key="' + key.replace(/"/g, "") + '"]');
  }

  function noteItem(id) {
    return root.querySelector('#note-list li[data-client-id="' + id + '"]');
  }

  function stateEl(item) {
    var el = item.kind === "level" ? gridItem(item.key) : noteItem(item.key);
    return el ? el.querySelector(item.kind === "level" ? "[data-state]" : ".save-state") : null;
  }

  function show(item, state, text) {
    var el = stateEl(item);
    if (!el) { return; }
    el.className = "save-state state-" + state;
    el.textContent = text;
    var old = el.parentNode.querySelector("button[data-dismiss]");
    if (old) { old.remove(); }
    if (state === "refused") {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.setAttribute("data-dismiss", "");
      button.textContent = msg.dismiss;
      button.addEventListener("click", function () {
        delete queue[item.id];
        persist();
        button.remove();
      });
      el.parentNode.insertBefore(button, el.nextSibling);
    }
  }

  function addNoteLine(item) {
    if (noteItem(item.key)) { return; }
    var li = document.createElement("li");
    li.setAttribute("data-client-id", item.key);
    var time = document.createElement("time");
    var at = new Date(item.fields.noted_at);
    time.setAttribute("datetime", item.fields.noted_at);
    time.textContent = pad(at.getHours()) + ":" + pad(at.getMinutes());
    var text = document.createElement("span");
    text.className = "note-text";
    text.textContent = " " + item.fields.text + " ";
    var state = document.createElement("span");
    state.className = "save-state";
    li.appendChild(time);
    li.appendChild(text);
    li.appendChild(state);
    var list = root.querySelector("#note-list");
    list.insertBefore(li, list.firstChild);
  }

  // --- sending ----------------------------------------------------------------------------

  function retryLater(item, text) {
    item.tries = (item.tries || 0) + 1;
    var delay = Math.min(BACKOFF_MAX_MS, 1000 * Math.pow(2, item.tries - 1));
    delay = delay / 2 + Math.random() * delay / 2; // jitter: 30 phones do not retry in step
    persist();
    show(item, "retry", text + " (" + Math.ceil(delay / 1000) + " s)");
    clearTimeout(timers[item.id]);
    timers[item.id] = setTimeout(function () { send(item.id); }, delay);
  }

  function send(id) {
    var item = queue[id];
    if (!item || inFlight[id]) { return; }
    inFlight[id] = true;
    clearTimeout(timers[id]);
    var seq = item.seq;
    show(item, "pending", msg.pending);
    fetch(item.url, {
      method: "POST",
      headers: headers,
      body: new URLSearchParams(item.fields),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    }).then(function (answer) {
      inFlight[id] = false;
      var current = queue[id];
      if (!current) { return; }
      var retryable = answer.status >= 500 || answer.status === 408 || answer.status === 429 ||
        (answer.status === 409 && answer.data.extra && answer.data.extra.retry);
      if (answer.status >= 200 && answer.status < 300) {
        if (current.seq !== seq) { send(id); return; } // a newer level was tapped meanwhile
        delete queue[id];
        persist();
        show(current, "saved", msg.saved);
      } else if (retryable) {
        retryLater(current, answer.data.message || msg.retry);
      } else {
        // Refused for good (closed grid, bad input, expired launch): kept and shown, never
        // dropped silently; the observer may relaunch or remove it.
        current.refused = answer.data.message || String(answer.status);
        persist();
        show(current, "refused", msg.refused + " " + current.refused);
      }
    }, function () {
      inFlight[id] = false;
      if (queue[id]) { retryLater(queue[id], msg.offline); }
    });
  }

  function enqueue(item) {
    var earlier = queue[item.id];
    item.seq = (earlier ? earlier.seq : 0) + 1;
    item.tries = 0;
    queue[item.id] = item;
    persist();
    send(item.id);
  }

  // --- the grid and the notes -----------------------------------------------------------

  root.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name !== "level") { return; }
    var form = input.closest("[data-grid-item]");
    var key = form.getAttribute("data-key");
    enqueue({ id: "level:" + key, kind: "level", key: key, url: form.action, fields: fieldsOf(form) });
  });

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-grid-item")) {
      event.preventDefault(); // the level went out on change
      return;
    }
    if (!form.hasAttribute("data-note-form")) { return; }
    event.preventDefault();
    var text = form.querySelector("textarea");
    if (!text.value.trim()) { text.focus(); return; }
    var id = uuid();
    form.querySelector("[name=client_id]").value = id;
    form.querySelector("[name=noted_at]").value = new Date().toISOString();
    var item = { id: "note:" + id, kind: "note", key: id, url: form.action, fields: fieldsOf(form) };
    addNoteLine(item);
    text.value = "";
    text.focus();
    enqueue(item);
  });

  window.addEventListener("online", function () {
    Object.keys(queue).forEach(function (id) { if (!queue[id].refused) { send(id); } });
  });

  // What a previous visit kept (offline, closed tab, expired launch): shown, then sent
  // again, refused ones included: a new page carries a fresh launch, which may be all
  // that was missing. A refusal for good comes back and is shown again.
  Object.keys(queue).forEach(function (id) {
    var item = queue[id];
    if (item.kind === "note") { addNoteLine(item); }
    if (item.kind === "level") {
      var form = gridItem(item.key);
      var radio = form && form.querySelector('input[name=level][value="' + item.fields.level + '"]');
      if (radio) { radio.checked = true; }
    }
    delete item.refused;
    send(id);
  });
})();
