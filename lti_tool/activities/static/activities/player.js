/* Scenario player: after htmx swaps the main region, move the focus to its heading so that
   keyboard and screen-reader users start reading the new screen from the top (WCAG 2.4.3). */
document.addEventListener("htmx:afterSettle", function () {
  var target = document.querySelector("#contenu [data-focus]") || document.querySelector("#contenu h1");
  if (target) {
    if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    target.focus();
  }
});
