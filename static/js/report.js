// The feedback report and the shared page: comment times seek their recording;
// the first open by the student is reported with a POST (never a GET side effect).
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

  // "Use the current time" fills a comment form's time from its player.
  Array.prototype.forEach.call(
    report.querySelectorAll("[data-comment-form]"),
    function (form) {
      var button = form.querySelector("[data-current-time]");
      var section = form.closest("[data-answer]");
      var video = section && section.querySelector("[data-player]");
      if (!button || !video) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        video.pause();
        form.querySelector('input[name$="at_seconds"]').value =
          video.currentTime.toFixed(1);
        form.querySelector("textarea").focus();
      });
    }
  );

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
