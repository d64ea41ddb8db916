/* DPA case analysis: word counters and autosave of the draft (issue 9).

   Without this script the « Enregistrer le brouillon » button saves the form. With it, the
   draft is posted a few seconds after the student stops typing, with the form's own hidden
   fields (launch id, CSRF token, revision): the server answers JSON with the new revision.
   A 409 (the draft was saved from another tab) stops autosaving and says so: nothing is
   silently overwritten. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }
  var status = form.querySelector("[data-autosave-status]");
  var revision = form.querySelector("[data-revision]");
  var text = form.dataset;
  var timer = null;
  var stopped = false;

  function count(textarea) {
    var words = textarea.value.trim() ? textarea.value.trim().split(/\s+/).length : 0;
    var line = form.querySelector("[data-words-for='" + textarea.id + "']");
    var limit = parseInt(textarea.dataset.maxWords, 10);
    if (!line) { return; }
    line.textContent = words + " / " + limit + " " + text.textWords;
    line.classList.toggle("reading-non_acquis", words > limit);
  }

  function save() {
    if (stopped) { return; }
    var body = new FormData(form);
    fetch(form.action, {
      method: "POST", body: body, headers: { "Accept": "application/json" }, credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, status: response.status, data: data }; });
    }).then(function (answer) {
      if (!answer.ok) {
        if (answer.status === 409) { stopped = true; }
        status.textContent = answer.data.message || text.textFailed;
        return;
      }
      revision.value = answer.data.revision;
      status.textContent = text.textSaved;
    }).catch(function () { status.textContent = text.textFailed; });
  }

  Array.prototype.forEach.call(form.querySelectorAll("textarea[data-max-words]"), function (area) {
    count(area);
    area.addEventListener("input", function () { count(area); });
  });
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(save, 2500);
  });
  form.addEventListener("change", function (event) {
    if (event.target.type === "checkbox") { clearTimeout(timer); timer = setTimeout(save, 800); }
  });
  form.addEventListener("submit", function () { clearTimeout(timer); stopped = true; });
  var problems = document.querySelector("[data-testid='problems']");
  if (problems) { problems.focus(); }
})();
