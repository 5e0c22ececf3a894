// Settings pages: drag-and-drop (and arrow buttons) to reorder stages and playbook steps.
// A list marked [data-sortable] posts its new order (ids under data-field) to data-reorder-url.
(function () {
  "use strict";

  function statusOf(list) {
    var next = list.nextElementSibling;
    return next && next.classList.contains("sortable-status") ? next : null;
  }

  function save(list) {
    var data = new FormData();
    var field = list.dataset.field;
    list.querySelectorAll(":scope > [data-id]").forEach(function (item) { data.append(field, item.dataset.id); });
    var status = statusOf(list);
    if (status) { status.textContent = list.dataset.savingText || "…"; status.classList.remove("error"); }
    return fetch(list.dataset.reorderUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": window.Voronka.csrfToken(), "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!status) return;
        if (response.ok) { status.textContent = "✓"; list.dataset.saved = "1"; }
        else { status.textContent = body.message || response.statusText; status.classList.add("error"); }
      });
    }).catch(function () {
      if (status) { status.textContent = "⚠"; status.classList.add("error"); }
    });
  }

  function clearMarks(list) {
    list.querySelectorAll(".drop-before, .drop-after").forEach(function (item) {
      item.classList.remove("drop-before", "drop-after");
    });
  }

  function setUp(list) {
    var dragged = null;
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest("[data-id]");
      if (!dragged || dragged.parentElement !== list) { dragged = null; return; }
      dragged.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.id);
    });
    list.addEventListener("dragover", function (event) {
      if (!dragged) return;
      var over = event.target.closest("[data-id]");
      if (!over || over === dragged || over.parentElement !== list) return;
      event.preventDefault();
      clearMarks(list);
      var box = over.getBoundingClientRect();
      over.classList.add(event.clientY < box.top + box.height / 2 ? "drop-before" : "drop-after");
    });
    list.addEventListener("drop", function (event) {
      if (!dragged) return;
      event.preventDefault();
      var over = event.target.closest("[data-id]");
      if (over && over !== dragged && over.parentElement === list) {
        var box = over.getBoundingClientRect();
        list.insertBefore(dragged, event.clientY < box.top + box.height / 2 ? over : over.nextSibling);
        save(list);
      }
      clearMarks(list);
    });
    list.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      dragged = null;
      clearMarks(list);
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-move]");
      if (!button) return;
      var item = button.closest("[data-id]");
      if (button.dataset.move === "up" && item.previousElementSibling) {
        list.insertBefore(item, item.previousElementSibling);
      } else if (button.dataset.move === "down" && item.nextElementSibling) {
        list.insertBefore(item.nextElementSibling, item);
      } else { return; }
      button.focus();
      save(list);
    });
  }

  function init() {
    document.querySelectorAll("[data-sortable]").forEach(setUp);
    // Confirm dialogs and copy buttons: app.js.
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
