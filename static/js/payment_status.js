// Polls payments:status while a payment is pending and updates the status panel
// in place (an aria-live region), so the decision shows up without a reload.
(function () {
  "use strict";
  var panel = document.querySelector("[data-status-url]");
  if (!panel) {
    return;
  }
  var url = panel.getAttribute("data-status-url");
  var seconds = Math.max(5, parseInt(panel.getAttribute("data-poll-seconds"), 10) || 12);
  var delay = seconds;
  var timer = null;

  function field(name) {
    return panel.querySelector('[data-field="' + name + '"]');
  }

  function setText(element, text) {
    if (element && element.textContent !== text) {
      element.textContent = text;
    }
  }

  function apply(data) {
    var label = field("status_label");
    setText(label, data.status_label);
    if (label) {
      label.className = "badge " + data.badge;
    }
    setText(field("message"), data.message);
    setText(field("remarks"), data.remarks || "");
    var remarksBlock = field("remarks-block");
    if (remarksBlock) {
      remarksBlock.hidden = !data.remarks;
    }
    panel.querySelectorAll("[data-show-when]").forEach(function (element) {
      element.hidden = element.getAttribute("data-show-when") !== data.status;
    });
    panel.setAttribute("data-status", data.status);
  }

  function pending() {
    return panel.getAttribute("data-status") === "pending_verification";
  }

  function schedule(after) {
    if (timer === null && pending()) {
      timer = window.setTimeout(poll, after * 1000);
    }
  }

  function poll() {
    timer = null;
    if (document.hidden) {
      return; // visibilitychange starts again
    }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        delay = seconds;
        apply(data);
        schedule(delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 300); // back off while the server is unreachable
        schedule(delay);
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      schedule(1);
    }
  });
  schedule(delay);
})();
