// Voronka: small shared behaviours. Pages work without this file; it adds toasts, the CSRF
// token for scripts, confirm dialogs and copy buttons, and turns failed htmx requests into a
// readable message instead of silence.
(function () {
  "use strict";
  var Voronka = window.Voronka = window.Voronka || {};

  // toast(message, "success" | "error" | "info"): a short note in the corner.
  Voronka.toast = function (message, kind) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var note = document.createElement("div");
    note.className = "toast toast-" + (kind || "info");
    note.setAttribute("role", kind === "error" ? "alert" : "status");
    note.setAttribute("data-testid", "toast");
    note.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "×");
    close.textContent = "×";
    close.addEventListener("click", function () { note.remove(); });
    note.appendChild(close);
    box.appendChild(note);
    setTimeout(function () { note.classList.add("toast-leaving"); }, kind === "error" ? 7000 : 3500);
    setTimeout(function () { note.remove(); }, kind === "error" ? 7600 : 4100);
  };

  // The CSRF token for a fetch(): the form's hidden input, else the page's htmx headers, else
  // the cookie. The one copy every script uses (board, settings).
  Voronka.csrfToken = function () {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    try {
      var token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
      if (token) return token;
    } catch (e) { /* no htmx headers */ }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  };

  // Confirmation: a form, or the button that submits it, with data-confirm="question?" asks
  // first. One listener for every page; no inline handlers (the Content-Security-Policy).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Copy buttons: data-copy names the element to copy, by id ("feedback-link") or by selector
  // ("#new-token"); an input's value or an element's text is copied, and the button says so.
  function copySource(reference) {
    var element = document.getElementById(reference);
    if (element) return element;
    try { return document.querySelector(reference); } catch (e) { return null; }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = copySource(button.dataset.copy);
    if (!source) return;
    var text = "value" in source ? source.value : source.textContent.trim();
    if (source.select) source.select();
    if (navigator.clipboard) navigator.clipboard.writeText(text);
    else document.execCommand("copy");
    button.classList.add("copied");
    if (button.dataset.copiedText) button.textContent = button.dataset.copiedText;
  });

  // An htmx request that failed with 4xx carries a plain-text or JSON message: show it.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = (xhr && xhr.responseText) || "";
    var message = text;
    try { message = JSON.parse(text).message || text; } catch (e) { /* plain text */ }
    if (!message || message.length > 300 || message.indexOf("<") !== -1) {
      message = (xhr && xhr.status ? xhr.status + " " : "") + (xhr && xhr.statusText || "Error");
    }
    Voronka.toast(message, "error");
  });
  document.addEventListener("htmx:sendError", function () {
    Voronka.toast(document.body.dataset.msgOffline, "error");
  });

  // Phones: the menu button opens and closes the navigation panel under the top bar.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".menu-toggle");
    var topbar = document.querySelector(".topbar");
    if (!topbar) return;
    if (toggle) {
      var open = !topbar.classList.contains("nav-open");
      topbar.classList.toggle("nav-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    } else if (topbar.classList.contains("nav-open") && !event.target.closest(".mainnav")) {
      topbar.classList.remove("nav-open");
      topbar.querySelector(".menu-toggle").setAttribute("aria-expanded", "false");
    }
  });
  document.addEventListener("keydown", function (event) {
    var topbar = document.querySelector(".topbar.nav-open");
    if (event.key === "Escape" && topbar) {
      topbar.classList.remove("nav-open");
      topbar.querySelector(".menu-toggle").setAttribute("aria-expanded", "false");
    }
  });

  // Content-Security-Policy: the markup carries no style attributes. Stage colours and bar
  // widths come as data attributes and are applied through the CSS object model, which the
  // policy allows; htmx:load covers the first page and every swapped-in fragment.
  function applyDataStyles(root) {
    if (!root || !root.querySelectorAll) return;
    var colored = Array.prototype.slice.call(root.querySelectorAll("[data-stage-color]"));
    var bars = Array.prototype.slice.call(root.querySelectorAll("[data-bar-width]"));
    if (root.matches && root.matches("[data-stage-color]")) colored.push(root);
    if (root.matches && root.matches("[data-bar-width]")) bars.push(root);
    colored.forEach(function (element) {
      var color = element.getAttribute("data-stage-color");
      if (!/^#[0-9a-fA-F]{3,8}$/.test(color)) return;
      element.style.setProperty("--stage-color", color);
      element.style.setProperty("--stage", color);
    });
    bars.forEach(function (element) {
      var width = parseFloat(String(element.getAttribute("data-bar-width")).replace(",", "."));
      if (isFinite(width)) element.style.width = Math.max(0, width) + "%";
    });
  }
  document.addEventListener("htmx:load", function (event) { applyDataStyles(event.target); });
  document.addEventListener("DOMContentLoaded", function () { applyDataStyles(document); });

  // The global search's quick results close when the focus leaves the search form.
  document.addEventListener("focusout", function (event) {
    var form = event.target.closest && event.target.closest("form.global-search");
    if (!form) return;
    setTimeout(function () {
      var results = form.querySelector(".quick-results");
      if (results && !form.contains(document.activeElement)) results.innerHTML = "";
    }, 150);
  });

  // Close the user and "More" menus when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.usermenu[open], details.navmore[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
})();
