// Progressive enhancement only: the pages work without this file.
// Scroll the process diagram so the current phase is in view.
(function () {
  function centreCurrentPhase() {
    document.querySelectorAll(".diagram-scroll").forEach(function (box) {
      var current = box.querySelector(".phase.current");
      if (!current) return;
      var r = current.getBoundingClientRect();
      var b = box.getBoundingClientRect();
      box.scrollLeft += (r.left + r.width / 2) - (b.left + b.width / 2);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", centreCurrentPhase);
  } else {
    centreCurrentPhase();
  }
  document.addEventListener("htmx:afterSettle", centreCurrentPhase);
})();
