// Deal list: select rows for bulk actions. Delegated handlers survive htmx table refreshes.
(function () {
  "use strict";

  function rowBoxes() {
    return Array.from(document.querySelectorAll('input[name="deals"][form="bulk-form"]'));
  }

  function refresh() {
    var form = document.getElementById("bulk-form");
    if (!form) return;
    var all = form.querySelector("[data-bulk-all]");
    var boxes = rowBoxes();
    var checked = boxes.filter(function (box) { return box.checked; }).length;
    var counter = form.querySelector("[data-bulk-count]");
    if (counter) counter.textContent = all && all.checked ? all.parentNode.textContent.trim() : String(checked);
    form.classList.toggle("active", checked > 0 || (all && all.checked));
    var pageBox = document.querySelector("[data-select-page]");
    if (pageBox) {
      pageBox.checked = boxes.length > 0 && checked === boxes.length;
      pageBox.indeterminate = checked > 0 && checked < boxes.length;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-page]")) {
      rowBoxes().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches("[data-select-page], [data-bulk-all], input[name='deals']")) refresh();
  });

  // The bulk form's data-confirm is asked by app.js.

  document.addEventListener("htmx:afterSwap", refresh);
  document.addEventListener("DOMContentLoaded", refresh);
})();
