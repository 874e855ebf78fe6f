// One polling loop for the pages that update themselves while something waits
// on an approver (the course cards, My interviews). It asks `url` for JSON every
// `seconds` while `waiting()` says so, backs off after a failure and gives up
// after five, pauses while the tab is hidden, and hands each answer to `apply`.
window.portalPoll = function (options) {
  "use strict";
  var timer = null;
  var failures = 0;

  function later() {
    if (timer === null && options.waiting() && failures < 5) {
      timer = window.setTimeout(poll, options.seconds * 1000 * (failures + 1));
    }
  }

  function poll() {
    timer = null;
    if (document.hidden) {
      return; // resumed by visibilitychange
    }
    fetch(options.url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        options.apply(data);
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
};
