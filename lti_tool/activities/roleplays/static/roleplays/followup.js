/* Written follow-up: a live word count under each text (the server checks the limit on
   submission; this only tells the author as they type). Words are counted as the server
   counts them: runs of characters between spaces. Screen readers hear only when a text
   crosses the limit, not every keystroke. */
(function () {
  var alert = document.querySelector("[data-word-limit-alert]");
  function count(text) {
    var words = text.trim().split(/\s+/);
    return words[0] === "" ? 0 : words.length;
  }
  document.querySelectorAll("textarea[data-word-limit]").forEach(function (area) {
    var output = document.querySelector('[data-word-count-for="' + area.id + '"]');
    if (!output) { return; }
    var limit = parseInt(area.getAttribute("data-word-limit"), 10);
    var template = output.textContent.replace(/^\s*\d+/, "");
    var over = count(area.value) > limit;
    function update() {
      var n = count(area.value);
      output.textContent = n + template;
      output.classList.toggle("over", n > limit);
      if (alert && (n > limit) !== over) {
        alert.textContent = alert.getAttribute(n > limit ? "data-over" : "data-back");
      }
      over = n > limit;
    }
    area.addEventListener("input", update);
  });
})();
