// The DSL canvas's autosave: the step form is posted as it is (same names as without
// JavaScript) with Accept: application/json, a second after the last keystroke. The
// server merges per field; fields others changed come back and replace the page's copy;
// a field both changed comes back as a 409 with the other's version, and the author
// chooses (nothing is overwritten silently).
(function () {
  "use strict";
  var form = document.getElementById("canvas-form");
  if (!form || form.dataset.autosave !== "on") return;
  var status = document.getElementById("autosave-status");
  var panel = document.getElementById("autosave-conflict");
  var text = form.dataset; // the page's translated messages (data-text-*), read as text.*
  text = {saving: text.textSaving, saved: text.textSaved, merged: text.textMerged,
          refused: text.textRefused, offline: text.textOffline, reload: text.textReload,
          keep: text.textKeep, take: text.textTake};
  var WORD = /[\p{L}\p{N}_]+(?:['’-][\p{L}\p{N}_]+)*/gu;
  var timer = null, saving = false, again = false;

  function say(text) { if (status) status.textContent = text; }
  function count(area) {
    var counter = document.getElementById(area.dataset.counter);
    if (!counter) return;
    var n = (area.value.match(WORD) || []).length;
    counter.textContent = n;
    counter.parentElement.classList.toggle("reading-non_acquis", n > Number(area.dataset.words));
  }
  function setRevision(revision) {
    document.querySelectorAll('input[name="revision"]').forEach(function (input) {
      input.value = revision;
    });
  }
  function fieldOf(name) { return name.replace(/^f-/, ""); }
  function applyValues(values, fields) {
    Object.keys(values).forEach(function (name) {
      var owner = fields.find(function (id) { return fieldOf(name).indexOf(id) === 0; });
      if (!owner) return;
      var inputs = form.querySelectorAll('[name="' + name + '"]');
      if (!inputs.length && !/-rows$/.test(name)) { say(text.reload); }
      inputs.forEach(function (input) {
        if (input.type === "radio") input.checked = input.value === values[name];
        else if (input.type !== "hidden") input.value = values[name];
        if (input.dataset.counter) count(input);
      });
    });
  }
  function showConflicts(body) {
    panel.hidden = false;
    panel.textContent = "";
    var head = document.createElement("p");
    head.textContent = body.message;
    panel.appendChild(head);
    body.conflicts.forEach(function (conflict) {
      var title = document.createElement("h3");
      title.textContent = conflict.label + (conflict.authors.length ? " (" + conflict.authors.join(", ") + ")" : "");
      var theirs = document.createElement("pre");
      theirs.className = "dsl-theirs";
      theirs.textContent = Object.keys(conflict.theirs).filter(function (k) { return !/-rows$/.test(k); })
        .map(function (k) { return conflict.theirs[k]; }).filter(Boolean).join("\n");
      var keep = document.createElement("button");
      keep.type = "button"; keep.textContent = text.keep;
            keep.setAttribute("data-testid", "keep-mine");
      keep.addEventListener("click", function () { panel.hidden = true; save(); });
      var take = document.createElement("button");
      take.type = "button"; take.className = "secondary"; take.textContent = text.take;
      take.setAttribute("data-testid", "take-theirs");
      take.addEventListener("click", function () {
        applyValues(conflict.theirs, [conflict.field]); panel.hidden = true; save();
      });
      panel.append(title, theirs, keep, take);
    });
    panel.focus();
  }
  function save() {
    if (saving) { again = true; return; }
    saving = true;
    say(text.saving);
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (body) { return {code: response.status, body: body}; });
      })
      .then(function (answer) {
        var body = answer.body;
        if (answer.code === 200 || answer.code === 409) {
          setRevision(body.revision);
          applyValues(body.values, body.theirs);
          if (answer.code === 409) { showConflicts(body); say(""); }
          else say(text.saved.replace("%s", body.revision) + (body.theirs.length ? " " + text.merged : ""));
        } else {
          say(body.message || text.refused);
        }
      })
      .catch(function () { say(text.offline); })
      .finally(function () {
        saving = false;
        if (again) { again = false; save(); }
        else if (!timer) { delete form.dataset.autosavePending; }
      });
  }
  function schedule() {
    form.dataset.autosavePending = "1"; // until the last change is on the server
    clearTimeout(timer);
    timer = setTimeout(function () { timer = null; save(); }, 1000);
  }
  form.addEventListener("input", function (event) {
    if (event.target.dataset.counter) count(event.target);
    schedule();
  });
  form.addEventListener("change", schedule);
  form.querySelectorAll("textarea[data-counter]").forEach(count);
  form.dataset.autosaveReady = "1"; // listening: what is typed from now on is saved
})();
