// My interviews updates itself while something on it waits on an approver (a
// payment being checked, a request to schedule, an interview to review): every
// few seconds it asks for the list and swaps it in when it changed.
(function () {
  "use strict";
  var list = document.getElementById("my-interviews");
  if (!list || !window.fetch) {
    return;
  }
  var url = list.getAttribute("data-my-interviews-url");
  var seconds = parseInt(list.getAttribute("data-poll-seconds"), 10) || 12;
  var live = document.getElementById("my-interviews-updates");
  var timer = null;
  var failures = 0;

  function later() {
    var waiting = list.getAttribute("data-waiting") === "true";
    if (timer === null && waiting && failures < 5) {
      timer = window.setTimeout(poll, seconds * 1000 * (failures + 1));
    }
  }

  function apply(data) {
    list.setAttribute("data-waiting", data.waiting ? "true" : "false");
    // Not while the student is using a control in the list (a cancel button).
    var busy = list.contains(document.activeElement);
    if (data.key !== list.getAttribute("data-state-key") && !busy) {
      list.innerHTML = data.html;
      list.setAttribute("data-state-key", data.key);
      if (live) {
        live.textContent = "Your interviews were updated.";
      }
    }
  }

  function poll() {
    timer = null;
    if (document.hidden) {
      return; // resumed by visibilitychange
    }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        apply(data);
      })
      .catch(function () {
        failures += 1;
      })
      .then(later);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      later();
    }
  });
  later();
})();
