// Pipeline board: drag cards between columns (HTML5 drag and drop), Won/Lost drop zones.
// The server decides: a refused move puts the card back where it was and shows the reason.
(function () {
  "use strict";
  var page = document.getElementById("board-page");
  if (!page || page.dataset.canMove !== "true") return;

  var dragged = null;      // the card element being dragged
  var origin = null;       // {parent, next} to snap the card back
  var dialog = document.getElementById("lost-dialog");

  function actionUrl(kind, dealId) {
    var template = page.dataset[kind + "Url"];
    return template.replace("/0/", "/" + dealId + "/") + window.location.search;
  }

  function toast(message, kind) {
    if (window.Voronka && window.Voronka.toast) window.Voronka.toast(message, kind);
  }

  function snapBack(card) {
    if (!origin) return;
    origin.parent.insertBefore(card, origin.next && origin.next.parentNode === origin.parent ? origin.next : null);
    card.classList.add("snapped");
    setTimeout(function () { card.classList.remove("snapped"); }, 700);
  }

  function applyTotals(columns) {
    document.querySelectorAll(".board-col").forEach(function (col) {
      var totals = columns[col.dataset.stageId] || { count: 0, amount: "0", weighted: "0" };
      col.querySelector("[data-role=count]").textContent = totals.count;
      col.querySelector("[data-role=amount]").textContent = totals.amount;
      col.querySelector("[data-role=weighted]").textContent = totals.weighted;
    });
    var count = 0;
    Object.keys(columns).forEach(function (key) { count += columns[key].count; });
    var boardCount = document.querySelector("[data-role=board-count]");
    if (boardCount) boardCount.textContent = count;
  }

  function post(kind, card, fields) {
    var body = new URLSearchParams(fields);
    body.set("version", card.dataset.version);
    card.classList.add("saving");
    return fetch(actionUrl(kind, card.dataset.dealId), {
      method: "POST",
      headers: { "X-CSRFToken": window.Voronka.csrfToken(), "Accept": "application/json" },
      body: body,
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () {
        return { ok: false, message: page.dataset.msgFailed };
      }).then(function (data) { data.httpStatus = response.status; return data; });
    }, function () {
      return { ok: false, message: page.dataset.msgNetwork };
    }).then(function (data) {
      card.classList.remove("saving");
      return data;
    });
  }

  function moveTo(card, zone) {
    var stageId = zone.dataset.stageId;
    if (stageId === card.dataset.stageId) { snapBack(card); return; }
    // Optimistic: the card shows in its new column at once; a refusal puts it back.
    zone.insertBefore(card, zone.firstChild);
    post("move", card, { stage: stageId }).then(function (data) {
      if (!data.ok) {
        snapBack(card);
        toast(data.message || page.dataset.msgFailed, "error");
        return;
      }
      var holder = document.createElement("div");
      holder.innerHTML = data.card.trim();
      var fresh = holder.firstElementChild;
      if (fresh) { card.replaceWith(fresh); }
      applyTotals(data.columns);
      var name = zone.closest(".board-col").querySelector(".board-col-name");
      toast(page.dataset.msgMoved + " «" + (name ? name.textContent : "") + "»", "success");
    });
  }

  function close(card, kind, fields) {
    card.classList.add("hidden-while-saving");
    return post(kind, card, fields).then(function (data) {
      card.classList.remove("hidden-while-saving");
      if (!data.ok) {
        snapBack(card);
        toast(data.message || page.dataset.msgFailed, "error");
        return data;
      }
      card.remove();
      applyTotals(data.columns);
      toast(kind === "win" ? page.dataset.msgWon : page.dataset.msgLost, "success");
      return data;
    });
  }

  function openLostDialog(card) {
    if (!dialog) { snapBack(card); return; }
    var form = dialog.querySelector("form");
    form.reset();
    dialog.querySelector(".lost-error").textContent = "";
    var title = card.querySelector(".board-card-title");
    dialog.querySelector(".lost-deal-title").textContent = title ? title.textContent : "";
    dialog.dealCard = card;
    dialog.showModal();
    dialog.querySelector("select").focus();
  }

  if (dialog) {
    dialog.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (!button) return;
      event.preventDefault();
      var card = dialog.dealCard;
      if (button.dataset.action === "cancel") { dialog.close("cancel"); return; }
      var reason = dialog.querySelector("select[name=reason]");
      if (!reason.value) { reason.reportValidity(); return; }
      button.disabled = true;
      close(card, "lose", {
        reason: reason.value,
        comment: dialog.querySelector("textarea[name=comment]").value
      }).then(function (data) {
        button.disabled = false;
        if (data.ok) { dialog.dealCard = null; dialog.close("lose"); }
        else if (data.field === "reason" || data.code === "lost_reason_required") {
          dialog.querySelector(".lost-error").textContent = data.message;
        } else { dialog.dealCard = null; dialog.close("error"); }
      });
    });
    // Escape or cancel: the deal stays where it was.
    dialog.addEventListener("close", function () {
      if (dialog.dealCard) { snapBack(dialog.dealCard); dialog.dealCard = null; }
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card[draggable=true]");
    if (!card) return;
    dragged = card;
    origin = { parent: card.parentNode, next: card.nextSibling };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.dealId);
    // Let the browser take its drag image before the card is dimmed.
    setTimeout(function () { card.classList.add("dragging"); }, 0);
    document.body.classList.add("board-dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    document.body.classList.remove("board-dragging");
    document.querySelectorAll(".drop-over").forEach(function (el) { el.classList.remove("drop-over"); });
    dragged = null;
  });

  function zoneOf(target) {
    if (!target || !target.closest) return null;
    var zone = target.closest("[data-dropzone]");
    if (zone) return zone;
    var column = target.closest(".board-col");
    return column ? column.querySelector("[data-dropzone=stage]") : null;
  }

  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var zone = zoneOf(event.target);
    if (!zone) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".drop-over").forEach(function (el) { if (el !== zone) el.classList.remove("drop-over"); });
    zone.classList.add("drop-over");
  });

  document.addEventListener("dragleave", function (event) {
    var zone = zoneOf(event.target);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("drop-over");
  });

  document.addEventListener("drop", function (event) {
    if (!dragged) return;
    var zone = zoneOf(event.target);
    if (!zone) return;
    event.preventDefault();
    var card = dragged;
    card.classList.remove("dragging");
    zone.classList.remove("drop-over");
    var kind = zone.dataset.dropzone;
    if (kind === "stage") moveTo(card, zone);
    else if (kind === "won") close(card, "win", {});
    else if (kind === "lost") openLostDialog(card);
  });

  // A click on the card (not on its link) opens the deal, like the title does.
  document.addEventListener("click", function (event) {
    var card = event.target.closest(".board-card");
    if (!card || event.target.closest("a")) return;
    var link = card.querySelector(".board-card-title");
    if (link) window.location.href = link.href;
  });
})();
