// Deal card: small behaviours on top of htmx. The card works without this file.
(function () {
  "use strict";
  // Escape closes an open popover (Lost) or cancels an inline edit.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll(".deal-card details[open]").forEach(function (d) { d.open = false; });
    var cancel = document.querySelector(".inline-edit [hx-get]:not(.option-search)");
    if (cancel && document.activeElement && document.activeElement.closest(".inline-edit")) cancel.click();
  });
  // Clicking outside closes the Lost popover.
  document.addEventListener("click", function (event) {
    document.querySelectorAll(".deal-card details.popover[open]").forEach(function (d) {
      if (!d.contains(event.target)) d.open = false;
    });
  });
  // A task needs a due date: make the composer say so as the kind changes.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name !== "kind" || !input.closest(".composer")) return;
    var due = input.form.querySelector("input[name=due_at]");
    if (due) due.required = input.value === "task";
  });
  // Focus the first input of an inline edit after htmx swaps it in.
  document.addEventListener("htmx:afterSwap", function (event) {
    var field = event.detail.target.querySelector(".inline-edit input:not([type=hidden]):not(.option-search), .inline-edit select, .inline-edit textarea");
    if (field) field.focus();
  });
})();
