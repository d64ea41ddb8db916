/* The team's preparation sheet (roleplays/sheet.html), enhanced: autosave after a short
   pause, retries with backoff when the network fails (typed text is never dropped), and the
   conflict panel when another member changed the same part meanwhile (issue 8).

   Without this script the page is a plain form with a Save button. With it, the same form
   is posted with fetch (Accept: application/json) and the launch id and CSRF token in
   headers, as the scenario player's htmx calls do (no cookie inside Moodle's iframe).
   Every message shown comes from the form's data-msg-* attributes (translated there). */
(function () {
  "use strict";

  var form = document.getElementById("sheet-form");
  if (!form || !window.fetch || !window.FormData) { return; }

  var statusEl = document.getElementById("sheet-status");
  var baseInput = form.querySelector("[data-base-revision]");
  var template = document.getElementById("plan-row-template");
  var headers = JSON.parse(form.getAttribute("data-launch-headers") || "{}");
  headers.Accept = "application/json";

  var PAUSE_MS = 1200;
  var RETRY_FIRST_MS = 2000;
  var RETRY_MAX_MS = 30000;

  var timer = null;
  var inFlight = false;
  var dirty = false;
  var retryMs = 0;
  var stopped = false;
  var held = {};  // section key -> the other version, while a conflict is open

  function msg(name) { return form.getAttribute("data-msg-" + name) || ""; }
  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_all, key) { return values[key]; });
  }
  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "sheet-status" + (kind ? " " + kind : "");
  }

  // --- sections and their values -------------------------------------------------------

  function sectionEl(key) { return form.querySelector('[data-section="' + key + '"]'); }
  function sectionLabel(key) {
    var title = document.getElementById("title-" + key);
    return title ? title.textContent.trim() : key;
  }
  function sectionKeys() {
    return Array.prototype.map.call(form.querySelectorAll("[data-section]"), function (el) {
      return el.getAttribute("data-section");
    });
  }
  // The values of a section's inputs, to tell whether it was edited since a save left.
  function signature(key) {
    var parts = [];
    sectionEl(key).querySelectorAll("input, select, textarea").forEach(function (input) {
      if (input.closest(".sheet-conflict")) { return; }
      var value = (input.type === "checkbox" || input.type === "radio") ? input.checked : input.value;
      parts.push(input.name + "=" + value);
    });
    return parts.join("\u0000");
  }
  function signatures() {
    var all = {};
    sectionKeys().forEach(function (key) { all[key] = signature(key); });
    return all;
  }

  function memberNames() {
    var names = {};
    var select = form.querySelector("select[data-lead]") ||
      (template && template.content.querySelector("select[data-lead]"));
    if (select) {
      Array.prototype.forEach.call(select.options, function (option) {
        if (option.value) { names[option.value] = option.textContent.trim(); }
      });
    }
    return names;
  }

  // --- the plan ------------------------------------------------------------------------

  function planRows() { return Array.prototype.slice.call(form.querySelectorAll(".plan-row")); }
  function newRowId() {
    var bytes = new Uint8Array(4);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function addRow(row) {
    var id = row ? row.id : newRowId();
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.split("__ROW__").join(id);
    var el = holder.querySelector(".plan-row");
    if (row) {
      el.querySelector('[name$="-duration"]').value = row.duration === null ? "" : row.duration;
      el.querySelector('[name$="-title"]').value = row.title || "";
      el.querySelector('[name$="-lead"]').value = row.lead === null ? "" : String(row.lead);
      el.querySelectorAll('[name$="-support"]').forEach(function (box) {
        box.checked = (row.support || []).indexOf(Number(box.value)) !== -1;
      });
      el.querySelector('[name$="-technique"]').value = row.technique || "";
    }
    form.querySelector("[data-plan-rows]").appendChild(el);
    enhanceRow(el);
    return el;
  }
  function enhanceRow(el) {
    var up = el.querySelector("[data-move-up]");
    if (up) { up.hidden = false; }
  }
  function renderPlan(rows) {
    planRows().forEach(function (el) { el.remove(); });
    rows.forEach(addRow);
    addRow(null);  // one blank row to type in
  }
  function updatePlan() {
    var start = 0;
    var leads = {};
    var startLabel = form.getAttribute("data-label-start");
    var minutes = form.getAttribute("data-label-minutes");
    planRows().forEach(function (el) {
      var deleted = el.querySelector("[data-delete]").checked;
      el.classList.toggle("marked-delete", deleted);
      var duration = parseInt(el.querySelector('[name$="-duration"]').value, 10) || 0;
      el.querySelector("[data-row-start]").textContent = "(" + startLabel + " " + start + " " + minutes + ")";
      if (deleted) { return; }
      start += duration;
      leads[el.querySelector("[data-lead]").value] = true;
    });
    var total = form.querySelector("[data-plan-total]");
    if (total) { total.textContent = start; }
    var names = memberNames();
    var missing = Object.keys(names).filter(function (id) { return !leads[id]; })
      .map(function (id) { return names[id]; });
    var warning = document.getElementById("leads-warning");
    if (warning) {
      warning.hidden = missing.length === 0;
      warning.querySelector("[data-leads-missing]").textContent = missing.join(", ");
    }
  }

  function render(key, value) {
    var el = sectionEl(key);
    if (!el) { return; }
    if (el.getAttribute("data-kind") === "plan") { renderPlan(value || []); updatePlan(); return; }
    el.querySelector("textarea").value = value || "";
  }

  // --- conflicts -----------------------------------------------------------------------

  function versionBlock(title, key, value) {
    var box = document.createElement("div");
    box.className = "conflict-version";
    var heading = document.createElement("h3");
    heading.textContent = title;
    box.appendChild(heading);
    box.appendChild(versionContent(key, value));
    return box;
  }
  function versionContent(key, value) {
    if (sectionEl(key).getAttribute("data-kind") !== "plan") {
      var text = document.createElement("div");
      text.className = "sheet-text";
      text.textContent = value || msg("empty");
      return text;
    }
    var names = memberNames();
    var list = document.createElement("ol");
    (value || []).forEach(function (row) {
      var item = document.createElement("li");
      var support = (row.support || []).map(function (id) { return names[id] || "?"; }).join(", ");
      item.textContent = [
        row.duration === null ? "—" : row.duration + " " + form.getAttribute("data-label-minutes"),
        row.title || "—",
        (names[row.lead] || "—") + (support ? " + " + support : ""),
        row.technique || ""
      ].filter(Boolean).join(" · ");
      list.appendChild(item);
    });
    if (!list.children.length) { list.textContent = msg("empty"); }
    return list;
  }
  function currentValue(key) {
    var el = sectionEl(key);
    if (el.getAttribute("data-kind") !== "plan") { return el.querySelector("textarea").value; }
    return planRows().filter(function (row) {
      return !row.querySelector("[data-delete]").checked && row.querySelector('[name$="-title"]').value;
    }).map(function (row) {
      var support = [];
      row.querySelectorAll('[name$="-support"]').forEach(function (box) {
        if (box.checked) { support.push(Number(box.value)); }
      });
      var duration = row.querySelector('[name$="-duration"]').value;
      var lead = row.querySelector("[data-lead]").value;
      return {
        duration: duration === "" ? null : Number(duration),
        title: row.querySelector('[name$="-title"]').value,
        lead: lead === "" ? null : Number(lead),
        support: support,
        technique: row.querySelector('[name$="-technique"]').value
      };
    });
  }
  function closeConflict(key) {
    var panel = form.querySelector('[data-conflict-for="' + key + '"]');
    if (panel) { panel.remove(); }
    delete held[key];
  }
  function openConflict(conflict) {
    var key = conflict.section;
    var el = sectionEl(key);
    if (!el) { return; }
    closeConflict(key);
    held[key] = conflict.theirs;
    var who = (conflict.authors && conflict.authors.length) ? conflict.authors.join(", ") : msg("someone");
    var panel = document.createElement("div");
    panel.className = "sheet-conflict";
    panel.setAttribute("role", "alert");
    panel.setAttribute("data-conflict-for", key);
    panel.setAttribute("data-testid", "conflict-" + key);
    var intro = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = format(msg("conflict"), { who: who });
    intro.appendChild(strong);
    panel.appendChild(intro);
    var versions = document.createElement("div");
    versions.className = "conflict-versions";
    versions.appendChild(versionBlock(format(msg("their-version"), { who: who }), key, conflict.theirs));
    var mine = versionBlock(msg("your-version"), key, currentValue(key));
    mine.setAttribute("data-mine", "");
    versions.appendChild(mine);
    panel.appendChild(versions);
    var actions = document.createElement("p");
    actions.className = "actions";
    var keep = document.createElement("button");
    keep.type = "button";
    keep.textContent = msg("keep-mine");
    keep.setAttribute("data-testid", "keep-mine-" + key);
    keep.addEventListener("click", function () { closeConflict(key); edited(); });
    var take = document.createElement("button");
    take.type = "button";
    take.className = "secondary";
    take.textContent = format(msg("take-theirs"), { who: who });
    take.setAttribute("data-testid", "take-theirs-" + key);
    take.addEventListener("click", function () {
      var theirs = held[key];
      closeConflict(key);
      render(key, theirs);
      edited();
    });
    actions.appendChild(keep);
    actions.appendChild(take);
    panel.appendChild(actions);
    var help = document.getElementById("help-" + key);
    help.parentNode.insertBefore(panel, help.nextSibling);
  }
  function refreshMine(key) {
    var box = form.querySelector('[data-conflict-for="' + key + '"] [data-mine]');
    if (box) { box.replaceChild(versionContent(key, currentValue(key)), box.lastChild); }
  }

  // --- saving --------------------------------------------------------------------------

  // After an answer: start from the server's revision; show what others changed in the
  // parts left untouched since the save left; a part typed in meanwhile becomes a conflict.
  function rebase(revision, fields, updated, sent, conflicts) {
    baseInput.value = revision;
    var now = signatures();
    var open = {};
    conflicts.forEach(function (conflict) { open[conflict.section] = conflict; });
    Object.keys(updated).forEach(function (key) {
      if (open[key]) { return; }
      if (Object.prototype.hasOwnProperty.call(held, key)) { held[key] = fields[key]; return; }
      if (now[key] === sent[key]) { render(key, fields[key]); return; }
      open[key] = { section: key, theirs: fields[key], authors: updated[key] };
    });
    Object.keys(open).forEach(function (key) { openConflict(open[key]); });
    var marked = form.querySelector("[data-delete]:checked");
    if (marked && now.plan === sent.plan && !open.plan && !held.plan) { render("plan", fields.plan); }
  }

  function mergedNote(updated) {
    var parts = Object.keys(updated).filter(function (key) {
      return !Object.prototype.hasOwnProperty.call(held, key) && updated[key].length;
    }).map(function (key) { return "« " + sectionLabel(key) + " » (" + updated[key].join(", ") + ")"; });
    return parts.length ? " " + format(msg("merged"), { parts: parts.join(" ; ") }) : "";
  }

  function schedule(delay) {
    if (stopped) { return; }
    window.clearTimeout(timer);
    timer = window.setTimeout(save, delay);
  }

  function retry() {
    retryMs = Math.min(retryMs ? retryMs * 2 : RETRY_FIRST_MS, RETRY_MAX_MS);
    setStatus(format(msg("offline"), { s: Math.round(retryMs / 1000) }), "failed");
    schedule(retryMs);
  }

  function stop(message) {
    stopped = true;
    window.clearTimeout(timer);
    setStatus(msg("stopped") + " " + message, "failed");
  }

  function handle(code, body, sent) {
    var extra = body.extra || {};
    if (code === 200) {
      retryMs = 0;
      rebase(body.revision, body.fields, body.updated || {}, sent, []);
      setStatus(body.message + mergedNote(body.updated || {}), "saved");
    } else if (code === 409 && extra.conflicts) {
      retryMs = 0;
      rebase(extra.revision, extra.fields, extra.updated || {}, sent, extra.conflicts);
      setStatus(body.message, "failed");
      dirty = true;  // my other changes still wait, now on the new revision
    } else if (code === 0 || code === 429 || code >= 500) {
      dirty = true;
      retry();
      return;
    } else if (code === 400) {
      retryMs = 0;
      setStatus(body.message || msg("failed"), "failed");
      return;  // the student fixes the field; the next edit saves again
    } else {
      stop(body.message || String(code));  // expired launch, deadline passed: a person acts
      return;
    }
    if (dirty) { schedule(PAUSE_MS); }
  }

  function save() {
    window.clearTimeout(timer);
    if (stopped) { return; }
    if (inFlight) { dirty = true; return; }
    inFlight = true;
    dirty = false;
    var data = new FormData(form);
    Object.keys(held).forEach(function (key) { data.append("hold", key); });
    var sent = signatures();
    if (!retryMs) { setStatus(msg("saving")); }
    window.fetch(form.action, { method: "POST", body: data, headers: headers, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { code: response.status, body: body };
        });
      })
      .then(function (answer) {
        inFlight = false;
        handle(answer.code, answer.body, sent);
      }, function () {
        inFlight = false;
        handle(0, {}, sent);
      });
  }

  function edited(event) {
    if (event && event.target && event.target.closest(".sheet-conflict[data-conflict-for]")) { return; }
    dirty = true;
    updatePlan();
    Object.keys(held).forEach(refreshMine);
    if (stopped || retryMs) { return; }  // a scheduled retry will send the latest text
    if (!inFlight) { setStatus(msg("dirty")); }
    schedule(PAUSE_MS);
  }

  // --- wiring --------------------------------------------------------------------------

  form.addEventListener("input", edited);
  form.addEventListener("change", edited);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    retryMs = 0;
    save();
  });
  form.addEventListener("click", function (event) {
    var up = event.target.closest("[data-move-up]");
    if (up) {
      var row = up.closest(".plan-row");
      var previous = row.previousElementSibling;
      if (previous && previous.classList.contains("plan-row")) {
        row.parentNode.insertBefore(row, previous);
        up.focus();
        edited();
      }
      return;
    }
    if (event.target.closest("[data-add-row]")) {
      addRow(null).querySelector('[name$="-title"]').focus();
      updatePlan();
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty || inFlight || retryMs || Object.keys(held).length) {
      event.preventDefault();
      event.returnValue = msg("leave");
      return msg("leave");
    }
    return undefined;
  });

  form.querySelectorAll("[data-add-row]").forEach(function (button) { button.hidden = false; });
  planRows().forEach(enhanceRow);
  updatePlan();
})();
