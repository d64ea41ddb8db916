/* The shared keyboard-driven rubric (grading/_rubric_keyboard.html; issue 9).

   A trainer grades without the mouse: 0–4 set the level of the current criterion, n sets
   N/E, j/k (or ↓/↑) move between criteria, c opens the comment (Échap comes back and saves
   it), s/p open the next/previous student, v goes to the validation button, ? shows the
   keys. Each change is posted at once with fetch, the launch id and its CSRF token in
   headers (no cookie inside the platform's iframe; without the headers the caller may
   pass, the form's hidden fields carry them), and the server answers JSON. Without this script the form still works with its « Enregistrer » button. */
(function () {
  "use strict";

  function init(root) {
    var form = root.querySelector("[data-rubric-form]");
    var criteria = Array.prototype.slice.call(root.querySelectorAll("[data-criterion]"));
    var status = root.querySelector("[data-rubric-status]");
    var help = root.querySelector("[data-rubric-help]");
    var text = root.dataset;
    var current = 0;
    var launchHeaders = root.dataset.launchHeaders ? JSON.parse(root.dataset.launchHeaders) : null;
    var sent = 0; // posts in flight may answer out of order: only the latest one is shown
    if (!form || !criteria.length) { return; }

    function say(message) { if (status) { status.textContent = message; } }

    function select(index, focus) {
      current = Math.max(0, Math.min(criteria.length - 1, index));
      criteria.forEach(function (fieldset, i) {
        fieldset.classList.toggle("is-current", i === current);
        if (i === current) { fieldset.setAttribute("aria-current", "true"); }
        else { fieldset.removeAttribute("aria-current"); }
      });
      if (focus !== false) {
        criteria[current].focus({ preventScroll: true });
        criteria[current].scrollIntoView({ block: "nearest" });
      }
    }

    function state(fieldset, message, kind) {
      var line = fieldset.querySelector("[data-state]");
      if (!line) { return; }
      line.textContent = message;
      line.classList.remove("saved", "failed");
      if (kind) { line.classList.add(kind); }
    }

    function levelText(value) {
      return value === "ne" ? text.textNe : text.textLevel + " " + value;
    }

    // Saves go one after the other, in the order of the keys: two requests in flight could
    // reach the server out of order (a level, then N/E on the same criterion, would end as
    // the level). Validation waits for the queue too.
    var queue = Promise.resolve();
    var pending = 0;

    function post(fieldset, fields) {
      var run = function () { return send(fieldset, fields); };
      pending += 1;
      queue = queue.then(run, run).then(function (data) { pending -= 1; return data; });
      return queue;
    }

    function send(fieldset, fields) {
      var body = new FormData();
      var headers = { "Accept": "application/json" };
      if (launchHeaders) {
        // The launch id and its CSRF token in headers (lti/csrf.py), as htmx sends them.
        Object.keys(launchHeaders).forEach(function (name) { headers[name] = launchHeaders[name]; });
      } else {
        // Otherwise the form's own hidden inputs carry them.
        Array.prototype.forEach.call(form.querySelectorAll("input[type=hidden]"), function (input) {
          body.append(input.name, input.value);
        });
      }
      Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
      state(fieldset, text.textSaving);
      var mine = ++sent;
      return fetch(form.action, {
        method: "POST",
        body: body,
        headers: headers,
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (answer) {
        if (!answer.ok) { throw new Error(answer.data.message || text.textOffline); }
        fieldset.classList.remove("undecided");
        say(answer.data.message || "");
        // Live per-domain scores, where the caller shows them: [data-rubric-domain="DC2"].
        var domains = answer.data.domains || {};
        if (mine === sent) {
          Array.prototype.forEach.call(document.querySelectorAll("[data-rubric-domain]"), function (cell) {
            var score = domains[cell.dataset.rubricDomain];
            cell.textContent = score === undefined ? "—" : score.replace(".", ",");
          });
        }
        root.dispatchEvent(new CustomEvent("rubric:saved", { detail: answer.data, bubbles: true }));
        return answer.data;
      }).catch(function (error) {
        state(fieldset, error.message || text.textOffline, "failed");
        say(error.message || text.textOffline);
      });
    }

    function setLevel(value) {
      var fieldset = criteria[current];
      var code = fieldset.dataset.criterion;
      var radio = fieldset.querySelector("input[type=radio][value='" + value + "']");
      if (!radio) { return; }
      radio.checked = true;
      var fields = {};
      fields["level-" + code] = value;
      post(fieldset, fields).then(function (data) {
        if (data) { state(fieldset, levelText(value), "saved"); }
      });
    }

    function saveComment(textarea) {
      var fieldset = textarea.closest("[data-criterion]");
      if (textarea.value === textarea.dataset.saved) { return; }
      var fields = {};
      fields["comment-" + fieldset.dataset.criterion] = textarea.value;
      var sent = textarea.value;
      post(fieldset, fields).then(function (data) {
        if (data) {
          textarea.dataset.saved = sent;
          var checked = fieldset.querySelector("input[type=radio]:checked");
          state(fieldset, checked ? levelText(checked.value) : "", "saved");
        }
      });
    }

    // Leaving for another student or validating waits until every save has landed.
    function go(url) { if (url) { queue.then(function () { window.location.href = url; }); } }

    var validateButton = root.dataset.validateId && document.getElementById(root.dataset.validateId);
    if (validateButton && validateButton.form) {
      validateButton.form.addEventListener("submit", function (event) {
        if (pending > 0) {
          event.preventDefault();
          queue.then(function () { validateButton.form.requestSubmit(validateButton); });
        }
      });
    }

    criteria.forEach(function (fieldset, index) {
      fieldset.addEventListener("focusin", function () { select(index, false); });
      Array.prototype.forEach.call(fieldset.querySelectorAll("input[type=radio]"), function (radio) {
        radio.addEventListener("change", function () { select(index, false); setLevel(radio.value); });
      });
      var comment = fieldset.querySelector("[data-comment]");
      if (comment) {
        comment.dataset.saved = comment.value;
        comment.addEventListener("change", function () { saveComment(comment); });
      }
    });

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }
      var target = event.target;
      var typing = target && (target.tagName === "TEXTAREA" ||
        (target.tagName === "INPUT" && target.type !== "radio" && target.type !== "checkbox"));
      if (typing) {
        if (event.key === "Escape" && target.matches("[data-comment]")) {
          event.preventDefault();
          saveComment(target);
          select(current);
        }
        return;
      }
      var key = event.key;
      if (/^[0-4]$/.test(key)) { event.preventDefault(); setLevel(key); }
      else if (key === "n" || key === "N") { event.preventDefault(); setLevel("ne"); }
      else if (key === "j" || key === "ArrowDown") { event.preventDefault(); select(current + 1); }
      else if (key === "k" || key === "ArrowUp") { event.preventDefault(); select(current - 1); }
      else if (key === "c") {
        event.preventDefault();
        var comment = criteria[current].querySelector("[data-comment]");
        if (comment) { comment.focus(); }
      }
      else if (key === "s") { event.preventDefault(); go(root.dataset.nextUrl); }
      else if (key === "p") { event.preventDefault(); go(root.dataset.previousUrl); }
      else if (key === "v" && root.dataset.validateId) {
        var button = document.getElementById(root.dataset.validateId);
        if (button) { event.preventDefault(); button.focus(); }
      }
      else if (key === "?" && help) { event.preventDefault(); help.open = !help.open; }
    }, true);

    // Start on the first criterion still to grade. When all are decided (a graded or
    // validated analysis), the page stays at its top, where its status message is; the keys
    // work from the first criterion.
    var first = criteria.findIndex(function (f) { return f.classList.contains("undecided"); });
    select(first < 0 ? 0 : first, first >= 0);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-rubric-keyboard]"), init);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
