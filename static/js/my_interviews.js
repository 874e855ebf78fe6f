// My interviews updates itself while something on it waits on an approver (a
// payment being checked, a request to schedule, an interview to review): every
// few seconds it asks for the list and swaps it in when it changed.
(function () {
  "use strict";
  var list = document.getElementById("my-interviews");
  if (!list || !window.fetch || !window.portalPoll) {
    return;
  }
  var url = list.getAttribute("data-my-interviews-url");
  var seconds = parseInt(list.getAttribute("data-poll-seconds"), 10) || 12;
  var live = document.getElementById("my-interviews-updates");

  function waiting() {
    return list.getAttribute("data-waiting") === "true";
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

  window.portalPoll({ url: url, seconds: seconds, waiting: waiting, apply: apply });
})();
