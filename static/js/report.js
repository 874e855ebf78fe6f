// The feedback report: comment times seek their recording, and the first open
// by the student is reported with a POST (never a GET side effect).
(function () {
  "use strict";
  var report = document.querySelector("[data-report]");
  if (!report) {
    return;
  }
  report.addEventListener("click", function (event) {
    var button = event.target.closest("[data-seek]");
    if (!button) {
      return;
    }
    var section = button.closest("[data-answer]");
    var video = section && section.querySelector("[data-player]");
    if (!video) {
      return;
    }
    video.currentTime = parseFloat(button.getAttribute("data-seek"));
    video.play().catch(function () {});
  });

  var readUrl = report.getAttribute("data-read-url");
  var token = report.querySelector("input[name=csrfmiddlewaretoken]");
  if (readUrl && token && window.fetch) {
    fetch(readUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token.value },
    }).catch(function () {});
  }
})();
